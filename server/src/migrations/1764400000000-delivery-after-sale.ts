import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders to completion: the address book, the order's delivery (a snapshot keyed by order id, so a
 * pickup point can later take the address's place), after-sale requests, and partial refunds.
 *
 * Refunds: one order may now have several. `uq_refunds_order_reason` gives way to `refund_key`
 * (unique): `<order>:<reason>` for the system's full refunds (as before, so creating one twice creates
 * it once), `<order>:after_sale:<id>` for an after-sale, `<order>:operator:<n>` for an operator's.
 * `orders.refunded_amount` is the guarded counter that keeps their sum at or below `paid_amount`.
 */
export class DeliveryAfterSale1764400000000 implements MigrationInterface {
  name = 'DeliveryAfterSale1764400000000';

  async up(q: QueryRunner): Promise<void> {
    const opts = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
    await q.query(`CREATE TABLE addresses (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      user_id BIGINT NOT NULL,
      name VARCHAR(20) NOT NULL,
      phone_enc VARCHAR(255) NOT NULL,
      province VARCHAR(20) NOT NULL,
      city VARCHAR(20) NOT NULL,
      district VARCHAR(20) NOT NULL,
      detail VARCHAR(120) NOT NULL,
      default_user_id BIGINT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      KEY ix_addresses_user (user_id, id),
      UNIQUE KEY uq_addresses_default (default_user_id)
    ) ${opts}`);
    // One row per user: the guarded counter behind "at most 20 addresses" (and the lock that orders
    // concurrent changes of one user's book).
    await q.query(`CREATE TABLE address_books (
      user_id BIGINT NOT NULL PRIMARY KEY,
      count INT NOT NULL DEFAULT 0,
      CONSTRAINT ck_address_books_count CHECK (count >= 0 AND count <= 20)
    ) ${opts}`);
    await q.query(`CREATE TABLE order_fulfilments (
      order_id BIGINT NOT NULL PRIMARY KEY,
      mode VARCHAR(16) NOT NULL,
      address_id BIGINT NULL,
      recipient_name VARCHAR(20) NULL,
      recipient_phone_enc VARCHAR(255) NULL,
      province VARCHAR(20) NULL,
      city VARCHAR(20) NULL,
      district VARCHAR(20) NULL,
      detail VARCHAR(120) NULL,
      carrier VARCHAR(32) NULL,
      tracking_no VARCHAR(40) NULL,
      shipped_at DATETIME(3) NULL,
      auto_complete_at DATETIME(3) NULL,
      completed_at DATETIME(3) NULL,
      after_sale_until DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      KEY ix_fulfilments_auto_complete (auto_complete_at, completed_at)
    ) ${opts}`);
    await q.query(`CREATE TABLE after_sales (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_id BIGINT NOT NULL,
      user_id BIGINT NOT NULL,
      kind VARCHAR(16) NOT NULL,
      status VARCHAR(16) NOT NULL,
      reason VARCHAR(16) NOT NULL,
      description VARCHAR(500) NOT NULL,
      images JSON NOT NULL,
      amount BIGINT NOT NULL,
      reject_reason VARCHAR(100) NULL,
      return_carrier VARCHAR(32) NULL,
      return_tracking_no VARCHAR(40) NULL,
      refund_id BIGINT NULL,
      open_order_id BIGINT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      closed_at DATETIME(3) NULL,
      UNIQUE KEY uq_after_sales_open (open_order_id),
      KEY ix_after_sales_order (order_id),
      KEY ix_after_sales_user (user_id, id),
      KEY ix_after_sales_queue (status, id),
      CONSTRAINT ck_after_sales_amount CHECK (amount >= 1)
    ) ${opts}`);
    await q.query(`ALTER TABLE orders ADD COLUMN refunded_amount BIGINT NOT NULL DEFAULT 0 AFTER paid_amount,
      ADD CONSTRAINT ck_orders_refunded CHECK (refunded_amount >= 0 AND refunded_amount <= COALESCE(paid_amount, 0))`);
    await q.query(`UPDATE orders o SET refunded_amount = LEAST(COALESCE(o.paid_amount, 0), (SELECT COALESCE(SUM(r.amount), 0) FROM refunds r WHERE r.order_id = o.id))`);
    await q.query(`ALTER TABLE refunds ADD COLUMN refund_key VARCHAR(64) NULL AFTER refund_no, ADD COLUMN after_sale_id BIGINT NULL AFTER reason`);
    await q.query(`UPDATE refunds SET refund_key = CONCAT(order_id, ':', reason)`);
    await q.query(`ALTER TABLE refunds MODIFY refund_key VARCHAR(64) NOT NULL, DROP INDEX uq_refunds_order_reason, ADD UNIQUE KEY uq_refunds_key (refund_key), ADD KEY ix_refunds_order (order_id)`);
    await q.query(`CREATE INDEX ix_orders_created ON orders (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_orders_created ON orders`);
    await q.query(`ALTER TABLE refunds DROP INDEX uq_refunds_key, DROP INDEX ix_refunds_order, ADD UNIQUE KEY uq_refunds_order_reason (order_id, reason), DROP COLUMN refund_key, DROP COLUMN after_sale_id`);
    await q.query(`ALTER TABLE orders DROP CONSTRAINT ck_orders_refunded, DROP COLUMN refunded_amount`);
    await q.query(`DROP TABLE after_sales`);
    await q.query(`DROP TABLE order_fulfilments`);
    await q.query(`DROP TABLE address_books`);
    await q.query(`DROP TABLE addresses`);
  }
}
