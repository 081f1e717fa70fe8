import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { PickupBatchStatus } from '@tuan/shared';

/** A cut-off instant that was formed (its primary key is what makes formation happen once). */
@Entity('pickup_cutoffs')
export class PickupCutoffEntity {
  @PrimaryColumn({ name: 'cutoff_at', type: 'datetime', precision: 3 })
  cutoffAt: Date;

  /** `YYYY-MM-DD` in the cut-off's time zone. */
  @Column({ name: 'business_date', type: 'date' })
  businessDate: string;

  @Column({ type: 'int' })
  batches: number;

  @Column({ type: 'int' })
  orders: number;

  @Column({ name: 'formed_by', type: 'varchar', length: 64 })
  formedBy: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/** One point's orders of one cut-off: what the warehouse packs and sends to the leader. */
@Entity('pickup_batches')
export class PickupBatchEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'point_id', type: 'bigint' })
  pointId: number;

  @Column({ name: 'leader_id', type: 'bigint' })
  leaderId: number;

  @Column({ name: 'point_name', type: 'varchar', length: 40 })
  pointName: string;

  @Column({ name: 'business_date', type: 'date' })
  businessDate: string;

  @Column({ name: 'cutoff_at', type: 'datetime', precision: 3 })
  cutoffAt: Date;

  @Column({ type: 'varchar', length: 12 })
  status: PickupBatchStatus;

  @Column({ name: 'order_count', type: 'int' })
  orderCount: number;

  @Column({ name: 'unit_count', type: 'int' })
  unitCount: number;

  @Column({ name: 'shipped_at', type: 'datetime', precision: 3, nullable: true })
  shippedAt: Date | null;

  @Column({ name: 'arrived_at', type: 'datetime', precision: 3, nullable: true })
  arrivedAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** A pick-list line: one SKU of a batch, units as formed and (after arrival) as received. */
@Entity('pickup_batch_lines')
export class PickupBatchLineEntity {
  @PrimaryColumn({ name: 'batch_id', type: 'bigint' })
  batchId: number;

  @PrimaryColumn({ name: 'sku_id', type: 'bigint' })
  skuId: number;

  @Column({ name: 'product_id', type: 'bigint' })
  productId: number;

  @Column({ type: 'varchar', length: 60 })
  title: string;

  @Column({ name: 'spec_label', type: 'varchar', length: 64 })
  specLabel: string;

  @Column({ type: 'int' })
  quantity: number;

  @Column({ type: 'int' })
  orders: number;

  @Column({ type: 'int', nullable: true })
  received: number | null;
}

/** Units of an order that did not arrive, and the refund that paid them back. */
@Entity('pickup_shortages')
export class PickupShortageEntity {
  @PrimaryColumn({ name: 'order_id', type: 'bigint' })
  orderId: number;

  @Column({ name: 'batch_id', type: 'bigint' })
  batchId: number;

  @Column({ name: 'sku_id', type: 'bigint' })
  skuId: number;

  @Column({ type: 'int' })
  quantity: number;

  @Column({ type: 'bigint' })
  amount: number;

  @Column({ name: 'refund_id', type: 'bigint', nullable: true })
  refundId: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
