import { IdParams, OrderListQuery, OrderPage, OrderView, PayResponse } from '../schemas';
import { defineRoute } from './define';

const tags = ['orders'];

export const listOrders = defineRoute({
  method: 'get', path: '/api/orders', summary: 'My orders', tags, auth: 'user', query: OrderListQuery, response: OrderPage,
});

export const getOrder = defineRoute({
  method: 'get', path: '/api/orders/:id', summary: 'My order with its timeline and refunds (owner only)', tags, auth: 'user',
  params: IdParams, response: OrderView,
});

export const cancelOrder = defineRoute({
  method: 'post', path: '/api/orders/:id/cancel', summary: 'Cancel my unpaid order (seat, stock and limits come back)', tags, auth: 'user',
  params: IdParams, response: OrderView, status: 200,
});

export const startPayment = defineRoute({
  method: 'post', path: '/api/orders/:id/pay', summary: 'Start payment: parameters for Taro.requestPayment', tags, auth: 'user',
  params: IdParams, response: PayResponse, status: 200, idempotent: true,
});

export const sandboxPay = defineRoute({
  method: 'post', path: '/api/orders/:id/sandbox-pay', summary: 'Sandbox only (模拟支付): the sandbox sends the signed payment notification', tags, auth: 'user',
  params: IdParams, response: OrderView, status: 200,
});
