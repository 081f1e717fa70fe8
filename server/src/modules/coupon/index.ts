export { CouponService } from './coupon.service';
export { registerCouponRoutes } from './coupon.routes';
export { registerCouponAdminRoutes } from './coupon.admin.routes';
