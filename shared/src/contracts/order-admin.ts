import {
  AdminOrderDetail, AdminOrderPage, AdminOrderQuery, AdminRefundRequest, AfterSaleListQuery, AfterSalePage, AfterSaleRejectRequest, AfterSaleView,
  BulkShipRequest, BulkShipResult, IdParams, ShipRequest,
} from '../schemas';
import { defineRoute, type RouteAuth } from './define';

// ---------- operators: orders, shipping, refunds, after-sale (the `admin` role always passes) ----------
const tags = ['admin: orders'];
/** Everyone who works on orders may look at them. */
const ORDER_READERS = { roles: ['operator', 'support', 'finance'] } as const satisfies RouteAuth;
/** Shipping is warehouse work: operators. */
const SHIPPERS = { roles: ['operator'] } as const satisfies RouteAuth;
/** Money back on a paid order: finance and support. */
const REFUNDERS = { roles: ['finance', 'support'] } as const satisfies RouteAuth;
/** The after-sale queue: support. */
const AFTER_SALE_DESK = { roles: ['support'] } as const satisfies RouteAuth;

export const adminListOrders = defineRoute({
  method: 'get', path: '/admin/orders', summary: 'Search orders (status, user, campaign, order number, created between), newest first', tags, auth: ORDER_READERS,
  query: AdminOrderQuery, response: AdminOrderPage,
});

export const adminGetOrder = defineRoute({
  method: 'get', path: '/admin/orders/:id', summary: 'An order with its timeline, payment, refunds, after-sales and delivery', tags, auth: ORDER_READERS,
  params: IdParams, response: AdminOrderDetail,
});

export const adminShipOrder = defineRoute({
  method: 'post', path: '/admin/orders/:id/ship', summary: 'Ship an order (to_fulfil → shipped) with carrier and tracking number (audited)', tags, auth: SHIPPERS,
  params: IdParams, body: ShipRequest, response: AdminOrderDetail, status: 200,
});

export const adminBulkShip = defineRoute({
  method: 'post', path: '/admin/orders/bulk-ship', summary: 'Ship many orders by order number; one result per line (each shipment audited)', tags, auth: SHIPPERS,
  body: BulkShipRequest, response: BulkShipResult, status: 200,
});

export const adminRefundOrder = defineRoute({
  method: 'post', path: '/admin/orders/:id/refund', summary: 'Refund part or all of a paid order (never past what was paid; audited)', tags, auth: REFUNDERS,
  params: IdParams, body: AdminRefundRequest, response: AdminOrderDetail, status: 200,
});

export const adminListAfterSales = defineRoute({
  method: 'get', path: '/admin/after-sales', summary: 'The after-sale queue (oldest first), by status or order', tags, auth: AFTER_SALE_DESK,
  query: AfterSaleListQuery, response: AfterSalePage,
});

export const adminApproveAfterSale = defineRoute({
  method: 'post', path: '/admin/after-sales/:id/approve', summary: 'Approve: refund only → the refund starts; return and refund → wait for the goods (audited)', tags, auth: AFTER_SALE_DESK,
  params: IdParams, response: AfterSaleView, status: 200,
});

export const adminRejectAfterSale = defineRoute({
  method: 'post', path: '/admin/after-sales/:id/reject', summary: 'Reject with a reason (audited)', tags, auth: AFTER_SALE_DESK,
  params: IdParams, body: AfterSaleRejectRequest, response: AfterSaleView, status: 200,
});

export const adminConfirmReturn = defineRoute({
  method: 'post', path: '/admin/after-sales/:id/confirm-return', summary: 'The returned goods arrived: the refund starts (audited)', tags, auth: AFTER_SALE_DESK,
  params: IdParams, response: AfterSaleView, status: 200,
});
