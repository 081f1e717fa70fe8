import * as routes from '@tuan/shared/contracts'
import type { RouteResponse } from '@tuan/shared/contracts'
import { call } from './request'

export type LeaderPickup = RouteResponse<typeof routes.lookupPickup>
export type LeaderEarnings = RouteResponse<typeof routes.getLeaderEarnings>

/** The waiting order of my point with this code (a wrong code counts against my limit). */
export function lookupPickup(code: string): Promise<LeaderPickup> {
  return call(routes.lookupPickup, { body: { code } })
}

/** 核销: hand the order over (ready_for_pickup → completed). */
export function verifyPickup(code: string): Promise<LeaderPickup> {
  return call(routes.verifyPickup, { body: { code } })
}

export function getLeaderEarnings(page = 1, pageSize = 20): Promise<LeaderEarnings> {
  return call(routes.getLeaderEarnings, { query: { page, pageSize } })
}
