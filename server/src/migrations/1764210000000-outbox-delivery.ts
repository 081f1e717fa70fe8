import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox delivery: one row per (subscriber, event) with its own retry state (`event_deliveries`),
 * and the receipts that make a redelivery change nothing (`event_receipts`).
 */
export class OutboxDelivery1764210000000 implements MigrationInterface {
  name = 'OutboxDelivery1764210000000';

  async up(q: QueryRunner): Promise<void> {
    const opts = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
    await q.query(`CREATE TABLE event_deliveries (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      event_id BIGINT NOT NULL,
      subscriber VARCHAR(64) NOT NULL,
      aggregate_type VARCHAR(32) NOT NULL,
      aggregate_id BIGINT NOT NULL,
      status VARCHAR(16) NOT NULL,
      attempts INT NOT NULL DEFAULT 0,
      next_attempt_at DATETIME(3) NOT NULL,
      locked_until DATETIME(3) NULL,
      last_error VARCHAR(1000) NULL,
      created_at DATETIME(3) NOT NULL,
      delivered_at DATETIME(3) NULL,
      UNIQUE KEY uq_event_deliveries_subscriber_event (subscriber, event_id),
      KEY ix_event_deliveries_due (status, next_attempt_at),
      KEY ix_event_deliveries_order (subscriber, aggregate_type, aggregate_id, event_id),
      KEY ix_event_deliveries_delivered (delivered_at)
    ) ${opts}`);
    await q.query(`CREATE TABLE event_receipts (
      subscriber VARCHAR(64) NOT NULL,
      event_id BIGINT NOT NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (subscriber, event_id)
    ) ${opts}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE event_receipts');
    await q.query('DROP TABLE event_deliveries');
  }
}
