import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The shopper's messages (issue 12 item 6), owned by the notification module: the in-app 消息 inbox
 * and the record behind each WeChat subscribe message.
 *
 * `dedupe_key` is unique: one message per (reason, object, user) — `group_succeeded:<group>:<user>`,
 * `order_refunded:<refund>`, `payment_expiring:<order>`, … — so a redelivered event or a second
 * reminder scan writes nothing. `push_status` is the WeChat side: `none` (inbox only), `pending`
 * (to send; `push_next_at` is when, doubling as the sender's lease), then `sent`, `skipped` (the user
 * gave no consent) or `failed`.
 */
export class Notifications1764610000000 implements MigrationInterface {
  name = 'Notifications1764610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE notifications (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      user_id BIGINT NOT NULL,
      kind VARCHAR(24) NOT NULL,
      dedupe_key VARCHAR(96) NOT NULL,
      title VARCHAR(40) NOT NULL,
      body VARCHAR(200) NOT NULL,
      link VARCHAR(200) NULL,
      created_at DATETIME(3) NOT NULL,
      read_at DATETIME(3) NULL,
      status VARCHAR(8) NOT NULL,
      push_attempts INT NOT NULL DEFAULT 0,
      push_next_at DATETIME(3) NULL,
      push_error VARCHAR(200) NULL,
      UNIQUE KEY uq_notifications_dedupe (dedupe_key),
      KEY ix_notifications_user (user_id, id),
      KEY ix_notifications_unread (user_id, read_at),
      KEY ix_notifications_push (status, push_next_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS notifications');
  }
}
