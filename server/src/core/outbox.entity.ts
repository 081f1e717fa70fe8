import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AggregateType, DomainEventType } from '@tuan/shared';

/**
 * The transactional outbox: one row per domain event, inserted in the same transaction as the
 * change that caused it (see `emit`). Rows are never updated except `fannedOutAt`, which the
 * dispatcher sets once it has created a delivery per subscriber.
 */
@Entity('domain_events')
@Index('ix_domain_events_fanout', ['fannedOutAt', 'id'])
@Index('ix_domain_events_aggregate', ['aggregateType', 'aggregateId', 'id'])
export class DomainEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ type: 'varchar', length: 64 })
  type: DomainEventType;

  @Column({ name: 'aggregate_type', type: 'varchar', length: 32 })
  aggregateType: AggregateType;

  @Column({ name: 'aggregate_id', type: 'bigint' })
  aggregateId: number;

  @Column({ name: 'schema_version', type: 'smallint' })
  schemaVersion: number;

  @Column({ type: 'json' })
  payload: object;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'fanned_out_at', type: 'datetime', precision: 3, nullable: true })
  fannedOutAt: Date | null;
}

/**
 * Every lifecycle move of entities that have no history table of their own (orders keep theirs,
 * `order_events`, as the shopper's timeline). Written by `move` in the caller's transaction.
 */
@Entity('state_history')
@Index('ix_state_history_entity', ['entity', 'entityId', 'id'])
export class StateHistoryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ type: 'varchar', length: 32 })
  entity: string;

  @Column({ name: 'entity_id', type: 'bigint' })
  entityId: number;

  @Column({ name: 'from_status', type: 'varchar', length: 24, nullable: true })
  fromStatus: string | null;

  @Column({ name: 'to_status', type: 'varchar', length: 24 })
  toStatus: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  note: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
