import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campaigns, groups, seats, orders, refunds. Scarce counters carry CHECK constraints as a last line
 * of defence behind the guarded updates (MariaDB 10.2+ and MySQL 8.0.16+ enforce them).
 * The group table is `group_buys` because GROUPS is reserved in MySQL 8.
 */
export class Groupbuy1763900000000 implements MigrationInterface {
  name = 'Groupbuy1763900000000';

  async up(q: QueryRunner): Promise<void> {
    const opts = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
    await q.query(`CREATE TABLE campaigns (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      title VARCHAR(60) NOT NULL,
      product_id BIGINT NOT NULL,
      sku_id BIGINT NOT NULL,
      spec_label VARCHAR(64) NOT NULL,
      image VARCHAR(512) NULL,
      list_price INT NOT NULL,
      group_price INT NOT NULL,
      opener_mode VARCHAR(16) NOT NULL,
      opener_price INT NOT NULL,
      group_size INT NOT NULL,
      group_duration_sec INT NOT NULL,
      payment_timeout_sec INT NOT NULL,
      starts_at DATETIME(3) NOT NULL,
      ends_at DATETIME(3) NOT NULL,
      stock_total INT NOT NULL,
      stock_left INT NOT NULL,
      limit_per_order INT NOT NULL,
      limit_open_groups INT NOT NULL,
      limit_units_per_user INT NOT NULL,
      new_users_only TINYINT(1) NOT NULL,
      virtual_enabled TINYINT(1) NOT NULL,
      virtual_min_real INT NOT NULL,
      allow_solo TINYINT(1) NOT NULL,
      status VARCHAR(16) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      KEY ix_campaigns_status (status, ends_at),
      CONSTRAINT ck_campaigns_stock CHECK (stock_left >= 0 AND stock_left <= stock_total),
      CONSTRAINT ck_campaigns_size CHECK (group_size BETWEEN 2 AND 50)
    ) ${opts}`);
    await q.query(`CREATE TABLE group_buys (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      campaign_id BIGINT NOT NULL,
      opener_user_id BIGINT NOT NULL,
      size INT NOT NULL,
      status VARCHAR(16) NOT NULL,
      seats_taken INT NOT NULL,
      paid_count INT NOT NULL,
      deadline_at DATETIME(3) NULL,
      opened_at DATETIME(3) NULL,
      finished_at DATETIME(3) NULL,
      is_virtual TINYINT(1) NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      KEY ix_group_buys_campaign (campaign_id, status),
      KEY ix_group_buys_deadline (status, deadline_at),
      KEY ix_group_buys_opener (opener_user_id, id),
      CONSTRAINT ck_group_buys_seats CHECK (seats_taken >= 0 AND seats_taken <= size AND paid_count >= 0 AND paid_count <= size)
    ) ${opts}`);
    await q.query(`CREATE TABLE orders (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_no VARCHAR(32) NOT NULL,
      user_id BIGINT NOT NULL,
      kind VARCHAR(16) NOT NULL,
      campaign_id BIGINT NULL,
      group_id BIGINT NULL,
      product_id BIGINT NOT NULL,
      sku_id BIGINT NOT NULL,
      title VARCHAR(60) NOT NULL,
      spec_label VARCHAR(64) NOT NULL,
      image VARCHAR(512) NULL,
      unit_price INT NOT NULL,
      quantity INT NOT NULL,
      goods_amount INT NOT NULL,
      discount_amount INT NOT NULL,
      payable_amount INT NOT NULL,
      status VARCHAR(24) NOT NULL,
      pay_deadline_at DATETIME(3) NULL,
      paid_at DATETIME(3) NULL,
      paid_amount INT NULL,
      transaction_id VARCHAR(64) NULL,
      cancel_reason VARCHAR(64) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_orders_no (order_no),
      UNIQUE KEY uq_orders_transaction (transaction_id),
      KEY ix_orders_user (user_id, id),
      KEY ix_orders_deadline (status, pay_deadline_at),
      KEY ix_orders_group (group_id),
      KEY ix_orders_campaign_user (campaign_id, user_id),
      CONSTRAINT ck_orders_payable CHECK (payable_amount >= 1 AND payable_amount <= goods_amount)
    ) ${opts}`);
    await q.query(`CREATE TABLE group_members (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      group_id BIGINT NOT NULL,
      user_id BIGINT NOT NULL,
      active_user_id BIGINT NULL,
      order_id BIGINT NOT NULL,
      role VARCHAR(8) NOT NULL,
      status VARCHAR(16) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      paid_at DATETIME(3) NULL,
      UNIQUE KEY uq_group_members_seat (group_id, active_user_id),
      UNIQUE KEY uq_group_members_order (order_id),
      KEY ix_group_members_user (user_id, group_id)
    ) ${opts}`);
    await q.query(`CREATE TABLE order_events (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_id BIGINT NOT NULL,
      from_status VARCHAR(24) NULL,
      to_status VARCHAR(24) NOT NULL,
      note VARCHAR(200) NULL,
      created_at DATETIME(3) NOT NULL,
      KEY ix_order_events_order (order_id, id)
    ) ${opts}`);
    await q.query(`CREATE TABLE campaign_user_usage (
      campaign_id BIGINT NOT NULL,
      user_id BIGINT NOT NULL,
      units INT NOT NULL,
      open_groups INT NOT NULL,
      PRIMARY KEY (campaign_id, user_id),
      CONSTRAINT ck_usage CHECK (units >= 0 AND open_groups >= 0)
    ) ${opts}`);
    await q.query(`CREATE TABLE refunds (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      refund_no VARCHAR(32) NOT NULL,
      order_id BIGINT NOT NULL,
      amount INT NOT NULL,
      reason VARCHAR(32) NOT NULL,
      status VARCHAR(16) NOT NULL,
      attempts INT NOT NULL DEFAULT 0,
      next_attempt_at DATETIME(3) NOT NULL,
      provider_refund_id VARCHAR(64) NULL,
      last_error VARCHAR(255) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      succeeded_at DATETIME(3) NULL,
      UNIQUE KEY uq_refunds_no (refund_no),
      UNIQUE KEY uq_refunds_order_reason (order_id, reason),
      KEY ix_refunds_due (status, next_attempt_at),
      CONSTRAINT ck_refunds_amount CHECK (amount >= 1)
    ) ${opts}`);
    await q.query(`CREATE TABLE payment_notifications (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      notification_id VARCHAR(64) NOT NULL,
      out_trade_no VARCHAR(32) NOT NULL,
      transaction_id VARCHAR(64) NOT NULL,
      amount INT NOT NULL,
      outcome VARCHAR(32) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      KEY ix_payment_notifications_trade (out_trade_no)
    ) ${opts}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['payment_notifications', 'refunds', 'campaign_user_usage', 'order_events', 'group_members', 'orders', 'group_buys', 'campaigns']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
