import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox (`domain_events`) and the history of every lifecycle move that has no
 * history table of its own (`state_history`).
 */
export class Outbox1764200000000 implements MigrationInterface {
  name = 'Outbox1764200000000';

  async up(q: QueryRunner): Promise<void> {
    const opts = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
    await q.query(`CREATE TABLE domain_events (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      type VARCHAR(64) NOT NULL,
      aggregate_type VARCHAR(32) NOT NULL,
      aggregate_id BIGINT NOT NULL,
      schema_version SMALLINT NOT NULL,
      payload JSON NOT NULL,
      created_at DATETIME(3) NOT NULL,
      fanned_out_at DATETIME(3) NULL,
      KEY ix_domain_events_fanout (fanned_out_at, id),
      KEY ix_domain_events_aggregate (aggregate_type, aggregate_id, id)
    ) ${opts}`);
    await q.query(`CREATE TABLE state_history (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      entity VARCHAR(32) NOT NULL,
      entity_id BIGINT NOT NULL,
      from_status VARCHAR(24) NULL,
      to_status VARCHAR(24) NOT NULL,
      note VARCHAR(255) NULL,
      request_id VARCHAR(64) NULL,
      created_at DATETIME(3) NOT NULL,
      KEY ix_state_history_entity (entity, entity_id, id)
    ) ${opts}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE state_history');
    await q.query('DROP TABLE domain_events');
  }
}
