import {
  adminApproveAfterSale, adminBulkShip, adminConfirmReturn, adminGetOrder, adminListAfterSales, adminListOrders, adminRefundOrder, adminRejectAfterSale, adminShipOrder,
} from '@tuan/shared/contracts';
import type { ApiRouter } from '../../http/route';
import type { OrderAdminService } from './order.admin.service';
import type { AfterSaleService } from './order.aftersale';

/** Operators' order routes; the contracts declare who may call each. */
export function registerOrderAdminRoutes(r: ApiRouter, admin: OrderAdminService, afterSales: AfterSaleService): void {
  r.add(adminListOrders, ({ query }, sctx) => admin.search(sctx, query));
  r.add(adminGetOrder, ({ params }, sctx) => admin.detail(sctx, params.id));
  r.add(adminShipOrder, ({ params, body }, sctx) => admin.ship(sctx, params.id, body.carrier, body.trackingNo));
  r.add(adminBulkShip, ({ body }, sctx) => admin.bulkShip(sctx, body));
  r.add(adminRefundOrder, ({ params, body }, sctx) => admin.refund(sctx, params.id, body.amount, body.note));
  r.add(adminListAfterSales, ({ query }, sctx) => afterSales.queue(sctx, query));
  r.add(adminApproveAfterSale, ({ params }, sctx) => admin.approveAfterSale(sctx, params.id));
  r.add(adminRejectAfterSale, ({ params, body }, sctx) => admin.rejectAfterSale(sctx, params.id, body.reason));
  r.add(adminConfirmReturn, ({ params }, sctx) => admin.confirmReturn(sctx, params.id));
}
