import * as routes from '@tuan/shared/contracts'
import type { RouteResponse } from '@tuan/shared/contracts'
import type { CreateShareRequest, RecordVisitRequest } from '@tuan/shared/schemas'
import { call } from './request'

export type ShareViewData = RouteResponse<typeof routes.createShare>
export type PackProgress = RouteResponse<typeof routes.getSharePackProgress>
export type MyShares = RouteResponse<typeof routes.listMyShares>
export type SharePack = RouteResponse<typeof routes.getSharePack>

/** Creates (or reuses, for a few minutes) my share of a target; the token goes into the share path. */
export function createShare(body: CreateShareRequest): Promise<ShareViewData> {
  return call(routes.createShare, { body })
}

export function recordVisit(token: string, body: RecordVisitRequest): Promise<{ counted: boolean }> {
  return call(routes.recordShareVisit, { params: { token }, body })
}

export function getSharePack(id: number): Promise<SharePack> {
  return call(routes.getSharePack, { params: { id } })
}

export function getPackProgress(token: string): Promise<PackProgress> {
  return call(routes.getSharePackProgress, { params: { token } })
}

export function claimPack(token: string) {
  return call(routes.claimSharePack, { params: { token } })
}

export function listMyShares(page = 1, pageSize = 20): Promise<MyShares> {
  return call(routes.listMyShares, { query: { page, pageSize } })
}

export function getShareCode(token: string) {
  return call(routes.getShareCode, { params: { token } })
}
