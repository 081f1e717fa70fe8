import { CouponTemplatePage, CouponTemplateView, CreateCouponTemplateRequest, GrantCouponsRequest, GrantCouponsResponse, IdParams, PageQuery, UpdateCouponTemplateRequest } from '@tuan/shared';
import type { ApiRouter } from '../../http/route';
import type { CouponService } from './coupon.service';

export function registerCouponAdminRoutes(r: ApiRouter, coupons: CouponService): void {
  const tags = ['admin: coupons'];
  const EDIT = { roles: ['operator'] as const };
  r.add(
    { method: 'get', path: '/admin/coupon-templates', summary: 'Coupon templates', tags, auth: { roles: ['operator', 'support', 'finance'] }, query: PageQuery, response: CouponTemplatePage },
    ({ query }, sctx) => coupons.listTemplates(sctx, query.page, query.pageSize),
  );
  r.add(
    { method: 'post', path: '/admin/coupon-templates', summary: 'Create a coupon template', tags, auth: EDIT, body: CreateCouponTemplateRequest, response: CouponTemplateView },
    ({ body }, sctx) => coupons.createTemplate(sctx, body),
  );
  r.add(
    { method: 'patch', path: '/admin/coupon-templates/:id', summary: 'Edit a template (stock never below issued)', tags, auth: EDIT, params: IdParams, body: UpdateCouponTemplateRequest, response: CouponTemplateView },
    ({ params, body }, sctx) => coupons.updateTemplate(sctx, params.id, body),
  );
  for (const [action, to] of [['activate', 'active'], ['pause', 'paused'], ['end', 'ended']] as const) {
    r.add(
      { method: 'post', path: `/admin/coupon-templates/:id/${action}`, summary: `Template → ${to}`, tags, auth: EDIT, params: IdParams, response: CouponTemplateView, status: 200 },
      ({ params }, sctx) => coupons.setStatus(sctx, params.id, to),
    );
  }
  r.add(
    { method: 'post', path: '/admin/coupon-templates/:id/grants', summary: 'Grant a template to listed users (audited)', tags, auth: EDIT, params: IdParams, body: GrantCouponsRequest, response: GrantCouponsResponse, status: 200 },
    ({ params, body }, sctx) => coupons.grant(sctx, params.id, body.userIds),
  );
}
