import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Daily pickup batches (issue 11), owned by the order module.
 *
 * - `pickup_cutoffs`: one row per cut-off instant that was formed. Forming a cut-off inserts this row
 *   first, in the formation's transaction: a second worker forming the same cut-off waits on the
 *   primary key and then finds it taken, so each cut-off forms once (and a formation that dies rolls
 *   the row back with everything else, so it is formed again).
 * - `pickup_batches`: one per (point, cut-off): the orders of that point paid before the cut-off.
 *   `formed → shipped` (operator) `→ arrived` (the leader). An order joins one batch: the fulfilment
 *   row's `batch_id` is set by a guarded `batch_id IS NULL` update.
 * - `pickup_batch_lines`: the pick list, units per SKU as formed, and how many arrived.
 * - `pickup_shortages`: per order, units that did not arrive and the refund that paid them back.
 * - `order_fulfilments.pickup_opening_hours`: the point's hours copied with its name and address.
 */
export class PickupBatches1764720000000 implements MigrationInterface {
  name = 'PickupBatches1764720000000';

  async up(q: QueryRunner): Promise<void> {
    const opts = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
    await q.query(`CREATE TABLE pickup_cutoffs (
      cutoff_at DATETIME(3) NOT NULL PRIMARY KEY,
      business_date DATE NOT NULL,
      batches INT NOT NULL,
      orders INT NOT NULL,
      formed_by VARCHAR(64) NOT NULL,
      created_at DATETIME(3) NOT NULL
    ) ${opts}`);
    await q.query(`CREATE TABLE pickup_batches (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      point_id BIGINT NOT NULL,
      leader_id BIGINT NOT NULL,
      point_name VARCHAR(40) NOT NULL,
      business_date DATE NOT NULL,
      cutoff_at DATETIME(3) NOT NULL,
      status VARCHAR(12) NOT NULL,
      order_count INT NOT NULL,
      unit_count INT NOT NULL,
      shipped_at DATETIME(3) NULL,
      arrived_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_pickup_batches_point_cutoff (point_id, cutoff_at),
      KEY ix_pickup_batches_cutoff (cutoff_at),
      KEY ix_pickup_batches_date (business_date, point_id),
      KEY ix_pickup_batches_leader (leader_id, id)
    ) ${opts}`);
    await q.query(`CREATE TABLE pickup_batch_lines (
      batch_id BIGINT NOT NULL,
      sku_id BIGINT NOT NULL,
      product_id BIGINT NOT NULL,
      title VARCHAR(60) NOT NULL,
      spec_label VARCHAR(64) NOT NULL,
      quantity INT NOT NULL,
      orders INT NOT NULL,
      received INT NULL,
      PRIMARY KEY (batch_id, sku_id),
      CONSTRAINT ck_pickup_batch_lines_received CHECK (received IS NULL OR (received >= 0 AND received <= quantity))
    ) ${opts}`);
    await q.query(`CREATE TABLE pickup_shortages (
      order_id BIGINT NOT NULL PRIMARY KEY,
      batch_id BIGINT NOT NULL,
      sku_id BIGINT NOT NULL,
      quantity INT NOT NULL,
      amount BIGINT NOT NULL,
      refund_id BIGINT NULL,
      created_at DATETIME(3) NOT NULL,
      KEY ix_pickup_shortages_batch (batch_id),
      CONSTRAINT ck_pickup_shortages_quantity CHECK (quantity > 0 AND amount >= 0)
    ) ${opts}`);
    // Formation looks for pickup orders without a batch: (mode, batch_id) finds them without scanning
    // every pickup order ever made.
    await q.query(`ALTER TABLE order_fulfilments
      ADD COLUMN pickup_opening_hours VARCHAR(40) NULL AFTER pickup_point_name,
      ADD KEY ix_fulfilments_unbatched (mode, batch_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE order_fulfilments DROP INDEX ix_fulfilments_unbatched, DROP COLUMN pickup_opening_hours`);
    await q.query('DROP TABLE pickup_shortages');
    await q.query('DROP TABLE pickup_batch_lines');
    await q.query('DROP TABLE pickup_batches');
    await q.query('DROP TABLE pickup_cutoffs');
  }
}
