export { CouponService, type CouponServiceDeps } from './coupon.service';
export { registerCouponRoutes } from './coupon.routes';
export { registerCouponAdminRoutes } from './coupon.admin.routes';
