import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Team leaders and community pickup (issue 11), the shared ground the later pickup migrations build on.
 *
 * The leader module owns `leaders` (an application that becomes a leader account; one per user),
 * `pickup_points` (one per leader; open only while its leader is approved) and `user_pickup_points`
 * (the point a shopper chose or was bound to by a leader's share). The phone is stored encrypted
 * (FieldCipher) with a masked copy for lists, as addresses do.
 *
 * The order module's `order_fulfilments` learns the pickup mode: the point and its leader copied at
 * checkout (the point's name and address go into the existing address snapshot columns, the shopper's
 * contact into the recipient columns), the delivery batch it joined, and its pickup code.
 * `open_code_key` is `<point>:<code>` while the order waits for pickup and NULL afterwards, so a unique
 * key makes a code unique among the point's open orders without reserving codes forever.
 *
 * Campaigns and products say which fulfilment modes they allow; an order may use a mode both allow.
 */
export class TeamLeaders1764700000000 implements MigrationInterface {
  name = 'TeamLeaders1764700000000';

  async up(q: QueryRunner): Promise<void> {
    const opts = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
    await q.query(`CREATE TABLE leaders (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      user_id BIGINT NOT NULL,
      status VARCHAR(12) NOT NULL,
      name VARCHAR(20) NOT NULL,
      phone_enc VARCHAR(255) NOT NULL,
      phone_masked VARCHAR(16) NOT NULL,
      commission_bps INT NULL,
      reject_reason VARCHAR(100) NULL,
      reviewed_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_leaders_user (user_id),
      KEY ix_leaders_status (status, id),
      CONSTRAINT ck_leaders_commission CHECK (commission_bps IS NULL OR (commission_bps >= 0 AND commission_bps <= 5000))
    ) ${opts}`);
    await q.query(`CREATE TABLE pickup_points (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      leader_id BIGINT NOT NULL,
      status VARCHAR(12) NOT NULL,
      name VARCHAR(40) NOT NULL,
      kind VARCHAR(16) NOT NULL,
      province VARCHAR(20) NOT NULL,
      city VARCHAR(20) NOT NULL,
      district VARCHAR(20) NOT NULL,
      address VARCHAR(120) NOT NULL,
      lat DOUBLE NOT NULL,
      lng DOUBLE NOT NULL,
      opening_hours VARCHAR(40) NOT NULL,
      photo_url VARCHAR(512) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_pickup_points_leader (leader_id),
      KEY ix_pickup_points_city (status, city),
      CONSTRAINT ck_pickup_points_coords CHECK (lat BETWEEN -90 AND 90 AND lng BETWEEN -180 AND 180)
    ) ${opts}`);
    await q.query(`CREATE TABLE user_pickup_points (
      user_id BIGINT NOT NULL PRIMARY KEY,
      point_id BIGINT NOT NULL,
      via VARCHAR(12) NOT NULL,
      share_id BIGINT NULL,
      updated_at DATETIME(3) NOT NULL,
      KEY ix_user_pickup_points_point (point_id)
    ) ${opts}`);
    await q.query(`ALTER TABLE order_fulfilments
      ADD COLUMN pickup_point_id BIGINT NULL AFTER detail,
      ADD COLUMN leader_id BIGINT NULL AFTER pickup_point_id,
      ADD COLUMN pickup_point_name VARCHAR(40) NULL AFTER leader_id,
      ADD COLUMN batch_id BIGINT NULL AFTER pickup_point_name,
      ADD COLUMN pickup_code VARCHAR(12) NULL AFTER batch_id,
      ADD COLUMN open_code_key VARCHAR(40) NULL AFTER pickup_code,
      ADD COLUMN ready_at DATETIME(3) NULL AFTER open_code_key,
      ADD COLUMN picked_up_at DATETIME(3) NULL AFTER ready_at,
      ADD UNIQUE KEY uq_fulfilments_open_code (open_code_key),
      ADD KEY ix_fulfilments_point (pickup_point_id, batch_id),
      ADD KEY ix_fulfilments_leader (leader_id, order_id)`);
    await q.query(`ALTER TABLE products ADD COLUMN fulfilment_modes SET('delivery','pickup') NOT NULL DEFAULT 'delivery,pickup'`);
    await q.query(`ALTER TABLE campaigns ADD COLUMN fulfilment_modes SET('delivery','pickup') NOT NULL DEFAULT 'delivery,pickup'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaigns DROP COLUMN fulfilment_modes`);
    await q.query(`ALTER TABLE products DROP COLUMN fulfilment_modes`);
    await q.query(`ALTER TABLE order_fulfilments DROP INDEX uq_fulfilments_open_code, DROP INDEX ix_fulfilments_point, DROP INDEX ix_fulfilments_leader,
      DROP COLUMN pickup_point_id, DROP COLUMN leader_id, DROP COLUMN pickup_point_name, DROP COLUMN batch_id, DROP COLUMN pickup_code,
      DROP COLUMN open_code_key, DROP COLUMN ready_at, DROP COLUMN picked_up_at`);
    await q.query('DROP TABLE user_pickup_points');
    await q.query('DROP TABLE pickup_points');
    await q.query('DROP TABLE leaders');
  }
}
