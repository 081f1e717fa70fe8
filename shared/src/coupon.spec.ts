import fc from 'fast-check';
import { couponDiscount, couponLabel, type CouponRule } from './coupon';

const rule = fc.record<CouponRule>({
  kind: fc.constantFrom('amount_off', 'percent_off', 'no_threshold'),
  amountOff: fc.integer({ min: 1, max: 1_000_000 }),
  threshold: fc.integer({ min: 0, max: 1_000_000 }),
  percentOff: fc.integer({ min: 1, max: 99 }),
  maxDiscount: fc.integer({ min: 0, max: 1_000_000 }),
  scope: fc.constant('all'),
  scopeIds: fc.constant([]),
});
const goods = fc.integer({ min: 1, max: 100_000_000 });

describe('couponDiscount (properties)', () => {
  it('payable is never below 1 fen and the discount never exceeds the goods amount', () => {
    fc.assert(
      fc.property(rule, goods, (r, g) => {
        const v = couponDiscount(r, { goodsAmount: g, productId: 1, campaignId: null });
        if (v.applicable) {
          expect(Number.isInteger(v.discount)).toBe(true);
          expect(v.discount).toBeGreaterThan(0);
          expect(v.discount).toBeLessThanOrEqual(g);
          expect(g - v.discount).toBeGreaterThanOrEqual(1);
        }
      }),
    );
  });
  it('the threshold is respected: below it nothing applies (except no-threshold coupons)', () => {
    fc.assert(
      fc.property(rule, goods, (r, g) => {
        const v = couponDiscount(r, { goodsAmount: g, productId: 1, campaignId: null });
        if (r.kind !== 'no_threshold' && g < r.threshold) expect(v.applicable).toBe(false);
      }),
    );
  });
  it('percent off rounds down to the fen and respects the cap', () => {
    fc.assert(
      fc.property(rule.map((r) => ({ ...r, kind: 'percent_off' as const, threshold: 0 })), fc.integer({ min: 2, max: 100_000_000 }), (r, g) => {
        const v = couponDiscount(r, { goodsAmount: g, productId: 1, campaignId: null });
        const exact = (g * r.percentOff) / 100;
        if (v.applicable) {
          expect(v.discount).toBeLessThanOrEqual(Math.floor(exact));
          if (r.maxDiscount > 0) expect(v.discount).toBeLessThanOrEqual(r.maxDiscount);
          // Nothing but the cap or the 1-fen floor makes it smaller than the rounded-down percentage.
          expect(v.discount).toBe(Math.min(Math.floor(exact), r.maxDiscount > 0 ? r.maxDiscount : Infinity, g - 1));
        }
      }),
    );
  });
  it('examples', () => {
    const base = { scope: 'all' as const, scopeIds: [], maxDiscount: 0, percentOff: 0, threshold: 0, amountOff: 0 };
    expect(couponDiscount({ ...base, kind: 'amount_off', threshold: 10000, amountOff: 2000 }, { goodsAmount: 9999, productId: 1, campaignId: null })).toMatchObject({ applicable: false, code: 'BELOW_THRESHOLD' });
    expect(couponDiscount({ ...base, kind: 'amount_off', threshold: 10000, amountOff: 2000 }, { goodsAmount: 10000, productId: 1, campaignId: null })).toEqual({ applicable: true, discount: 2000 });
    expect(couponDiscount({ ...base, kind: 'percent_off', percentOff: 15, maxDiscount: 1000 }, { goodsAmount: 3333, productId: 1, campaignId: null })).toEqual({ applicable: true, discount: 499 });
    expect(couponDiscount({ ...base, kind: 'no_threshold', amountOff: 500 }, { goodsAmount: 300, productId: 1, campaignId: null })).toEqual({ applicable: true, discount: 299 });
    expect(couponDiscount({ ...base, kind: 'no_threshold', amountOff: 500, scope: 'campaigns', scopeIds: [7] }, { goodsAmount: 3000, productId: 1, campaignId: 8 })).toMatchObject({ applicable: false, code: 'OUT_OF_SCOPE' });
    expect(couponLabel({ kind: 'amount_off', threshold: 10000, amountOff: 2000, percentOff: 0, maxDiscount: 0 })).toBe('满100减20');
    expect(couponLabel({ kind: 'percent_off', threshold: 0, amountOff: 0, percentOff: 15, maxDiscount: 1000 })).toBe('8.5折 最高减10');
    expect(couponLabel({ kind: 'percent_off', threshold: 1000, amountOff: 0, percentOff: 20, maxDiscount: 0 })).toBe('满10 8折');
    expect(couponLabel({ kind: 'amount_off', threshold: 1900, amountOff: 300, percentOff: 0, maxDiscount: 0 })).toBe('满19减3');
    expect(couponLabel({ kind: 'no_threshold', threshold: 0, amountOff: 250, percentOff: 0, maxDiscount: 0 })).toBe('无门槛减2.5');
    expect(couponLabel({ kind: 'amount_off', threshold: 0, amountOff: 5, percentOff: 0, maxDiscount: 0 })).toBe('立减0.05');
  });
});
