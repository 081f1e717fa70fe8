import type { OrderKind } from './enums';

/**
 * Domain events (the transactional outbox). Each is written in the same transaction as the change
 * that caused it and delivered at least once to every subscriber, in order per aggregate. Payloads
 * are versioned: a consumer reads `schemaVersion` and one definition, here.
 */
/**
 * The share an order is attributed to, snapshotted when the order is created: the last share its
 * buyer opened within the attribution window (never the buyer's own), and the shares above it
 * (`chain[0]` is the share the sharer arrived through, and so on up).
 */
export interface OrderAttribution {
  shareId: number;
  sharerUserId: number;
  chain: Array<{ shareId: number; sharerUserId: number }>;
}

export interface DomainEventPayloads {
  /** `attribution` is absent on events written before share chains. */
  'order.created': { orderId: number; userId: number; kind: OrderKind; campaignId: number | null; groupId: number | null; payableAmount: number; payDeadlineAt: string; attribution?: OrderAttribution | null };
  'order.paid': { orderId: number; userId: number; kind: OrderKind; campaignId: number | null; groupId: number | null; paidAmount: number; paidAt: string };
  'order.fulfilment_ready': { orderId: number; userId: number; kind: OrderKind; campaignId: number | null; groupId: number | null };
  'order.cancelled': { orderId: number; userId: number; kind: OrderKind; campaignId: number | null; groupId: number | null; reason: string };
  /** A refund was decided (the order is `refunding`, or the refund does not end the order, e.g. 团长免单). */
  'refund.created': { refundId: number; orderId: number; amount: number; reason: string };
  /** Money went back. `amount` is this refund's; `fullyRefunded` tells whether the order is now `refunded`. */
  /** `groupId`: the order's group, if any (absent on events written before it was added). */
  'order.refunded': { orderId: number; userId: number; refundId: number; amount: number; reason: string; fullyRefunded: boolean; groupId?: number | null };
  /** The operator shipped a delivery order; it completes on receipt or automatically at `autoCompleteAt`. */
  'order.shipped': { orderId: number; userId: number; carrier: string; trackingNo: string; shippedAt: string; autoCompleteAt: string };
  /** Receipt confirmed (by the shopper, or automatically); the after-sale window runs until `afterSaleUntil`. */
  'order.completed': { orderId: number; userId: number; campaignId: number | null; groupId: number | null; completedAt: string; afterSaleUntil: string; auto: boolean; pickup?: { pointId: number; leaderId: number } };
  /**
   * A pickup order's goods arrived at its point (the leader confirmed the batch): it waits for the shopper
   * with a pickup code. `pickup` on `order.completed` marks a pickup order the leader verified.
   */
  'order.ready_for_pickup': { orderId: number; userId: number; pointId: number; leaderId: number; readyAt: string };
  'after_sale.opened': { afterSaleId: number; orderId: number; userId: number; kind: string; amount: number };
  /** The request ended: `rejected`, `cancelled` or `refunded` (then `amount` went back). */
  'after_sale.closed': { afterSaleId: number; orderId: number; userId: number; status: string; amount: number };
  'group.opened': { groupId: number; campaignId: number; openerUserId: number; size: number; deadlineAt: string };
  'group.succeeded': { groupId: number; campaignId: number; virtual: boolean };
  'group.failed': { groupId: number; campaignId: number };
  /** A seat came back (an unpaid member order was cancelled): the seat gate must learn it. */
  'group.seat_released': { groupId: number; orderId: number };
  'coupon.issued': { couponId: number; templateId: number; userId: number; via: string };
  'coupon.used': { couponId: number; templateId: number; userId: number; orderId: number };
  /** A user was bound to an inviter (first login through a share, or an existing user when allowed). */
  'share.inviter_bound': { userId: number; inviterUserId: number; shareId: number; expiresAt: string | null };
  /** A friend claimed a shared coupon pack; `newFriends` is the sharer's count after this claim. */
  'share.pack_claimed': { packId: number; sharerUserId: number; friendUserId: number; shareId: number; countedAsNewFriend: boolean; newFriends: number };
  /** The sharer reached N new friends: the bonus coupon was issued (exactly once per sharer per pack). */
  'share.pack_completed': { packId: number; sharerUserId: number; bonusCouponId: number };
  /** Finance approved a withdrawal (or retried a failed one): the payout is started with `outBillNo`. */
  'withdrawal.approved': { withdrawalId: number; userId: number; outBillNo: string; amount: number; netAmount: number };
  /** The payout reached its end: `paid` (money left), `failed` (held until retried or cancelled). */
  'withdrawal.settled': { withdrawalId: number; userId: number; status: 'paid' | 'failed'; amount: number };
  /** A leader's move (team leaders); `pointStatus` is the point's status after it (open only while approved). */
  'leader.applied': LeaderEventPayload;
  'leader.approved': LeaderEventPayload;
  'leader.rejected': LeaderEventPayload & { reason: string };
  'leader.suspended': LeaderEventPayload & { reason: string };
  'leader.resumed': LeaderEventPayload;
  /** A point's pickup batch formed at a daily cut-off (its pick list: `orders` orders, `units` units). */
  'pickup_batch.formed': PickupBatchEventPayload & { cutoffAt: string; orders: number; units: number };
  /** The operator sent the batch to its point. */
  'pickup_batch.shipped': PickupBatchEventPayload & { shippedAt: string };
  /** The leader confirmed arrival; `shortUnits` did not come (their orders were refunded for them). */
  'pickup_batch.arrived': PickupBatchEventPayload & { arrivedAt: string; shortUnits: number };
}

export interface PickupBatchEventPayload {
  batchId: number;
  pointId: number;
  leaderId: number;
}

export interface LeaderEventPayload {
  leaderId: number;
  userId: number;
  pointId: number;
  pointStatus: 'pending' | 'open' | 'closed';
}

export type DomainEventType = keyof DomainEventPayloads;
export const DomainEventTypes = [
  'order.created',
  'order.paid',
  'order.fulfilment_ready',
  'order.cancelled',
  'refund.created',
  'order.refunded',
  'order.shipped',
  'order.completed',
  'order.ready_for_pickup',
  'after_sale.opened',
  'after_sale.closed',
  'group.opened',
  'group.succeeded',
  'group.failed',
  'group.seat_released',
  'coupon.issued',
  'coupon.used',
  'share.inviter_bound',
  'share.pack_claimed',
  'share.pack_completed',
  'withdrawal.approved',
  'withdrawal.settled',
  'leader.applied',
  'leader.approved',
  'leader.rejected',
  'leader.suspended',
  'leader.resumed',
  'pickup_batch.formed',
  'pickup_batch.shipped',
  'pickup_batch.arrived',
] as const satisfies readonly DomainEventType[];

/** The aggregate an event belongs to; ordering is guaranteed per (aggregateType, aggregateId). */
export type AggregateType = 'order' | 'group' | 'coupon' | 'refund' | 'user' | 'share_pack' | 'withdrawal' | 'leader' | 'pickup_batch';

export interface DomainEvent<T extends DomainEventType = DomainEventType> {
  id: number;
  type: T;
  aggregateType: AggregateType;
  aggregateId: number;
  schemaVersion: number;
  payload: DomainEventPayloads[T];
  createdAt: string;
}

/** Current payload version of every event type; bump when a payload changes shape. */
export const EVENT_SCHEMA_VERSION = 1;

