import { IdParams, OrderListQuery, OrderPage, OrderView, PayResponse } from '@tuan/shared';
import type Redis from 'ioredis';
import { idempotency } from '../../http/idempotency.middleware';
import type { ApiRouter } from '../../http/route';
import type { GroupbuyService } from '../groupbuy/groupbuy.service';
import type { PaymentService } from '../payment/payment.service';
import type { OrderService } from './order.service';

export function registerOrderRoutes(r: ApiRouter, orders: OrderService, gb: GroupbuyService, payments: PaymentService, redis: Redis, prefix: string): void {
  const tags = ['orders'];
  r.add(
    { method: 'get', path: '/api/orders', summary: 'My orders', tags, auth: 'user', query: OrderListQuery, response: OrderPage },
    ({ query }, sctx) => orders.list(sctx, query),
  );
  r.add(
    { method: 'get', path: '/api/orders/:id', summary: 'My order with its timeline and refunds (owner only)', tags, auth: 'user', params: IdParams, response: OrderView },
    ({ params }, sctx) => orders.view(sctx, params.id),
  );
  r.add(
    { method: 'post', path: '/api/orders/:id/cancel', summary: 'Cancel my unpaid order (seat, stock and limits come back)', tags, auth: 'user', params: IdParams, response: OrderView, status: 200 },
    ({ params }, sctx) => gb.cancelByUser(sctx, params.id),
  );
  r.add(
    { method: 'post', path: '/api/orders/:id/pay', summary: 'Start payment: parameters for Taro.requestPayment', tags, auth: 'user', params: IdParams, response: PayResponse, status: 200, before: [idempotency(redis, prefix, 'pay')] },
    ({ params }, sctx) => payments.pay(sctx, params.id),
  );
  r.add(
    { method: 'post', path: '/api/orders/:id/sandbox-pay', summary: 'Sandbox only (模拟支付): the sandbox sends the signed payment notification', tags, auth: 'user', params: IdParams, response: OrderView, status: 200 },
    async ({ params }, sctx) => {
      await payments.sandboxPay(sctx, params.id);
      return orders.view(sctx, params.id);
    },
  );
}
