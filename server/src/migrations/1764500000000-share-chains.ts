import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Share chains (spec §6): shares, their visits, first logins through a share, inviter bindings and
 * their history, share coupon packs; and the order module's attribution snapshot per order.
 */
export class ShareChains1764500000000 implements MigrationInterface {
  name = 'ShareChains1764500000000';

  async up(q: QueryRunner): Promise<void> {
    const opts = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
    // dedupe_key makes creating a share idempotent per (sharer, kind, target, parent, time bucket).
    await q.query(`CREATE TABLE shares (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      token VARCHAR(10) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      sharer_user_id BIGINT NOT NULL,
      kind VARCHAR(16) NOT NULL,
      target_id BIGINT NOT NULL,
      parent_share_id BIGINT NULL,
      channel VARCHAR(16) NOT NULL,
      depth INT NOT NULL,
      dedupe_key VARCHAR(120) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      created_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_shares_token (token),
      UNIQUE KEY uq_shares_dedupe (dedupe_key),
      KEY ix_shares_sharer (sharer_user_id, id),
      KEY ix_shares_target (kind, target_id),
      KEY ix_shares_parent (parent_share_id)
    ) ${opts}`);
    // One row per (share, visitor, UTC day): the unique key is what counts a visit once.
    await q.query(`CREATE TABLE share_visits (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      share_id BIGINT NOT NULL,
      visitor_key VARCHAR(48) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      user_id BIGINT NULL,
      day DATE NOT NULL,
      scene INT NULL,
      visited_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_share_visits (share_id, visitor_key, day),
      KEY ix_share_visits_user (user_id, visited_at)
    ) ${opts}`);
    await q.query(`CREATE TABLE share_signups (
      user_id BIGINT NOT NULL PRIMARY KEY,
      share_id BIGINT NOT NULL,
      sharer_user_id BIGINT NOT NULL,
      created_at DATETIME(3) NOT NULL,
      KEY ix_share_signups_share (share_id),
      KEY ix_share_signups_sharer (sharer_user_id)
    ) ${opts}`);
    await q.query(`CREATE TABLE user_inviters (
      user_id BIGINT NOT NULL PRIMARY KEY,
      inviter_user_id BIGINT NOT NULL,
      share_id BIGINT NOT NULL,
      bound_at DATETIME(3) NOT NULL,
      expires_at DATETIME(3) NULL,
      KEY ix_user_inviters_inviter (inviter_user_id),
      CONSTRAINT ck_user_inviters_self CHECK (user_id <> inviter_user_id)
    ) ${opts}`);
    await q.query(`CREATE TABLE user_inviter_history (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      user_id BIGINT NOT NULL,
      inviter_user_id BIGINT NOT NULL,
      share_id BIGINT NOT NULL,
      outcome VARCHAR(16) NOT NULL,
      reason VARCHAR(32) NULL,
      created_at DATETIME(3) NOT NULL,
      KEY ix_user_inviter_history_user (user_id, id)
    ) ${opts}`);
    await q.query(`CREATE TABLE share_packs (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      name VARCHAR(40) NOT NULL,
      friend_template_ids JSON NOT NULL,
      bonus_template_id BIGINT NOT NULL,
      required_friends INT NOT NULL,
      total_packs INT NOT NULL,
      packs_started INT NOT NULL,
      ends_at DATETIME(3) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      CONSTRAINT ck_share_packs_started CHECK (packs_started >= 0 AND packs_started <= total_packs)
    ) ${opts}`);
    // One per (pack, sharer): the guarded counter of new friends and the bonus, issued once.
    await q.query(`CREATE TABLE share_pack_progress (
      pack_id BIGINT NOT NULL,
      sharer_user_id BIGINT NOT NULL,
      new_friends INT NOT NULL,
      bonus_coupon_id BIGINT NULL,
      completed_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (pack_id, sharer_user_id)
    ) ${opts}`);
    // A friend claims a pack once (from whoever shared it).
    await q.query(`CREATE TABLE share_pack_claims (
      pack_id BIGINT NOT NULL,
      friend_user_id BIGINT NOT NULL,
      sharer_user_id BIGINT NOT NULL,
      share_id BIGINT NOT NULL,
      counted TINYINT(1) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (pack_id, friend_user_id),
      KEY ix_share_pack_claims_sharer (pack_id, sharer_user_id)
    ) ${opts}`);
    // Owned by the order module: the attribution snapshot taken when the order was created.
    await q.query(`CREATE TABLE order_attributions (
      order_id BIGINT NOT NULL PRIMARY KEY,
      share_id BIGINT NOT NULL,
      sharer_user_id BIGINT NOT NULL,
      chain JSON NOT NULL,
      created_at DATETIME(3) NOT NULL,
      KEY ix_order_attributions_share (share_id),
      KEY ix_order_attributions_sharer (sharer_user_id)
    ) ${opts}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['order_attributions', 'share_pack_claims', 'share_pack_progress', 'share_packs', 'user_inviter_history', 'user_inviters', 'share_signups', 'share_visits', 'shares']) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
