import * as routes from '@tuan/shared/contracts'
import type { RouteResponse } from '@tuan/shared/contracts'
import type { AfterSaleRequest, AfterSaleView, OrderTab, OrderView, PayResponse, ReturnShipmentRequest } from '@tuan/shared/schemas'
import { call } from './request'

export type OrderPage = RouteResponse<typeof routes.listOrders>

/** One of the 订单 tabs (待付款 / 待成团 / 待发货 / 待收货 / 已完成 / 售后), or all orders. */
export function listOrders(page = 1, pageSize = 10, tab?: OrderTab): Promise<OrderPage> {
  return call(routes.listOrders, { query: { page, pageSize, tab } })
}

export function getOrder(id: number): Promise<OrderView> {
  return call(routes.getOrder, { params: { id } })
}

/** Unpaid orders only; the seat, stock and limits come back. */
export function cancelOrder(id: number): Promise<OrderView> {
  return call(routes.cancelOrder, { params: { id } })
}

/** Parameters for Taro.requestPayment (or the sandbox equivalent). */
export function startPayment(id: number, idempotencyKey: string): Promise<PayResponse> {
  return call(routes.startPayment, { params: { id }, idempotencyKey })
}

/**
 * 模拟支付 (sandbox provider only): the server sends itself the signed payment notification.
 * The route does not take an Idempotency-Key (its contract is not idempotent), so the action's key
 * is not sent; a repeat after the order was paid is refused as ORDER_NOT_PAYABLE.
 */
export function sandboxPay(id: number, _idempotencyKey: string): Promise<OrderView> {
  return call(routes.sandboxPay, { params: { id } })
}

/** 确认收货: my shipped order is completed; the after-sale window starts. */
export function confirmReceipt(id: number): Promise<OrderView> {
  return call(routes.confirmReceipt, { params: { id } })
}

/** 申请售后 on my order. */
export function requestAfterSale(orderId: number, body: AfterSaleRequest): Promise<AfterSaleView> {
  return call(routes.requestAfterSale, { params: { id: orderId }, body })
}

export function getAfterSale(id: number): Promise<AfterSaleView> {
  return call(routes.getAfterSale, { params: { id } })
}

export function cancelAfterSale(id: number): Promise<AfterSaleView> {
  return call(routes.cancelAfterSale, { params: { id } })
}

/** 退货退款: the tracking number of the goods I sent back. */
export function submitReturnShipment(id: number, body: ReturnShipmentRequest): Promise<AfterSaleView> {
  return call(routes.submitReturnShipment, { params: { id }, body })
}
