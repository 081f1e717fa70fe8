import * as routes from '@tuan/shared/contracts'
import type { RouteResponse } from '@tuan/shared/contracts'
import { call } from './request'

export type MyRewards = RouteResponse<typeof routes.getMyRewards>
export type LedgerPage = RouteResponse<typeof routes.listMyLedger>
export type LedgerEntry = LedgerPage['items'][number]
export type Withdrawal = RouteResponse<typeof routes.getMyWithdrawal>

export function getMyRewards(): Promise<MyRewards> {
  return call(routes.getMyRewards)
}

export function listMyLedger(page = 1, pageSize = 20): Promise<LedgerPage> {
  return call(routes.listMyLedger, { query: { page, pageSize } })
}

export function requestWithdrawal(amount: number): Promise<Withdrawal> {
  return call(routes.requestWithdrawal, { body: { amount } })
}

export function listMyWithdrawals(page = 1, pageSize = 20) {
  return call(routes.listMyWithdrawals, { query: { page, pageSize } })
}

export function getMyWithdrawal(id: number): Promise<Withdrawal> {
  return call(routes.getMyWithdrawal, { params: { id } })
}

/** h5 / development: the payout sandbox confirms receipt (weapp confirms with wx.requestMerchantTransfer). */
export function confirmWithdrawalSandbox(id: number): Promise<Withdrawal> {
  return call(routes.confirmMyWithdrawalSandbox, { params: { id } })
}
