import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rewards (spec §7, issue 10): a double-entry ledger (accounts with cached balances, idempotent
 * postings, append-only transfers), versioned commission rules (two levels at most — the database
 * refuses a third), commissions per order and level, withdrawals, reconciliation reports.
 */
export class RewardsLedger1764600000000 implements MigrationInterface {
  name = 'RewardsLedger1764600000000';

  async up(q: QueryRunner): Promise<void> {
    const opts = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
    // balance = credits - debits. Accounts that must never go below zero say so, and the CHECK is the
    // last line behind the guarded updates.
    await q.query(`CREATE TABLE ledger_accounts (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      code VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      user_id BIGINT NULL,
      kind VARCHAR(24) NOT NULL,
      may_go_negative TINYINT(1) NOT NULL,
      debits BIGINT NOT NULL DEFAULT 0,
      credits BIGINT NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_ledger_accounts_code (code),
      KEY ix_ledger_accounts_user (user_id),
      CONSTRAINT ck_ledger_accounts_nonneg CHECK (may_go_negative = 1 OR credits >= debits),
      CONSTRAINT ck_ledger_accounts_sums CHECK (debits >= 0 AND credits >= 0)
    ) ${opts}`);
    // One row per business operation: the key makes it idempotent, the hash tells a replay from a clash.
    await q.query(`CREATE TABLE ledger_postings (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      posting_key VARCHAR(120) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      payload_hash CHAR(64) CHARACTER SET ascii NOT NULL,
      created_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_ledger_postings_key (posting_key)
    ) ${opts}`);
    // Append-only: never updated, never deleted. reverses_id is unique: an entry is reversed once.
    await q.query(`CREATE TABLE ledger_transfers (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      posting_id BIGINT NOT NULL,
      debit_account_id BIGINT NOT NULL,
      credit_account_id BIGINT NOT NULL,
      amount BIGINT NOT NULL,
      kind VARCHAR(24) NOT NULL,
      ref_type VARCHAR(16) NULL,
      ref_id BIGINT NULL,
      reverses_id BIGINT NULL,
      explanation JSON NOT NULL,
      created_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_ledger_transfers_reverses (reverses_id),
      KEY ix_ledger_transfers_posting (posting_id),
      KEY ix_ledger_transfers_debit (debit_account_id, id),
      KEY ix_ledger_transfers_credit (credit_account_id, id),
      KEY ix_ledger_transfers_ref (ref_type, ref_id),
      CONSTRAINT ck_ledger_transfers_amount CHECK (amount > 0),
      CONSTRAINT ck_ledger_transfers_sides CHECK (debit_account_id <> credit_account_id)
    ) ${opts}`);
    // Versions are rows, never edited: the current rule of a scope is its newest version.
    await q.query(`CREATE TABLE reward_rules (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      campaign_id BIGINT NULL,
      cap_bps INT NOT NULL,
      self_purchase TINYINT(1) NOT NULL,
      created_by VARCHAR(64) NULL,
      created_at DATETIME(3) NOT NULL,
      KEY ix_reward_rules_scope (campaign_id, id),
      CONSTRAINT ck_reward_rules_cap CHECK (cap_bps BETWEEN 0 AND 10000)
    ) ${opts}`);
    // Two levels at most (pyramid-selling rules): the schema refuses level 3 whatever the code does.
    await q.query(`CREATE TABLE reward_rule_levels (
      rule_id BIGINT NOT NULL,
      level TINYINT NOT NULL,
      rate_bps INT NOT NULL,
      PRIMARY KEY (rule_id, level),
      CONSTRAINT ck_reward_rule_levels_level CHECK (level BETWEEN 1 AND 2),
      CONSTRAINT ck_reward_rule_levels_rate CHECK (rate_bps BETWEEN 0 AND 10000)
    ) ${opts}`);
    await q.query(`CREATE TABLE reward_orders (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_id BIGINT NOT NULL,
      buyer_user_id BIGINT NOT NULL,
      campaign_id BIGINT NULL,
      rule_id BIGINT NOT NULL,
      paid_amount BIGINT NOT NULL,
      refunded_amount BIGINT NOT NULL DEFAULT 0,
      status VARCHAR(16) NOT NULL,
      settle_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_reward_orders_order (order_id),
      KEY ix_reward_orders_due (status, settle_at),
      CONSTRAINT ck_reward_orders_refund CHECK (refunded_amount BETWEEN 0 AND paid_amount)
    ) ${opts}`);
    await q.query(`CREATE TABLE commissions (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_id BIGINT NOT NULL,
      level TINYINT NOT NULL,
      beneficiary_user_id BIGINT NOT NULL,
      status VARCHAR(16) NOT NULL,
      amount BIGINT NOT NULL,
      voided BIGINT NOT NULL DEFAULT 0,
      reversed BIGINT NOT NULL DEFAULT 0,
      rate_bps INT NOT NULL,
      rule_id BIGINT NOT NULL,
      via VARCHAR(8) NOT NULL,
      share_chain JSON NOT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      UNIQUE KEY uq_commissions_order_level (order_id, level),
      KEY ix_commissions_beneficiary (beneficiary_user_id, id),
      CONSTRAINT ck_commissions_level CHECK (level BETWEEN 1 AND 2),
      CONSTRAINT ck_commissions_amounts CHECK (amount >= 0 AND voided >= 0 AND reversed >= 0 AND voided + reversed <= amount)
    ) ${opts}`);
    await q.query(`CREATE TABLE withdrawals (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      user_id BIGINT NOT NULL,
      out_bill_no VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      amount BIGINT NOT NULL,
      fee BIGINT NOT NULL,
      net_amount BIGINT NOT NULL,
      status VARCHAR(16) NOT NULL,
      provider_state VARCHAR(24) NULL,
      transfer_bill_no VARCHAR(64) NULL,
      package_info VARCHAR(1024) NULL,
      fail_reason VARCHAR(200) NULL,
      reject_reason VARCHAR(200) NULL,
      attempts INT NOT NULL DEFAULT 0,
      day DATE NOT NULL,
      next_query_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      paid_at DATETIME(3) NULL,
      UNIQUE KEY uq_withdrawals_bill (out_bill_no),
      KEY ix_withdrawals_user (user_id, day),
      KEY ix_withdrawals_status (status, next_query_at),
      CONSTRAINT ck_withdrawals_amounts CHECK (amount > 0 AND fee >= 0 AND net_amount > 0 AND fee + net_amount = amount)
    ) ${opts}`);
    await q.query(`CREATE TABLE reward_reconciliations (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      ok TINYINT(1) NOT NULL,
      report JSON NOT NULL,
      started_at DATETIME(3) NOT NULL,
      finished_at DATETIME(3) NOT NULL
    ) ${opts}`);
    // The default global rules (version 1): 5 % level 1, 2 % level 2, at most 10 % of an order.
    await q.query(`INSERT INTO reward_rules (id, campaign_id, cap_bps, self_purchase, created_by, created_at) VALUES (1, NULL, 1000, 0, 'migration', UTC_TIMESTAMP(3))`);
    await q.query(`INSERT INTO reward_rule_levels (rule_id, level, rate_bps) VALUES (1, 1, 500), (1, 2, 200)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['reward_reconciliations', 'withdrawals', 'commissions', 'reward_orders', 'reward_rule_levels', 'reward_rules', 'ledger_transfers', 'ledger_postings', 'ledger_accounts']) await q.query(`DROP TABLE ${t}`);
  }
}
