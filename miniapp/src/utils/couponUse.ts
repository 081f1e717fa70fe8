import Taro from '@tarojs/taro'
import type { CouponScope } from '@tuan/shared/enums'
import { ROUTES } from './routes'

/** A coupon is 即将过期 when it runs out within this long. */
export const EXPIRING_SOON_MS = 3 * 24 * 3600 * 1000

export function expiresSoon(validTo: string, nowMs: number = Date.now()): boolean {
  const left = Date.parse(validTo) - nowMs
  return left > 0 && left <= EXPIRING_SOON_MS
}

/**
 * 去使用: opens the goods the coupon applies to — its product or campaign page; a coupon for any
 * goods opens the home page. With several listed, the first one opens (its page leads on to the rest
 * of the shop); see README "Decisions — shopper journey".
 */
export function openCouponGoods(coupon: { scope: CouponScope; scopeIds: readonly number[] }): void {
  const first = coupon.scopeIds[0]
  if (coupon.scope === 'products' && first) void Taro.navigateTo({ url: ROUTES.product(first) })
  else if (coupon.scope === 'campaigns' && first) void Taro.navigateTo({ url: ROUTES.campaign(first) })
  else void Taro.switchTab({ url: ROUTES.home })
}

/** Where 去使用 leads, in words (under the button). */
export function couponScopeText(coupon: { scope: CouponScope; scopeIds: readonly number[] }): string {
  if (coupon.scope === 'products') return coupon.scopeIds.length > 1 ? `限 ${coupon.scopeIds.length} 款指定商品` : '限指定商品'
  if (coupon.scope === 'campaigns') return coupon.scopeIds.length > 1 ? `限 ${coupon.scopeIds.length} 个指定拼团` : '限指定拼团活动'
  return '全场通用'
}
