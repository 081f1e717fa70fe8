import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { CommissionStatus, LedgerEntryKind, LedgerExplanation, WithdrawalStatus } from '@tuan/shared';

/**
 * A ledger account. Beneficiaries have `user:<id>:<kind>` accounts (pending, frozen, available,
 * withdrawing, receivable); the platform has `platform:<kind>` accounts (commission expense, payout
 * clearing, fee income). balance = credits − debits; the cached sums change only in the same
 * transaction as the transfers that move them, by guarded updates.
 */
@Entity('ledger_accounts')
export class LedgerAccountEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ type: 'varchar', length: 64 })
  code: string;

  @Column({ name: 'user_id', type: 'bigint', nullable: true })
  userId: number | null;

  @Column({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ name: 'may_go_negative', type: 'boolean' })
  mayGoNegative: boolean;

  @Column({ type: 'bigint' })
  debits: number;

  @Column({ type: 'bigint' })
  credits: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** One business operation on the ledger; its key makes it idempotent, its payload hash detects a clash. */
@Entity('ledger_postings')
export class LedgerPostingEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'posting_key', type: 'varchar', length: 120 })
  postingKey: string;

  @Column({ name: 'payload_hash', type: 'char', length: 64 })
  payloadHash: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/** A double-entry transfer: append-only; `reversesId` is unique (an entry is reversed once). */
@Entity('ledger_transfers')
export class LedgerTransferEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'posting_id', type: 'bigint' })
  postingId: number;

  @Column({ name: 'debit_account_id', type: 'bigint' })
  debitAccountId: number;

  @Column({ name: 'credit_account_id', type: 'bigint' })
  creditAccountId: number;

  @Column({ type: 'bigint' })
  amount: number;

  @Column({ type: 'varchar', length: 24 })
  kind: LedgerEntryKind;

  @Column({ name: 'ref_type', type: 'varchar', length: 16, nullable: true })
  refType: 'commission' | 'withdrawal' | 'adjustment' | null;

  @Column({ name: 'ref_id', type: 'bigint', nullable: true })
  refId: number | null;

  @Column({ name: 'reverses_id', type: 'bigint', nullable: true })
  reversesId: number | null;

  @Column({ type: 'json' })
  explanation: LedgerExplanation;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/** A version of the commission rules (global when `campaignId` is null). Never edited. */
@Entity('reward_rules')
export class RewardRuleEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'campaign_id', type: 'bigint', nullable: true })
  campaignId: number | null;

  @Column({ name: 'cap_bps', type: 'int' })
  capBps: number;

  @Column({ name: 'self_purchase', type: 'boolean' })
  selfPurchase: boolean;

  /** Team leaders' commission on completed pickup orders under this version (a leader's own rate wins). */
  @Column({ name: 'leader_rate_bps', type: 'int' })
  leaderRateBps: number;

  @Column({ name: 'created_by', type: 'varchar', length: 64, nullable: true })
  createdBy: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/** A level's rate in one rule version; the schema allows levels 1 and 2 only. */
@Entity('reward_rule_levels')
export class RewardRuleLevelEntity {
  @PrimaryColumn({ name: 'rule_id', type: 'bigint' })
  ruleId: number;

  @PrimaryColumn({ type: 'tinyint' })
  level: number;

  @Column({ name: 'rate_bps', type: 'int' })
  rateBps: number;
}

export type CommissionKind = 'share' | 'leader';

export type RewardOrderStatus = 'accrued' | 'frozen' | 'settled' | 'closed';

/** What the ledger knows of a paid order: its base, the rule version it was paid under, where it stands. */
@Entity('reward_orders')
export class RewardOrderEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'order_id', type: 'bigint' })
  orderId: number;

  @Column({ name: 'buyer_user_id', type: 'bigint' })
  buyerUserId: number;

  @Column({ name: 'campaign_id', type: 'bigint', nullable: true })
  campaignId: number | null;

  @Column({ name: 'rule_id', type: 'bigint' })
  ruleId: number;

  @Column({ name: 'paid_amount', type: 'bigint' })
  paidAmount: number;

  @Column({ name: 'refunded_amount', type: 'bigint' })
  refundedAmount: number;

  @Column({ type: 'varchar', length: 16 })
  status: RewardOrderStatus;

  @Column({ name: 'settle_at', type: 'datetime', precision: 3, nullable: true })
  settleAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** One level of one order's commission: a two-phase hold on the ledger, resolved exactly once. */
@Entity('commissions')
export class CommissionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'order_id', type: 'bigint' })
  orderId: number;

  /** `share`: levels 1 and 2 of the share chain; `leader`: the pickup point's leader (level 1, one per order). */
  @Column({ type: 'varchar', length: 8 })
  kind: CommissionKind;

  @Column({ type: 'tinyint' })
  level: number;

  @Column({ name: 'beneficiary_user_id', type: 'bigint' })
  beneficiaryUserId: number;

  @Column({ type: 'varchar', length: 16 })
  status: CommissionStatus;

  /** Accrued when the order was paid. */
  @Column({ type: 'bigint' })
  amount: number;

  /** Given back by refunds before settlement. */
  @Column({ type: 'bigint' })
  voided: number;

  /** Clawed back by refunds after settlement. */
  @Column({ type: 'bigint' })
  reversed: number;

  @Column({ name: 'rate_bps', type: 'int' })
  rateBps: number;

  @Column({ name: 'rule_id', type: 'bigint' })
  ruleId: number;

  @Column({ type: 'varchar', length: 8 })
  via: 'share' | 'inviter' | 'self' | 'leader';

  @Column({ name: 'share_chain', type: 'json' })
  shareChain: number[];

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

@Entity('withdrawals')
export class WithdrawalEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'user_id', type: 'bigint' })
  userId: number;

  /** The payout's idempotency key at WeChat; kept across every re-ask after an unclear answer. */
  @Column({ name: 'out_bill_no', type: 'varchar', length: 32 })
  outBillNo: string;

  @Column({ type: 'bigint' })
  amount: number;

  @Column({ type: 'bigint' })
  fee: number;

  @Column({ name: 'net_amount', type: 'bigint' })
  netAmount: number;

  @Column({ type: 'varchar', length: 16 })
  status: WithdrawalStatus;

  @Column({ name: 'provider_state', type: 'varchar', length: 24, nullable: true })
  providerState: string | null;

  @Column({ name: 'transfer_bill_no', type: 'varchar', length: 64, nullable: true })
  transferBillNo: string | null;

  @Column({ name: 'package_info', type: 'varchar', length: 1024, nullable: true })
  packageInfo: string | null;

  @Column({ name: 'fail_reason', type: 'varchar', length: 200, nullable: true })
  failReason: string | null;

  @Column({ name: 'reject_reason', type: 'varchar', length: 200, nullable: true })
  rejectReason: string | null;

  @Column({ type: 'int' })
  attempts: number;

  /** The UTC day it was requested on (the daily limit counts per day). */
  @Column({ type: 'date' })
  day: string;

  /** When the query job asks the provider next (an unclear answer, or a transfer still in flight). */
  @Column({ name: 'next_query_at', type: 'datetime', precision: 3, nullable: true })
  nextQueryAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;

  @Column({ name: 'paid_at', type: 'datetime', precision: 3, nullable: true })
  paidAt: Date | null;
}

@Entity('reward_reconciliations')
export class ReconciliationEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ type: 'boolean' })
  ok: boolean;

  @Column({ type: 'json' })
  report: object;

  @Column({ name: 'started_at', type: 'datetime', precision: 3 })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'datetime', precision: 3 })
  finishedAt: Date;
}
