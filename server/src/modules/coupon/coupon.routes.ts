import { claimCoupon, getCouponCenter, listMyCoupons } from '@tuan/shared/contracts';
import type { RateLimiter } from '../../core/rate-limit';
import { rateLimit } from '../../http/rate-limit.middleware';
import type { ApiRouter } from '../../http/route';
import type { CouponService } from './coupon.service';

export function registerCouponRoutes(r: ApiRouter, coupons: CouponService, limiter: RateLimiter, claimsPerMin: number): void {
  r.add(
    getCouponCenter,
    (_, sctx) => coupons.center(sctx, sctx.actor.kind === 'user' ? sctx.actor.userId : null),
  );
  r.add(
    claimCoupon,
    ({ params }, sctx) => coupons.claim(sctx, params.id),
    { before: [rateLimit(limiter, { name: 'coupon-claim', limit: claimsPerMin, windowSec: 60, subject: (s, ip) => String(s.user?.id ?? ip) })] },
  );
  r.add(
    listMyCoupons,
    ({ query }, sctx) => coupons.myCoupons(sctx, query),
  );
}
