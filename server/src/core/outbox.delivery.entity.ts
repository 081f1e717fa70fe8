import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { AggregateType } from '@tuan/shared';

/** `pending` → `done` | `parked`; an operator's retry moves `parked` → `pending`. */
export type DeliveryStatus = 'pending' | 'done' | 'parked';

/**
 * One row per (subscriber, event): the dispatcher's fan-out creates them in the transaction that
 * marks the event fanned out, and each is then delivered, retried or parked on its own — which is
 * why a failing subscriber never holds back another one. The aggregate is copied from the event so
 * the "is an earlier delivery of this aggregate still undelivered?" check (order per aggregate) is
 * one index lookup. Times are the database's clock (UTC_TIMESTAMP(3)), the one clock every worker
 * compares leases and due times against.
 */
@Entity('event_deliveries')
@Index('uq_event_deliveries_subscriber_event', ['subscriber', 'eventId'], { unique: true })
@Index('ix_event_deliveries_due', ['status', 'nextAttemptAt'])
@Index('ix_event_deliveries_order', ['subscriber', 'aggregateType', 'aggregateId', 'eventId'])
@Index('ix_event_deliveries_delivered', ['deliveredAt'])
export class EventDeliveryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'event_id', type: 'bigint' })
  eventId: number;

  @Column({ type: 'varchar', length: 64 })
  subscriber: string;

  @Column({ name: 'aggregate_type', type: 'varchar', length: 32 })
  aggregateType: AggregateType;

  @Column({ name: 'aggregate_id', type: 'bigint' })
  aggregateId: number;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  /** Failed attempts so far (a worker that died holding the lease does not count). */
  @Column({ type: 'int' })
  attempts: number;

  /** When a pending delivery is next due; for a parked one, when it was parked. */
  @Column({ name: 'next_attempt_at', type: 'datetime', precision: 3 })
  nextAttemptAt: Date;

  /** Lease of the worker running it; NULL or past means nobody is. */
  @Column({ name: 'locked_until', type: 'datetime', precision: 3, nullable: true })
  lockedUntil: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 1000, nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'delivered_at', type: 'datetime', precision: 3, nullable: true })
  deliveredAt: Date | null;
}

/**
 * "Subscriber S has processed event E", inserted in the subscriber's own transaction before its
 * handler runs: a second delivery of the same event (lease expired, operator retry, a bug) meets the
 * primary key and skips the handler, so at-least-once delivery acts exactly once.
 */
@Entity('event_receipts')
export class EventReceiptEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  subscriber: string;

  @PrimaryColumn({ name: 'event_id', type: 'bigint' })
  eventId: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
