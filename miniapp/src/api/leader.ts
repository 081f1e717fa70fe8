import * as routes from '@tuan/shared/contracts'
import type { RouteResponse } from '@tuan/shared/contracts'
import type { LeaderApplicationRequest } from '@tuan/shared/schemas'
import { call } from './request'

export type NearbyPage = RouteResponse<typeof routes.listNearbyPoints>
export type NearbyPointData = NearbyPage['items'][number]
export type PickupCities = RouteResponse<typeof routes.listPickupCities>
export type MyPoint = RouteResponse<typeof routes.getMyPickupPoint>
export type MyLeader = RouteResponse<typeof routes.getMyLeader>['leader']

/** Open pickup points nearest to (lat, lng) first, with whole metres. */
export function listNearbyPoints(lat: number, lng: number, page = 1, pageSize = 20): Promise<NearbyPage> {
  return call(routes.listNearbyPoints, { query: { lat, lng, page, pageSize } })
}

export function listPickupCities(): Promise<PickupCities> {
  return call(routes.listPickupCities)
}

export function getPickupPoint(id: number) {
  return call(routes.getPickupPoint, { params: { id } })
}

export function getMyPickupPoint(): Promise<MyPoint> {
  return call(routes.getMyPickupPoint)
}

export function chooseMyPickupPoint(pointId: number): Promise<MyPoint> {
  return call(routes.chooseMyPickupPoint, { body: { pointId } })
}

/** Opened a leader's share: binds me to its point unless I chose one myself. */
export function bindLeaderShare(token: string): Promise<MyPoint> {
  return call(routes.bindLeaderShare, { body: { token } })
}

export async function getMyLeader(): Promise<MyLeader> {
  return (await call(routes.getMyLeader)).leader
}

export function applyLeader(body: LeaderApplicationRequest) {
  return call(routes.applyLeader, { body })
}
