import * as routes from '@tuan/shared/contracts'
import type { RouteResponse } from '@tuan/shared/contracts'
import type { CheckoutPreviewRequest, CheckoutPreviewResponse, UserCouponView } from '@tuan/shared/schemas'
import { call } from './request'

export type CouponCenter = RouteResponse<typeof routes.getCouponCenter>

export type UserCouponPage = RouteResponse<typeof routes.listMyCoupons>

/** The tabs of 我的优惠券; 'available' also lists coupons held by an unpaid order (status 'locked'). */
export type MyCouponTab = 'available' | 'used' | 'expired'

/** 领券中心. Signed in, each item also says how many I hold and whether I may claim another. */
export function getCouponCenter(): Promise<CouponCenter> {
  return call(routes.getCouponCenter)
}

/** Claims one coupon of a template (rate limited per user; never over-issued). */
export function claimCoupon(templateId: number): Promise<UserCouponView> {
  return call(routes.claimCoupon, { params: { id: templateId } })
}

export function listMyCoupons(status: MyCouponTab, page = 1, pageSize = 10): Promise<UserCouponPage> {
  return call(routes.listMyCoupons, { query: { status, page, pageSize } })
}

/** What an order would cost, with each of my coupons and the best one; nothing is reserved. */
export function previewCheckout(body: CheckoutPreviewRequest): Promise<CheckoutPreviewResponse> {
  return call(routes.previewCheckout, { body })
}
