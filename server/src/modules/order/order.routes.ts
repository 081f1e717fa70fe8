import type { PayResponse } from '@tuan/shared';
import { cancelAfterSale, cancelOrder, confirmReceipt, getAfterSale, getOrder, listOrders, requestAfterSale, sandboxPay, startPayment, submitReturnShipment } from '@tuan/shared/contracts';
import type Redis from 'ioredis';
import type { ServiceContext } from '../../core/context';
import { idempotency } from '../../http/idempotency.middleware';
import type { ApiRouter } from '../../http/route';
import type { AfterSaleService } from './order.aftersale';
import type { FulfilmentService } from './order.fulfilment';
import type { OrderOutcomes } from './order.outcomes';
import type { OrderService } from './order.service';

/** What the order routes need of payments (the payment module implements it; orders never import it). */
export interface OrderPayments {
  pay(ctx: ServiceContext, orderId: number): Promise<PayResponse>;
  sandboxPay(ctx: ServiceContext, orderId: number): Promise<unknown>;
}

export interface OrderRouteServices {
  orders: OrderService;
  outcomes: OrderOutcomes;
  fulfilment: FulfilmentService;
  afterSales: AfterSaleService;
}

export function registerOrderRoutes(r: ApiRouter, { orders, outcomes, fulfilment, afterSales }: OrderRouteServices, payments: OrderPayments, redis: Redis, prefix: string): void {
  r.add(
    listOrders,
    ({ query }, sctx) => orders.list(sctx, query),
  );
  r.add(
    getOrder,
    ({ params }, sctx) => orders.view(sctx, params.id),
  );
  r.add(
    cancelOrder,
    ({ params }, sctx) => outcomes.cancelByUser(sctx, params.id),
  );
  r.add(
    startPayment,
    ({ params }, sctx) => payments.pay(sctx, params.id),
    { before: [idempotency(redis, prefix, 'pay')] },
  );
  r.add(
    sandboxPay,
    async ({ params }, sctx) => {
      await payments.sandboxPay(sctx, params.id);
      return orders.view(sctx, params.id);
    },
  );
  r.add(confirmReceipt, ({ params }, sctx) => fulfilment.confirmReceipt(sctx, params.id));
  r.add(requestAfterSale, ({ params, body }, sctx) => afterSales.request(sctx, params.id, body));
  r.add(getAfterSale, ({ params }, sctx) => afterSales.mine(sctx, params.id));
  r.add(cancelAfterSale, ({ params }, sctx) => afterSales.cancel(sctx, params.id));
  r.add(submitReturnShipment, ({ params, body }, sctx) => afterSales.returnShipment(sctx, params.id, body));
}
