import * as routes from '@tuan/shared/contracts'
import type { RouteResponse } from '@tuan/shared/contracts'
import type { ConfirmArrivalRequest, PickupBatchDetail } from '@tuan/shared/schemas'
import { call } from './request'

export type LeaderOrderList = RouteResponse<typeof routes.leaderOrders>
export type PickupBatchList = RouteResponse<typeof routes.leaderBatches>

/** 今日订单 of my point (paid since the last cut-off), or every order still on its way. */
export function leaderOrders(scope: 'today' | 'open' = 'today'): Promise<LeaderOrderList> {
  return call(routes.leaderOrders, { query: { scope } })
}

export function leaderBatches(): Promise<PickupBatchList> {
  return call(routes.leaderBatches, { query: { limit: 50 } })
}

export function leaderBatch(id: number): Promise<PickupBatchDetail> {
  return call(routes.leaderBatch, { params: { id } })
}

/** 确认到货: the whole batch, or with per-SKU shortages (received fewer than the pick list). */
export function confirmArrival(id: number, body: ConfirmArrivalRequest): Promise<PickupBatchDetail> {
  return call(routes.leaderConfirmArrival, { params: { id }, body })
}
