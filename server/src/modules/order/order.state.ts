import { insertRows } from '../../core/sql';
import type { AfterSaleStatus, OrderStatus, RefundStatus } from '@tuan/shared';
import type { Lifecycle } from '../../core/lifecycle';
import type { TransitionTable } from '../../core/state';
import { AfterSaleEntity, OrderEntity, OrderEventEntity, RefundEntity } from './order.entity';

/**
 * Order lifecycle (spec §5). `cancelled → refunding` exists for one case only: a payment that lands
 * after the order was cancelled (seat released, group failed) is refunded, never kept.
 * `to_fulfil | shipped | completed → refunding` only when the refunds decided so far take back
 * everything that was paid; a partial refund (after-sale, operator) leaves the status as it is.
 */
export const orderTransitions: TransitionTable<OrderStatus> = {
  pending_payment: ['paid', 'cancelled'],
  paid: ['to_fulfil', 'refunding'],
  to_fulfil: ['shipped', 'ready_for_pickup', 'refunding'],
  shipped: ['completed', 'refunding'],
  ready_for_pickup: ['completed', 'refunding'],
  completed: ['refunding'],
  cancelled: ['refunding'],
  refunding: ['refunded'],
  refunded: [],
};

/** Orders keep their own history, `order_events`: it is the shopper's timeline. */
export const orderLifecycle: Lifecycle<OrderStatus, OrderEntity> = {
  name: 'order',
  entity: OrderEntity,
  transitions: orderTransitions,
  touchesUpdatedAt: true,
  history: async (tx, moves) => {
    const createdAt = new Date();
    await insertRows(tx, OrderEventEntity, moves.map((m) => ({ orderId: m.id, fromStatus: m.from, toStatus: m.to, note: m.note, createdAt })));
  },
};

/** Refunds are retried until the provider confirms: failed → failed (another attempt) → succeeded. */
export const refundTransitions: TransitionTable<RefundStatus> = {
  pending: ['succeeded', 'failed'],
  failed: ['succeeded', 'failed'],
  succeeded: [],
};

export const refundLifecycle: Lifecycle<RefundStatus, RefundEntity> = {
  name: 'refund',
  entity: RefundEntity,
  transitions: refundTransitions,
  touchesUpdatedAt: true,
};

/**
 * After-sale (售后): support approves or rejects a request; 仅退款 goes straight to its refund,
 * 退货退款 waits for the goods (`awaiting_return → returned`) first. `rejected`, `cancelled` and
 * `refunded` close it (the order may then take a new request).
 */
export const afterSaleTransitions: TransitionTable<AfterSaleStatus> = {
  requested: ['approved', 'rejected', 'cancelled'],
  approved: ['refunding', 'awaiting_return'],
  awaiting_return: ['returned', 'cancelled'],
  returned: ['refunding'],
  refunding: ['refunded'],
  rejected: [],
  cancelled: [],
  refunded: [],
};

export const afterSaleLifecycle: Lifecycle<AfterSaleStatus, AfterSaleEntity> = {
  name: 'after_sale',
  entity: AfterSaleEntity,
  transitions: afterSaleTransitions,
  touchesUpdatedAt: true,
};
