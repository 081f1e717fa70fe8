import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { AfterSaleKind, AfterSaleReason, AfterSaleStatus, FulfilmentMode, OrderKind, OrderStatus, RefundStatus } from '@tuan/shared';

/** An order: one SKU line (group-buy or solo), its money in fen, and its lifecycle status. */
@Entity('orders')
export class OrderEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'order_no', type: 'varchar', length: 32 })
  orderNo: string;

  @Column({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ type: 'varchar', length: 16 })
  kind: OrderKind;

  @Column({ name: 'campaign_id', type: 'bigint', nullable: true })
  campaignId: number | null;

  @Column({ name: 'group_id', type: 'bigint', nullable: true })
  groupId: number | null;

  @Column({ name: 'product_id', type: 'bigint' })
  productId: number;

  @Column({ name: 'sku_id', type: 'bigint' })
  skuId: number;

  @Column({ type: 'varchar', length: 60 })
  title: string;

  @Column({ name: 'spec_label', type: 'varchar', length: 64 })
  specLabel: string;

  @Column({ type: 'varchar', length: 512, nullable: true })
  image: string | null;

  @Column({ name: 'unit_price', type: 'bigint' })
  unitPrice: number;

  @Column({ type: 'int' })
  quantity: number;

  @Column({ name: 'goods_amount', type: 'bigint' })
  goodsAmount: number;

  @Column({ name: 'discount_amount', type: 'bigint' })
  discountAmount: number;

  @Column({ name: 'coupon_id', type: 'bigint', nullable: true })
  couponId: number | null;

  /** Never below 1 fen (CHECK constraint and `OrderService.create`). */
  @Column({ name: 'payable_amount', type: 'bigint' })
  payableAmount: number;

  @Column({ type: 'varchar', length: 24 })
  status: OrderStatus;

  @Column({ name: 'pay_deadline_at', type: 'datetime', precision: 3, nullable: true })
  payDeadlineAt: Date | null;

  @Column({ name: 'paid_at', type: 'datetime', precision: 3, nullable: true })
  paidAt: Date | null;

  @Column({ name: 'paid_amount', type: 'bigint', nullable: true })
  paidAmount: number | null;

  /** Sum of the refunds decided on this order; a guarded update keeps it ≤ paid_amount. */
  @Column({ name: 'refunded_amount', type: 'bigint' })
  refundedAmount: number;

  @Column({ name: 'transaction_id', type: 'varchar', length: 64, nullable: true })
  transactionId: string | null;

  @Column({ name: 'cancel_reason', type: 'varchar', length: 64, nullable: true })
  cancelReason: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** The order's timeline: every status it entered, with a note for the shopper. */
@Entity('order_events')
export class OrderEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'order_id', type: 'bigint' })
  orderId: number;

  @Column({ name: 'from_status', type: 'varchar', length: 24, nullable: true })
  fromStatus: OrderStatus | null;

  @Column({ name: 'to_status', type: 'varchar', length: 24 })
  toStatus: OrderStatus;

  @Column({ type: 'varchar', length: 200, nullable: true })
  note: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/**
 * Why money goes back. `group_failed` and `late_payment` refund everything and end the order in
 * `refunded`; `opener_free` refunds everything while the goods still ship; `after_sale` and
 * `operator` may be partial (the order ends `refunded` only once everything paid went back).
 */
export type RefundReason = 'group_failed' | 'late_payment' | 'opener_free' | 'after_sale' | 'operator' | 'pickup_shortage';

/**
 * A refund: a fixed refund number (the provider's idempotency key, reused on every attempt) and its
 * own lifecycle, retried until the provider confirms. Several per order, their sum ≤ what was paid.
 */
