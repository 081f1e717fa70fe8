import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { CouponAudience, CouponChannel, CouponKind, CouponScope, CouponTemplateStatus, UserCouponStatus } from '@tuan/shared';

/**
 * A coupon template: the rule (kind, amounts in fen, scope), how long issued coupons are valid,
 * and the stock. `issued` is never written by read-modify-write: only by the guarded
 * `issued = issued + 1 WHERE issued < total_stock` of `CouponService.issue` (and a CHECK backs it).
 */
@Entity('coupon_templates')
export class CouponTemplateEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ type: 'varchar', length: 40 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  kind: CouponKind;

  /** amount_off / no_threshold: fen taken off. */
  @Column({ name: 'amount_off', type: 'int' })
  amountOff: number;

  /** Minimum goods amount in fen (0 = none). */
  @Column({ type: 'int' })
  threshold: number;

  @Column({ name: 'percent_off', type: 'int' })
  percentOff: number;

  /** percent_off: the most it takes off, in fen (0 = no cap). */
  @Column({ name: 'max_discount', type: 'int' })
  maxDiscount: number;

  @Column({ type: 'varchar', length: 16 })
  scope: CouponScope;

  /** Product or campaign ids, by scope (empty for `all`). */
  @Column({ name: 'scope_ids', type: 'json' })
  scopeIds: number[];

  @Column({ name: 'validity_type', type: 'varchar', length: 16 })
  validityType: 'fixed' | 'relative';

  /** fixed validity: the window every issued coupon gets. */
  @Column({ name: 'valid_from', type: 'datetime', precision: 3, nullable: true })
  validFrom: Date | null;

  @Column({ name: 'valid_to', type: 'datetime', precision: 3, nullable: true })
  validTo: Date | null;

  /** relative validity: days from the moment of issue. */
  @Column({ name: 'valid_days', type: 'int', nullable: true })
  validDays: number | null;

  @Column({ name: 'total_stock', type: 'int' })
  totalStock: number;

  @Column({ type: 'int' })
  issued: number;

  @Column({ name: 'per_user_limit', type: 'int' })
  perUserLimit: number;

  @Column({ type: 'varchar', length: 16 })
  audience: CouponAudience;

  @Column({ type: 'varchar', length: 24 })
  channel: CouponChannel;

  /** Moved only through `move(templateLifecycle)` (coupon.state.ts). */
  @Column({ type: 'varchar', length: 16 })
  status: CouponTemplateStatus;

  /** No claims or grants after this instant; the sweeper ends the template. */
  @Column({ name: 'ends_at', type: 'datetime', precision: 3 })
  endsAt: Date;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/**
 * How many coupons of a template a user holds (ever issued), per (template, user). The guarded
 * `claimed = claimed + 1 WHERE claimed < per_user_limit` enforces the per-person limit; the row is
 * created by an upsert that takes its exclusive lock at once (see `CouponService.issue`).
 */
@Entity('coupon_user_claims')
export class CouponUserClaimEntity {
  @PrimaryColumn({ name: 'template_id', type: 'bigint' })
  templateId: number;

  @PrimaryColumn({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ type: 'int' })
  claimed: number;
}

/**
 * One coupon a user holds. A coupon is held by at most one unpaid order (`locked_order_id` is
 * unique), used by the order that paid, and moved only through `move(userCouponLifecycle)`.
 */
@Entity('user_coupons')
export class UserCouponEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'template_id', type: 'bigint' })
  templateId: number;

  // No foreign key in the schema: the relation only lets QueryBuilder join the rule in.
  @ManyToOne(() => CouponTemplateEntity, { createForeignKeyConstraints: false })
  @JoinColumn({ name: 'template_id' })
  template: CouponTemplateEntity;

  @Column({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ type: 'varchar', length: 16 })
  status: UserCouponStatus;

  /** How it was issued: claim, operator_grant, registration_gift. */
  @Column({ type: 'varchar', length: 24 })
  source: string;

  @Column({ name: 'valid_from', type: 'datetime', precision: 3 })
  validFrom: Date;

  @Column({ name: 'valid_to', type: 'datetime', precision: 3 })
  validTo: Date;

  @Column({ name: 'locked_order_id', type: 'bigint', nullable: true })
  lockedOrderId: number | null;

  @Column({ name: 'used_order_id', type: 'bigint', nullable: true })
  usedOrderId: number | null;

  @Column({ name: 'claimed_at', type: 'datetime', precision: 3 })
  claimedAt: Date;

  @Column({ name: 'used_at', type: 'datetime', precision: 3, nullable: true })
  usedAt: Date | null;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
