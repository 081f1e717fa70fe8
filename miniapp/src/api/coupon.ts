import type { CheckoutPreviewRequest, CheckoutPreviewResponse, CouponCenterItem, Page, UserCouponView } from '@tuan/shared/schemas'
import { request } from './request'

export interface CouponCenter {
  items: CouponCenterItem[]
  serverTime: string
}

export type UserCouponPage = Page<UserCouponView>

/** The tabs of 我的优惠券; 'available' also lists coupons held by an unpaid order (status 'locked'). */
export type MyCouponTab = 'available' | 'used' | 'expired'

/** 领券中心. Signed in, each item also says how many I hold and whether I may claim another. */
export function getCouponCenter(): Promise<CouponCenter> {
  return request<CouponCenter>('/api/coupon-center')
}

/** Claims one coupon of a template (rate limited per user; never over-issued). */
export function claimCoupon(templateId: number): Promise<UserCouponView> {
  return request<UserCouponView>(`/api/coupon-templates/${templateId}/claim`, { method: 'POST' })
}

export function listMyCoupons(status: MyCouponTab, page = 1, pageSize = 10): Promise<UserCouponPage> {
  return request<UserCouponPage>('/api/my/coupons', { query: { status, page, pageSize } })
}

/** What an order would cost, with each of my coupons and the best one; nothing is reserved. */
export function previewCheckout(body: CheckoutPreviewRequest): Promise<CheckoutPreviewResponse> {
  return request<CheckoutPreviewResponse>('/api/checkout/preview', { method: 'POST', data: body })
}
