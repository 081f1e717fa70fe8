import { groupStatusZh, orderStatusZh, type FulfilmentMode, type GroupStatus, type OrderKind, type OrderStatus } from '@tuan/shared/enums'

/**
 * The label of an order's amount, true for its state: money that was never taken is not 实付.
 * Unpaid → 需付款; closed without payment → 应付; otherwise the shopper paid it → 实付.
 */
export function amountLabel(status: OrderStatus): string {
  if (status === 'pending_payment') return '需付款'
  if (status === 'cancelled') return '应付'
  return '实付'
}

/** The group's state as this order's owner should read it: the opener's own unpaid group waits for them, not for "团长". */
export function groupStatusFor(order: { kind: OrderKind; groupStatus: GroupStatus | null }): string {
  if (!order.groupStatus) return ''
  if (order.groupStatus === 'pending' && order.kind === 'group_open') return '待你支付后开团'
  return groupStatusZh[order.groupStatus]
}

/** The order's status as its shopper reads it: a completed pickup order was picked up (已提货), not received. */
export function orderStatusLabel(order: { status: OrderStatus; delivery: { mode: FulfilmentMode } | null }): string {
  if (order.status === 'completed' && order.delivery?.mode === 'pickup') return '已提货'
  return orderStatusZh[order.status]
}
