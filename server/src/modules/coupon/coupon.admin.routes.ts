import {
  activateCouponTemplate,
  createCouponTemplate,
  endCouponTemplate,
  grantCoupons,
  listCouponTemplates,
  pauseCouponTemplate,
  updateCouponTemplate,
} from '@tuan/shared/contracts';
import type { ApiRouter } from '../../http/route';
import type { CouponService } from './coupon.service';

export function registerCouponAdminRoutes(r: ApiRouter, coupons: CouponService): void {
  r.add(
    listCouponTemplates,
    ({ query }, sctx) => coupons.listTemplates(sctx, query.page, query.pageSize),
  );
  r.add(
    createCouponTemplate,
    ({ body }, sctx) => coupons.createTemplate(sctx, body),
  );
  r.add(
    updateCouponTemplate,
    ({ params, body }, sctx) => coupons.updateTemplate(sctx, params.id, body),
  );
  for (const [contract, to] of [[activateCouponTemplate, 'active'], [pauseCouponTemplate, 'paused'], [endCouponTemplate, 'ended']] as const) {
    r.add(
      contract,
      ({ params }, sctx) => coupons.setStatus(sctx, params.id, to),
    );
  }
  r.add(
    grantCoupons,
    ({ params, body }, sctx) => coupons.grant(sctx, params.id, body.userIds),
  );
}
