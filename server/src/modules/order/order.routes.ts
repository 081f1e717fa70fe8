import type { PayResponse } from '@tuan/shared';
import { cancelOrder, getOrder, listOrders, sandboxPay, startPayment } from '@tuan/shared/contracts';
import type Redis from 'ioredis';
import type { ServiceContext } from '../../core/context';
import { idempotency } from '../../http/idempotency.middleware';
import type { ApiRouter } from '../../http/route';
import type { OrderOutcomes } from './order.outcomes';
import type { OrderService } from './order.service';

/** What the order routes need of payments (the payment module implements it; orders never import it). */
export interface OrderPayments {
  pay(ctx: ServiceContext, orderId: number): Promise<PayResponse>;
  sandboxPay(ctx: ServiceContext, orderId: number): Promise<unknown>;
}

export function registerOrderRoutes(r: ApiRouter, orders: OrderService, outcomes: OrderOutcomes, payments: OrderPayments, redis: Redis, prefix: string): void {
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
}
