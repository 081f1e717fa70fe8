import type { CouponKind, CouponScope } from './enums';
import { formatFen, formatYuanShort } from './money';

/** The parts of a coupon template the discount depends on. */
export interface CouponRule {
  kind: CouponKind;
  /** amount_off / no_threshold: fen taken off. */
  amountOff: number;
  /** Minimum goods amount in fen (0 = none). Ignored for no_threshold. */
  threshold: number;
  /** percent_off: percent taken off, 1–99 (e.g. 15 = 15% off, 八五折). */
  percentOff: number;
  /** percent_off: the most it may take off, in fen (0 = no cap). */
  maxDiscount: number;
  scope: CouponScope;
  /** Product ids or campaign ids, by scope. */
  scopeIds: number[];
}

export interface CouponTarget {
  goodsAmount: number;
  productId: number;
  campaignId: number | null;
}

export type CouponVerdict = { applicable: true; discount: number } | { applicable: false; reason: string; code: 'BELOW_THRESHOLD' | 'OUT_OF_SCOPE' | 'NOTHING_TO_DISCOUNT' };

/**
 * What a coupon takes off an order's goods amount. Percentages round down to the fen, the cap
 * applies after rounding, and the payable amount never drops below 1 fen (so the discount is at most
 * goods − 1). The same function runs on the server (the truth) and in the mini-program (preview).
 */
export function couponDiscount(rule: CouponRule, target: CouponTarget): CouponVerdict {
  const goods = target.goodsAmount;
  if (rule.scope === 'products' && !rule.scopeIds.includes(target.productId)) return { applicable: false, code: 'OUT_OF_SCOPE', reason: '该券不适用于此商品' };
  if (rule.scope === 'campaigns' && (target.campaignId === null || !rule.scopeIds.includes(target.campaignId))) return { applicable: false, code: 'OUT_OF_SCOPE', reason: '该券不适用于此活动' };
  if (rule.kind !== 'no_threshold' && goods < rule.threshold) return { applicable: false, code: 'BELOW_THRESHOLD', reason: `满${formatFen(rule.threshold)}可用` };
  if (goods <= 1) return { applicable: false, code: 'NOTHING_TO_DISCOUNT', reason: '订单金额过低' };
  let raw: number;
  if (rule.kind === 'percent_off') {
    raw = Math.floor((goods * rule.percentOff) / 100);
    if (rule.maxDiscount > 0) raw = Math.min(raw, rule.maxDiscount);
  } else {
    raw = rule.amountOff;
  }
  const discount = Math.max(0, Math.min(raw, goods - 1));
  if (discount === 0) return { applicable: false, code: 'NOTHING_TO_DISCOUNT', reason: '优惠金额为 0' };
  return { applicable: true, discount };
}

/** Short, as shoppers read coupons: 满19减3 / 8.5折 最高减10 / 满10 8折 / 无门槛减5 / 立减5 (amounts in yuan). */
export function couponLabel(rule: Pick<CouponRule, 'kind' | 'amountOff' | 'threshold' | 'percentOff' | 'maxDiscount'>): string {
  const y = formatYuanShort;
  if (rule.kind === 'no_threshold') return `无门槛减${y(rule.amountOff)}`;
  if (rule.kind === 'amount_off') return rule.threshold > 0 ? `满${y(rule.threshold)}减${y(rule.amountOff)}` : `立减${y(rule.amountOff)}`;
  const zhe = (100 - rule.percentOff) / 10;
  const base = `${Number.isInteger(zhe) ? zhe : zhe.toFixed(1)}折`;
  const cap = rule.maxDiscount > 0 ? ` 最高减${y(rule.maxDiscount)}` : '';
  const thr = rule.threshold > 0 ? `满${y(rule.threshold)} ` : '';
  return `${thr}${base}${cap}`;
}