@Entity('refunds')
export class RefundEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'refund_no', type: 'varchar', length: 32 })
  refundNo: string;

  /** Unique: `<order>:<reason>`, `<order>:after_sale:<id>` or `<order>:operator:<n>` (creating twice creates once). */
  @Column({ name: 'refund_key', type: 'varchar', length: 64 })
  refundKey: string;

  @Column({ name: 'after_sale_id', type: 'bigint', nullable: true })
  afterSaleId: number | null;

  @Column({ name: 'order_id', type: 'bigint' })
  orderId: number;

  @Column({ type: 'bigint' })
  amount: number;

  @Column({ type: 'varchar', length: 32 })
  reason: RefundReason;

  @Column({ type: 'varchar', length: 16 })
  status: RefundStatus;

  @Column({ type: 'int' })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'datetime', precision: 3 })
  nextAttemptAt: Date;

  @Column({ name: 'provider_refund_id', type: 'varchar', length: 64, nullable: true })
  providerRefundId: string | null;

  @Column({ name: 'last_error', type: 'varchar', length: 255, nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;

  @Column({ name: 'succeeded_at', type: 'datetime', precision: 3, nullable: true })
  succeededAt: Date | null;
}

/**
 * The share an order is attributed to, snapshotted at creation (the order module owns it; the share
 * module decides the attribution and group-buy's checkout passes it to `OrderService.create`).
 */
@Entity('order_attributions')
export class OrderAttributionEntity {
  @PrimaryColumn({ name: 'order_id', type: 'bigint' })
  orderId: number;

  @Column({ name: 'share_id', type: 'bigint' })
  shareId: number;

  @Column({ name: 'sharer_user_id', type: 'bigint' })
  sharerUserId: number;

  /** The shares above it, nearest first: `[{ shareId, sharerUserId }]`. */
  @Column({ type: 'json' })
  chain: Array<{ shareId: number; sharerUserId: number }>;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/**
 * How an order reaches the shopper, copied at checkout (the address may change or go later; the order
 * keeps what it was sold with). `mode` says which: `delivery` (an address) or `pickup` (a leader's pickup point).
 */
@Entity('order_fulfilments')
export class FulfilmentEntity {
  @PrimaryColumn({ name: 'order_id', type: 'bigint' })
  orderId: number;

  @Column({ type: 'varchar', length: 16 })
  mode: FulfilmentMode;

  @Column({ name: 'address_id', type: 'bigint', nullable: true })
  addressId: number | null;

  @Column({ name: 'recipient_name', type: 'varchar', length: 20, nullable: true })
  recipientName: string | null;

  @Column({ name: 'recipient_phone_enc', type: 'varchar', length: 255, nullable: true })
  recipientPhoneEnc: string | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  province: string | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  city: string | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  district: string | null;

  @Column({ type: 'varchar', length: 120, nullable: true })
  detail: string | null;

  /** Pickup orders: the point and its leader, copied at checkout (the point's address fills the address columns). */
  @Column({ name: 'pickup_point_id', type: 'bigint', nullable: true })
  pickupPointId: number | null;

  @Column({ name: 'leader_id', type: 'bigint', nullable: true })
  leaderId: number | null;

  @Column({ name: 'pickup_point_name', type: 'varchar', length: 40, nullable: true })
  pickupPointName: string | null;

  /** The point's opening hours as they were at checkout (shown on the order). */
  @Column({ name: 'pickup_opening_hours', type: 'varchar', length: 40, nullable: true })
  pickupOpeningHours: string | null;

  /** The daily delivery batch the pickup order joined at its point's cut-off. */
  @Column({ name: 'batch_id', type: 'bigint', nullable: true })
  batchId: number | null;

  /** The code the shopper shows the leader (提货码). */
  @Column({ name: 'pickup_code', type: 'varchar', length: 12, nullable: true })
  pickupCode: string | null;

  /** `<point>:<code>` while waiting for pickup, NULL afterwards: unique among the point's open orders. */
  @Column({ name: 'open_code_key', type: 'varchar', length: 40, nullable: true })
  openCodeKey: string | null;

  @Column({ name: 'ready_at', type: 'datetime', precision: 3, nullable: true })
  readyAt: Date | null;

  @Column({ name: 'picked_up_at', type: 'datetime', precision: 3, nullable: true })
  pickedUpAt: Date | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  carrier: string | null;

  @Column({ name: 'tracking_no', type: 'varchar', length: 40, nullable: true })
  trackingNo: string | null;

  @Column({ name: 'shipped_at', type: 'datetime', precision: 3, nullable: true })
  shippedAt: Date | null;

  @Column({ name: 'auto_complete_at', type: 'datetime', precision: 3, nullable: true })
  autoCompleteAt: Date | null;

  @Column({ name: 'completed_at', type: 'datetime', precision: 3, nullable: true })
  completedAt: Date | null;

  @Column({ name: 'after_sale_until', type: 'datetime', precision: 3, nullable: true })
  afterSaleUntil: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** An after-sale request (售后). `open_order_id` is the order's id while open, NULL once closed (one open per order). */
@Entity('after_sales')
export class AfterSaleEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'order_id', type: 'bigint' })
  orderId: number;

  @Column({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ type: 'varchar', length: 16 })
  kind: AfterSaleKind;

  @Column({ type: 'varchar', length: 16 })
  status: AfterSaleStatus;

  @Column({ type: 'varchar', length: 16 })
  reason: AfterSaleReason;

  @Column({ type: 'varchar', length: 500 })
  description: string;

  @Column({ type: 'json' })
  images: string[];

  @Column({ type: 'bigint' })
  amount: number;

  @Column({ name: 'reject_reason', type: 'varchar', length: 100, nullable: true })
  rejectReason: string | null;

  @Column({ name: 'return_carrier', type: 'varchar', length: 32, nullable: true })
  returnCarrier: string | null;

  @Column({ name: 'return_tracking_no', type: 'varchar', length: 40, nullable: true })
  returnTrackingNo: string | null;

  @Column({ name: 'refund_id', type: 'bigint', nullable: true })
  refundId: number | null;

  @Column({ name: 'open_order_id', type: 'bigint', nullable: true })
  openOrderId: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;

  @Column({ name: 'closed_at', type: 'datetime', precision: 3, nullable: true })
  closedAt: Date | null;
}
