import { CouponCenterResponse, IdParams, MyCouponsQuery, UserCouponPage, UserCouponView } from '@tuan/shared';
import type { RateLimiter } from '../../core/rate-limit';
import { rateLimit } from '../../http/rate-limit.middleware';
import type { ApiRouter } from '../../http/route';
import type { CouponService } from './coupon.service';

export function registerCouponRoutes(r: ApiRouter, coupons: CouponService, limiter: RateLimiter, claimsPerMin: number): void {
  const tags = ['coupons'];
  r.add(
    { method: 'get', path: '/api/coupon-center', summary: '领券中心: claimable templates, remaining stock, my claimed count', tags, auth: 'optional', response: CouponCenterResponse },
    (_, sctx) => coupons.center(sctx, sctx.actor.kind === 'user' ? sctx.actor.userId : null),
  );
  r.add(
    {
      method: 'post', path: '/api/coupon-templates/:id/claim', summary: 'Claim a coupon (never over-issued; rate limited per user)', tags, auth: 'user', params: IdParams, response: UserCouponView,
      before: [rateLimit(limiter, { name: 'coupon-claim', limit: claimsPerMin, windowSec: 60, subject: (s, ip) => String(s.user?.id ?? ip) })],
    },
    ({ params }, sctx) => coupons.claim(sctx, params.id),
  );
  r.add(
    { method: 'get', path: '/api/my/coupons', summary: 'My coupons: available (incl. held by an unpaid order), used or expired', tags, auth: 'user', query: MyCouponsQuery, response: UserCouponPage },
    ({ query }, sctx) => coupons.myCoupons(sctx, query),
  );
}
