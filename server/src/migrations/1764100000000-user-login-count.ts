import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * users.login_count: every login increments it, so the login upsert always changes the row and its
 * affected-row count tells an insert (1) from an update (2) even with mysql2's FOUND_ROWS flag.
 */
export class UserLoginCount1764100000000 implements MigrationInterface {
  name = 'UserLoginCount1764100000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN login_count INT NOT NULL DEFAULT 0 AFTER login_provider`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN login_count`);
  }
}
