import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pickup verification and leader commission (issue 11). No new table: pickup codes live in the
 * order module's `order_fulfilments` columns the team-leaders migration added (`pickup_code`,
 * `open_code_key` UNIQUE while the order waits, `picked_up_at`).
 *
 * Rewards (`commissions`, `reward_rules`) learn leader commission:
 * - `commissions.kind` = `share` (levels 1 and 2, as before) or `leader` (one row per pickup order, level
 *   1); the unique key becomes (order, kind, level), so an order holds at most one leader commission.
 * - `ledger_accounts.kind` widens to 32 for the `leader_commission_expense` platform account.
 * - `reward_rules.leader_rate_bps`: the leader rate of a rule version (global or per campaign). Versions
 *   that exist get 3 % — what the default 10 % cap leaves after 5 % + 2 % — since no leader commission
 *   was ever paid under them, no order's figures change. A leader's own `leaders.commission_bps` wins.
 */
export class PickupVerify1764730000000 implements MigrationInterface {
  name = 'PickupVerify1764730000000';

  async up(q: QueryRunner): Promise<void> {
    // `leader_commission_expense` (25 characters) is the platform account's kind: the column was 24 wide.
    await q.query(`ALTER TABLE ledger_accounts MODIFY kind VARCHAR(32) NOT NULL`);
    await q.query(`ALTER TABLE commissions
      ADD COLUMN kind VARCHAR(8) NOT NULL DEFAULT 'share' AFTER order_id,
      DROP INDEX uq_commissions_order_level,
      ADD UNIQUE KEY uq_commissions_order_kind_level (order_id, kind, level),
      ADD CONSTRAINT ck_commissions_kind CHECK (kind IN ('share', 'leader'))`);
    await q.query(`ALTER TABLE reward_rules
      ADD COLUMN leader_rate_bps INT NOT NULL DEFAULT 300 AFTER self_purchase,
      ADD CONSTRAINT ck_reward_rules_leader_rate CHECK (leader_rate_bps BETWEEN 0 AND 5000)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reward_rules DROP CONSTRAINT ck_reward_rules_leader_rate, DROP COLUMN leader_rate_bps`);
    await q.query(`DELETE FROM commissions WHERE kind = 'leader'`);
    await q.query(`ALTER TABLE commissions DROP CONSTRAINT ck_commissions_kind, DROP INDEX uq_commissions_order_kind_level, ADD UNIQUE KEY uq_commissions_order_level (order_id, level), DROP COLUMN kind`);
  }
}
