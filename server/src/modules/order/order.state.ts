import type { OrderStatus, RefundStatus } from '@tuan/shared';
import type { TransitionTable } from '../../core/state';

/**
 * Order lifecycle (spec §5). `cancelled → refunding` exists for one case only: a payment that lands
 * after the order was cancelled (seat released, group failed) is refunded, never kept.
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

/** Refunds are retried until the provider confirms: failed → failed (another attempt) → succeeded. */
export const refundTransitions: TransitionTable<RefundStatus> = {
  pending: ['succeeded', 'failed'],
  failed: ['succeeded', 'failed'],
  succeeded: [],
};
