import { defineSubscriber, type Subscriber } from '../../core/outbox.dispatcher';
import type { DeadlineScheduler } from '../../core/scheduler';

/**
 * Reactions of the order module to its own events. They run in the worker after the change
 * committed, at least once (scheduling is idempotent by job id), so a process that dies right after
 * creating an order or a refund loses neither its payment deadline nor its refund attempt.
 */
export function orderSubscribers(scheduler: DeadlineScheduler): Subscriber[] {
  return [
    defineSubscriber({
      name: 'order.payment-deadline',
      events: ['order.created'],
      handle: (_tx, e) => scheduler.orderDeadline(e.payload.orderId, new Date(e.payload.payDeadlineAt)),
    }),
    defineSubscriber({
      name: 'order.refund-attempt',
      events: ['refund.created'],
      handle: (_tx, e) => scheduler.refundDue(e.payload.refundId),
    }),
    defineSubscriber({
      name: 'order.auto-complete',
      events: ['order.shipped'],
      handle: (_tx, e) => scheduler.orderAutoComplete(e.payload.orderId, new Date(e.payload.autoCompleteAt)),
    }),
  ];
}
