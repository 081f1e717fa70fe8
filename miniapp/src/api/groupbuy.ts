import * as routes from '@tuan/shared/contracts'
import type { RouteResponse } from '@tuan/shared/contracts'
import type { CampaignView, FulfilmentChoice, GroupView, OrderView } from '@tuan/shared/schemas'
import { getShareToken } from '../share/capture'
import { call } from './request'

export type CampaignPage = RouteResponse<typeof routes.listCampaigns>

export type GroupSummaryList = RouteResponse<typeof routes.listCampaignGroups>

/** Running campaigns; with `productId`, only that product's (the product page's group deals). */
export function listCampaigns(page = 1, pageSize = 10, productId?: number): Promise<CampaignPage> {
  return call(routes.listCampaigns, { query: { page, pageSize, productId } })
}

export function getCampaign(id: number): Promise<CampaignView> {
  return call(routes.getCampaign, { params: { id } })
}

/** Open groups of a campaign that can still be joined. */
export function listCampaignGroups(campaignId: number): Promise<GroupSummaryList> {
  return call(routes.listCampaignGroups, { params: { id: campaignId } })
}

/** Public; with a token the answer also carries myRole / myOrderId. */
export function getGroup(id: number): Promise<GroupView> {
  return call(routes.getGroup, { params: { id } })
}

/** 我的拼团: groups I opened or joined, with the goods and my role and order. */
export function myGroups(): Promise<RouteResponse<typeof routes.myGroups>> {
  return call(routes.myGroups)
}

/** `couponId` only when the user chose one: the server takes at most one coupon per order. */
function withCoupon<T extends object>(body: T, couponId?: number | null): T & { couponId?: number } {
  return couponId ? { ...body, couponId } : body
}

/** 一键开团: the opener's order, awaiting payment. `idempotencyKey` is per user action. */
export function launchGroup(campaignId: number, quantity: number, idempotencyKey: string, couponId?: number | null, addressId?: number | null, fulfilment?: FulfilmentChoice | null): Promise<OrderView> {
  return call(routes.launchGroup, { body: withFulfilment(withShare(withAddress(withCoupon({ campaignId, quantity }, couponId), addressId)), fulfilment), idempotencyKey })
}

/** 去参团: reserves a seat and creates an order awaiting payment. */
export function joinGroup(groupId: number, quantity: number, idempotencyKey: string, couponId?: number | null, addressId?: number | null, fulfilment?: FulfilmentChoice | null): Promise<OrderView> {
  return call(routes.joinGroup, { params: { id: groupId }, body: withFulfilment(withShare(withAddress(withCoupon({ quantity }, couponId), addressId)), fulfilment), idempotencyKey })
}

/** 单独购买 at list price (campaigns with allowSolo). */
export function buySolo(campaignId: number, quantity: number, idempotencyKey: string, couponId?: number | null, addressId?: number | null, fulfilment?: FulfilmentChoice | null): Promise<OrderView> {
  return call(routes.buySolo, { body: withFulfilment(withShare(withAddress(withCoupon({ campaignId, quantity }, couponId), addressId)), fulfilment), idempotencyKey })
}

/** The share token I arrived through (kept since I opened it): the server attributes the order to it. */
function withShare<T extends object>(body: T): T & { shareToken?: string } {
  const shareToken = getShareToken()
  return shareToken ? { ...body, shareToken } : body
}

/** The delivery address of the order; none → the server uses my default one. */
function withAddress<T extends object>(body: T, addressId?: number | null): T & { addressId?: number } {
  return addressId ? { ...body, addressId } : body
}

/** 到店自提 at a point (none given → the point I chose before), or delivery (the default when absent). */
function withFulfilment<T extends object>(body: T, fulfilment?: FulfilmentChoice | null): T & { fulfilment?: FulfilmentChoice } {
  return fulfilment ? { ...body, fulfilment } : body
}
