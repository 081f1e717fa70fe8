import { defineSubscriber, type Subscriber } from '../../core/outbox.dispatcher';
import type { RewardsService } from './rewards.service';

/**
 * The ledger reacts to order events in one subscriber, so it sees one order's events in their order
 * (the dispatcher keeps order per subscriber and aggregate): paid → hold, refunded → void or claw
 * back, completed → freeze until the window ends, after-sale closed → settle if due. Each runs in the
 * subscriber's transaction with its receipt, and every posting has a business key besides.
 */
export function rewardsSubscribers(rewards: RewardsService): Subscriber[] {
  return [
    defineSubscriber({
      name: 'rewards.orders',
      events: ['order.paid', 'order.refunded', 'order.completed', 'after_sale.closed'],
      async handle(tx, e) {
        switch (e.type) {
          case 'order.paid':
            return rewards.commissions.onPaid(tx, e.payload as never, new Date(e.createdAt));
          case 'order.refunded':
            return rewards.commissions.onRefunded(tx, e.payload as never);
          case 'order.completed':
            return rewards.commissions.onCompleted(tx, e.payload as never);
          case 'after_sale.closed':
            return rewards.commissions.onAfterSaleClosed(tx, (e.payload as { orderId: number }).orderId);
          default:
            return;
        }
      },
    }),
    // The payout starts in the worker, never in the approving request (engineering.md: money moves in subscribers and jobs).
    defineSubscriber({
      name: 'rewards.payout',
      events: ['withdrawal.approved'],
      handle: (tx, e) => rewards.withdrawals.startPayout(tx, e.payload.withdrawalId, e.payload.outBillNo),
    }),
  ];
}
