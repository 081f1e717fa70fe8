import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Coupon templates, per-user claim counters, user coupons; an order remembers its coupon. */
export class Coupons1764000000000 implements MigrationInterface {
  name = 'Coupons1764000000000';

  async up(q: QueryRunner): Promise<void> {
    const opts = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
    await q.query(`CREATE TABLE coupon_templates (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      name VARCHAR(40) NOT NULL,
      kind VARCHAR(16) NOT NULL,
      amount_off INT NOT NULL,
      threshold INT NOT NULL,
      percent_off INT NOT NULL,
      max_discount INT NOT NULL,
      scope VARCHAR(16) NOT NULL,
      scope_ids JSON NOT NULL,
      validity_type VARCHAR(16) NOT NULL,
      valid_from DATETIME(3) NULL,
      valid_to DATETIME(3) NULL,
      valid_days INT NULL,
      total_stock INT NOT NULL,
      issued INT NOT NULL,
      per_user_limit INT NOT NULL,
      audience VARCHAR(16) NOT NULL,
      channel VARCHAR(24) NOT NULL,
      status VARCHAR(16) NOT NULL,
      ends_at DATETIME(3) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      KEY ix_coupon_templates_channel (channel, status),
      CONSTRAINT ck_coupon_templates_issued CHECK (issued >= 0 AND issued <= total_stock)
    ) ${opts}`);
    await q.query(`CREATE TABLE coupon_user_claims (
      template_id BIGINT NOT NULL,
      user_id BIGINT NOT NULL,
      claimed INT NOT NULL,
      PRIMARY KEY (template_id, user_id),
      CONSTRAINT ck_coupon_user_claims CHECK (claimed >= 0)
    ) ${opts}`);
    await q.query(`CREATE TABLE user_coupons (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      template_id BIGINT NOT NULL,
      user_id BIGINT NOT NULL,
      status VARCHAR(16) NOT NULL,
      source VARCHAR(24) NOT NULL,
      valid_from DATETIME(3) NOT NULL,
      valid_to DATETIME(3) NOT NULL,
      locked_order_id BIGINT NULL,
      used_order_id BIGINT NULL,
      claimed_at DATETIME(3) NOT NULL,
      used_at DATETIME(3) NULL,
      updated_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_user_coupons_locked_order (locked_order_id),
      KEY ix_user_coupons_user (user_id, status, valid_to),
      KEY ix_user_coupons_expiry (status, valid_to),
      KEY ix_user_coupons_template (template_id)
    ) ${opts}`);
    await q.query(`ALTER TABLE orders ADD COLUMN coupon_id BIGINT NULL AFTER discount_amount`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders DROP COLUMN coupon_id`);
    for (const t of ['user_coupons', 'coupon_user_claims', 'coupon_templates']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
