import { defineSubscriber, type Subscriber } from '../../core/outbox.dispatcher';
import type { DeadlineScheduler } from '../../core/scheduler';

/**
 * Reactions of the order module to its own events. They run in the worker after the change
 * committed, at least once (scheduling is idempotent: a refund job has a fixed id, a timer is one
 * member per order), so a process that dies right after creating a refund or shipping an order loses
 * neither the refund attempt nor the auto-completion. The payment deadline of a new order is not
 * here: it is scheduled right after the order's commit (`OrderService.create`) with the sweeper as
 * backstop, because on the join hot path a delivery per order cost the whole system about a third of
 * its join throughput (see README).
 */
export function orderSubscribers(scheduler: DeadlineScheduler): Subscriber[] {
  return [
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
