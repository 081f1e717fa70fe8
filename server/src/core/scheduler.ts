/**
 * Where deadlines and due work go. Deadlines (payment, group, auto-completion) are durable timers on
 * a Redis sorted set (core/timers.ts), run by the worker role's timer poller: cheap enough for one
 * per order on the join path. Refunds are BullMQ jobs (work due now, with retries). Every deadline
 * and due refund is also in MySQL, and the sweeper finds what a lost timer or job missed, so a
 * failure to schedule is logged, never surfaced.
 */
export interface DeadlineScheduler {
  /** Payment deadlines of orders written together: one round trip (one ZADD) however many. */
  orderDeadlines(deadlines: ReadonlyArray<{ orderId: number; at: Date }>): Promise<void>;
  groupDeadline(groupId: number, at: Date): Promise<void>;
  refundDue(refundId: number): Promise<void>;
  /** A shipped order completes by itself at `at` (unless the shopper confirmed receipt first). */
  orderAutoComplete(orderId: number, at: Date): Promise<void>;
}
