/**
 * Where durable timers go (BullMQ delayed jobs with idempotent ids, run by the worker role). Every
 * deadline is also in MySQL, and the sweeper finds what a lost job missed, so a failure to schedule
 * is logged, never surfaced.
 */
export interface DeadlineScheduler {
  /** Payment deadlines of orders written together: one round trip for the jobs however many. */
  orderDeadlines(deadlines: ReadonlyArray<{ orderId: number; at: Date }>): Promise<void>;
  groupDeadline(groupId: number, at: Date): Promise<void>;
  refundDue(refundId: number): Promise<void>;
  /** A shipped order completes by itself at `at` (unless the shopper confirmed receipt first). */
  orderAutoComplete(orderId: number, at: Date): Promise<void>;
}
