import { AfterSaleRequest, AfterSaleView, IdParams, OrderListQuery, OrderPage, OrderView, PayResponse, ReturnShipmentRequest } from '../schemas';
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

export const confirmReceipt = defineRoute({
  method: 'post', path: '/api/orders/:id/confirm-receipt', summary: '确认收货: my shipped order is completed (the after-sale window starts)', tags, auth: 'user',
  params: IdParams, response: OrderView, status: 200,
});

// ---------- after-sale (售后), the shopper's side ----------
export const requestAfterSale = defineRoute({
  method: 'post', path: '/api/orders/:id/after-sales', summary: 'Ask for a refund (仅退款) or a return and refund (退货退款) on my order', tags, auth: 'user',
  params: IdParams, body: AfterSaleRequest, response: AfterSaleView,
});

export const getAfterSale = defineRoute({
  method: 'get', path: '/api/after-sales/:id', summary: 'My after-sale request (owner only)', tags, auth: 'user',
  params: IdParams, response: AfterSaleView,
});

export const cancelAfterSale = defineRoute({
  method: 'post', path: '/api/after-sales/:id/cancel', summary: 'Withdraw my after-sale request (before a refund started)', tags, auth: 'user',
  params: IdParams, response: AfterSaleView, status: 200,
});

export const submitReturnShipment = defineRoute({
  method: 'post', path: '/api/after-sales/:id/return-shipment', summary: 'The tracking number of the goods I sent back (退货退款, once approved)', tags, auth: 'user',
  params: IdParams, body: ReturnShipmentRequest, response: AfterSaleView, status: 200,
});
