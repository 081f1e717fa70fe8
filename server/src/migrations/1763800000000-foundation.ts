import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, refresh tokens, operators, audit log, catalog. Portable SQL: MariaDB 10.11 and MySQL 8. */
export class Foundation1763800000000 implements MigrationInterface {
  name = 'Foundation1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE users (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      openid VARCHAR(64) NOT NULL,
      unionid VARCHAR(64) NULL,
      session_key_enc VARCHAR(255) NULL,
      nickname VARCHAR(64) NOT NULL,
      avatar_url VARCHAR(512) NULL,
      phone_enc VARCHAR(255) NULL,
      phone_hash CHAR(64) NULL,
      login_provider VARCHAR(16) NOT NULL,
      last_login_at DATETIME(3) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_users_openid (openid),
      KEY ix_users_phone_hash (phone_hash)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE refresh_tokens (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      user_id BIGINT NOT NULL,
      token_hash CHAR(64) NOT NULL,
      family_id CHAR(36) NOT NULL,
      expires_at DATETIME(3) NOT NULL,
      used_at DATETIME(3) NULL,
      revoked_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_refresh_tokens_hash (token_hash),
      KEY ix_refresh_tokens_family (family_id),
      KEY ix_refresh_tokens_expires (expires_at),
      CONSTRAINT fk_refresh_tokens_user FOREIGN KEY (user_id) REFERENCES users (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE admin_users (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      username VARCHAR(64) NOT NULL,
      password_hash VARCHAR(255) NOT NULL,
      role VARCHAR(16) NOT NULL,
      status VARCHAR(16) NOT NULL,
      last_login_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_admin_users_username (username)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE audit_logs (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      admin_id BIGINT NOT NULL,
      admin_username VARCHAR(64) NOT NULL,
      action VARCHAR(64) NOT NULL,
      entity_type VARCHAR(32) NOT NULL,
      entity_id VARCHAR(64) NOT NULL,
      \`before\` JSON NULL,
      \`after\` JSON NULL,
      request_id VARCHAR(64) NOT NULL,
      ip VARCHAR(64) NULL,
      created_at DATETIME(3) NOT NULL,
      KEY ix_audit_entity (entity_type, entity_id),
      KEY ix_audit_admin (admin_id, created_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE products (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      code VARCHAR(64) NULL,
      title VARCHAR(60) NOT NULL,
      description TEXT NOT NULL,
      category VARCHAR(32) NOT NULL,
      images JSON NOT NULL,
      status VARCHAR(16) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_products_code (code),
      KEY ix_products_status (status, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE skus (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      product_id BIGINT NOT NULL,
      spec_label VARCHAR(64) NOT NULL,
      list_price INT NOT NULL,
      stock INT NOT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      KEY ix_skus_product (product_id),
      CONSTRAINT fk_skus_product FOREIGN KEY (product_id) REFERENCES products (id),
      CONSTRAINT ck_skus_stock CHECK (stock >= 0),
      CONSTRAINT ck_skus_price CHECK (list_price > 0)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE stock_movements (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      sku_id BIGINT NOT NULL,
      delta INT NOT NULL,
      reason VARCHAR(200) NOT NULL,
      ref_type VARCHAR(32) NOT NULL,
      ref_id VARCHAR(64) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      KEY ix_stock_movements_sku (sku_id, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['stock_movements', 'skus', 'products', 'audit_logs', 'admin_users', 'refresh_tokens', 'users']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
