import { cancelOrder, getOrder, listOrders, sandboxPay, startPayment } from '@tuan/shared/contracts';
import type Redis from 'ioredis';
import { idempotency } from '../../http/idempotency.middleware';
import type { ApiRouter } from '../../http/route';
import type { GroupbuyService } from '../groupbuy/groupbuy.service';
import type { PaymentService } from '../payment/payment.service';
import type { OrderService } from './order.service';

export function registerOrderRoutes(r: ApiRouter, orders: OrderService, gb: GroupbuyService, payments: PaymentService, redis: Redis, prefix: string): void {
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
    ({ params }, sctx) => gb.cancelByUser(sctx, params.id),
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
