import type { CampaignView, GroupSummary, GroupView, OrderView } from '@tuan/shared/schemas'
import type { Page } from '@tuan/shared/schemas'
import { request } from './request'

export type CampaignPage = Page<CampaignView>

export interface GroupSummaryList {
  items: GroupSummary[]
  serverTime: string
}

export function listCampaigns(page = 1, pageSize = 10): Promise<CampaignPage> {
  return request<CampaignPage>('/api/campaigns', { query: { page, pageSize }, auth: false })
}

export function getCampaign(id: number): Promise<CampaignView> {
  return request<CampaignView>(`/api/campaigns/${id}`, { auth: false })
}

/** Open groups of a campaign that can still be joined. */
export function listCampaignGroups(campaignId: number): Promise<GroupSummaryList> {
  return request<GroupSummaryList>(`/api/campaigns/${campaignId}/groups`, { auth: false })
}

/** Public; with a token the answer also carries myRole / myOrderId. */
export function getGroup(id: number): Promise<GroupView> {
  return request<GroupView>(`/api/groups/${id}`)
}

export function myGroups(): Promise<GroupSummaryList> {
  return request<GroupSummaryList>('/api/my/groups')
}

/** `couponId` only when the user chose one: the server takes at most one coupon per order. */
function withCoupon<T extends object>(body: T, couponId?: number | null): T & { couponId?: number } {
  return couponId ? { ...body, couponId } : body
}

/** 一键开团: the opener's order, awaiting payment. `idempotencyKey` is per user action. */
export function launchGroup(campaignId: number, quantity: number, idempotencyKey: string, couponId?: number | null): Promise<OrderView> {
  return request<OrderView>('/api/groups', { method: 'POST', data: withCoupon({ campaignId, quantity }, couponId), headers: { 'Idempotency-Key': idempotencyKey } })
}

/** 去参团: reserves a seat and creates an order awaiting payment. */
export function joinGroup(groupId: number, quantity: number, idempotencyKey: string, couponId?: number | null): Promise<OrderView> {
  return request<OrderView>(`/api/groups/${groupId}/join`, { method: 'POST', data: withCoupon({ quantity }, couponId), headers: { 'Idempotency-Key': idempotencyKey } })
}

/** 单独购买 at list price (campaigns with allowSolo). */
export function buySolo(campaignId: number, quantity: number, idempotencyKey: string, couponId?: number | null): Promise<OrderView> {
  return request<OrderView>('/api/orders/solo', { method: 'POST', data: withCoupon({ campaignId, quantity }, couponId), headers: { 'Idempotency-Key': idempotencyKey } })
}
