import type { GroupStatus } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import type { OrderRecord } from './order.service';

/** What the order module does once an order is paid, as decided by whoever sold it. */
export interface PaymentDecision {
  /** false: the order can no longer be served (its group is full, failed or past its deadline) → refunded. */
  accept: boolean;
  /** Orders that may now be fulfilled: this one (bought alone), or every paid member of a group that just succeeded. */
  fulfil: Array<{ orderId: number; note: string }>;
  /** An order refunded in full while its goods still ship (团长免单: the opener of a group that succeeded). */
  refundOpenerFree: number | null;
}

/**
 * The narrow interface through which the order module asks the module that sold an order (today:
 * group-buy, for every order) about matters that are not the order's: seats, groups, campaign stock
 * and limits. Implemented by group-buy and registered with `OrderService.useParticipant`, so orders
 * never read group-buy's tables and group-buy never writes orders. Every method runs in the caller's
 * transaction.
 */
export interface OrderParticipant {
  /** The order just moved `pending_payment → paid`: open or count its group; say what follows. */
  onOrderPaid(tx: ServiceContext, order: OrderRecord, paidAt: Date): Promise<PaymentDecision>;
  /**
   * The order will not be served: give back what it held (campaign stock, per-user limits; for an
   * unpaid order also its seat, or its pending group).
   */
  onOrderReleased(tx: ServiceContext, order: OrderRecord, why: 'cancelled' | 'refunded'): Promise<void>;
  /** Group statuses for order views. */
  groupStatuses(ctx: ServiceContext, groupIds: number[]): Promise<Map<number, GroupStatus>>;
}
