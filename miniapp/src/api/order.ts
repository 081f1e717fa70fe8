import type { OrderStatus } from '@tuan/shared/enums'
import * as routes from '@tuan/shared/contracts'
import type { RouteResponse } from '@tuan/shared/contracts'
import type { OrderView, PayResponse } from '@tuan/shared/schemas'
import { call } from './request'

export type OrderPage = RouteResponse<typeof routes.listOrders>

export function listOrders(page = 1, pageSize = 10, status?: OrderStatus): Promise<OrderPage> {
  return call(routes.listOrders, { query: { page, pageSize, status } })
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
