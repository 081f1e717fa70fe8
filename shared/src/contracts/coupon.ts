import {
  CouponCenterResponse,
  CouponTemplatePage,
  CouponTemplateView,
  CreateCouponTemplateRequest,
  GrantCouponsRequest,
  GrantCouponsResponse,
  IdParams,
  MyCouponsQuery,
  PageQuery,
  UpdateCouponTemplateRequest,
  UserCouponPage,
  UserCouponView,
} from '../schemas';
import { defineRoute } from './define';
import { EDITORS, READERS } from './roles';

// ---------- shoppers ----------
const tags = ['coupons'];

export const getCouponCenter = defineRoute({
  method: 'get', path: '/api/coupon-center', summary: '领券中心: claimable templates, remaining stock, my claimed count', tags, auth: 'optional',
  response: CouponCenterResponse,
});

export const claimCoupon = defineRoute({
  method: 'post', path: '/api/coupon-templates/:id/claim', summary: 'Claim a coupon (never over-issued; rate limited per user)', tags, auth: 'user',
  params: IdParams, response: UserCouponView,
});

export const listMyCoupons = defineRoute({
  method: 'get', path: '/api/my/coupons', summary: 'My coupons: available (incl. held by an unpaid order), used or expired', tags, auth: 'user',
  query: MyCouponsQuery, response: UserCouponPage,
});

// ---------- operators ----------
const adminTags = ['admin: coupons'];

export const listCouponTemplates = defineRoute({
  method: 'get', path: '/admin/coupon-templates', summary: 'Coupon templates', tags: adminTags, auth: READERS, query: PageQuery, response: CouponTemplatePage,
});

export const createCouponTemplate = defineRoute({
  method: 'post', path: '/admin/coupon-templates', summary: 'Create a coupon template', tags: adminTags, auth: EDITORS,
  body: CreateCouponTemplateRequest, response: CouponTemplateView,
});

export const updateCouponTemplate = defineRoute({
  method: 'patch', path: '/admin/coupon-templates/:id', summary: 'Edit a template (stock never below issued)', tags: adminTags, auth: EDITORS,
  params: IdParams, body: UpdateCouponTemplateRequest, response: CouponTemplateView,
});

export const activateCouponTemplate = defineRoute({
  method: 'post', path: '/admin/coupon-templates/:id/activate', summary: 'Template → active', tags: adminTags, auth: EDITORS,
  params: IdParams, response: CouponTemplateView, status: 200,
});

export const pauseCouponTemplate = defineRoute({
  method: 'post', path: '/admin/coupon-templates/:id/pause', summary: 'Template → paused', tags: adminTags, auth: EDITORS,
  params: IdParams, response: CouponTemplateView, status: 200,
});

export const endCouponTemplate = defineRoute({
  method: 'post', path: '/admin/coupon-templates/:id/end', summary: 'Template → ended', tags: adminTags, auth: EDITORS,
  params: IdParams, response: CouponTemplateView, status: 200,
});

export const grantCoupons = defineRoute({
  method: 'post', path: '/admin/coupon-templates/:id/grants', summary: 'Grant a template to listed users (audited)', tags: adminTags, auth: EDITORS,
  params: IdParams, body: GrantCouponsRequest, response: GrantCouponsResponse, status: 200,
});
