import type { OrderStatus } from '@tuan/shared/enums'
import type { OrderSummary, OrderView, Page, PayResponse } from '@tuan/shared/schemas'
import { request } from './request'

export type OrderPage = Page<OrderSummary>

export function listOrders(page = 1, pageSize = 10, status?: OrderStatus): Promise<OrderPage> {
  return request<OrderPage>('/api/orders', { query: { page, pageSize, status } })
}

export function getOrder(id: number): Promise<OrderView> {
  return request<OrderView>(`/api/orders/${id}`)
}

/** Unpaid orders only; the seat, stock and limits come back. */
export function cancelOrder(id: number): Promise<OrderView> {
  return request<OrderView>(`/api/orders/${id}/cancel`, { method: 'POST' })
}

/** Parameters for Taro.requestPayment (or the sandbox equivalent). */
export function startPayment(id: number, idempotencyKey: string): Promise<PayResponse> {
  return request<PayResponse>(`/api/orders/${id}/pay`, { method: 'POST', headers: { 'Idempotency-Key': idempotencyKey } })
}

/** 模拟支付 (sandbox provider only): the server sends itself the signed payment notification. */
export function sandboxPay(id: number, idempotencyKey: string): Promise<OrderView> {
  return request<OrderView>(`/api/orders/${id}/sandbox-pay`, { method: 'POST', headers: { 'Idempotency-Key': idempotencyKey } })
}
