import { z } from 'zod';
import { BeneficiaryAccount, CommissionStatus, LedgerEntryKind, WithdrawalStatus } from '../enums';
import { FenSchema, IdParam, IsoTime, PageQuery, PositiveFen, pageOf, text } from './common';

/** A beneficiary's balances in fen. `receivable` is what they owe back (refunds after settlement), netted against future commission. */
export const RewardBalances = z.object({
  pending: FenSchema,
  frozen: FenSchema,
  available: FenSchema,
  withdrawing: FenSchema,
  receivable: FenSchema,
});
export type RewardBalances = z.infer<typeof RewardBalances>;

export const RewardRuleLevel = z.object({ level: z.number().int(), rateBps: z.number().int().min(0).max(10_000) });

/** The rules a beneficiary sees and finance sets. */
export const RewardRulesView = z.object({
  version: z.number().int(),
  campaignId: z.number().int().nullable(),
  levels: z.array(RewardRuleLevel),
  capBps: z.number().int(),
  selfPurchase: z.boolean(),
  /** Team leaders' commission on completed pickup orders (a leader's own rate, when set, wins). */
  leaderRateBps: z.number().int(),
  createdBy: z.string().nullable(),
  createdAt: IsoTime,
});
export type RewardRulesView = z.infer<typeof RewardRulesView>;

export const WithdrawalLimits = z.object({ minAmount: FenSchema, dailyLimit: FenSchema, feeBps: z.number().int(), usedToday: FenSchema });

export const MyRewardsResponse = z.object({
  balances: RewardBalances,
  /** People I invited (level 1) and people they invited (level 2): counts only, no personal data. */
  invitees: z.object({ level1: z.number().int(), level2: z.number().int() }),
  rules: RewardRulesView,
  withdrawal: WithdrawalLimits,
  afterSaleWindowSec: z.number().int(),
  serverTime: IsoTime,
});
export type MyRewardsResponse = z.infer<typeof MyRewardsResponse>;

/** Why an entry exists: the order, the share chain that brought it, the rate, the base and the rule version. */
export const LedgerExplanation = z.object({
  orderId: z.number().int().optional(),
  orderNo: z.string().optional(),
  level: z.number().int().optional(),
  rateBps: z.number().int().optional(),
  base: FenSchema.optional(),
  ruleVersion: z.number().int().optional(),
  /** Share ids from the attributed share upward; empty when the buyer's inviter earned it. */
  shareChain: z.array(z.number().int()).optional(),
  /** `leader`: a team leader's commission on a pickup order they handed over. */
  via: z.enum(['share', 'inviter', 'self', 'leader']).optional(),
  leaderId: z.number().int().optional(),
  refundId: z.number().int().optional(),
  withdrawalId: z.number().int().optional(),
  reversesEntryId: z.number().int().optional(),
  note: z.string().optional(),
});
export type LedgerExplanation = z.infer<typeof LedgerExplanation>;

export const LedgerEntryView = z.object({
  id: z.number().int(),
  kind: z.enum(LedgerEntryKind),
  /** Which of my accounts moved, and by how much (negative: money left it). */
  account: z.enum(BeneficiaryAccount),
  amount: FenSchema,
  /** Set when the money came from another of my accounts (e.g. 冻结中 → 可提现): one line, not two. */
  fromAccount: z.enum(BeneficiaryAccount).nullable(),
  explanation: LedgerExplanation,
  createdAt: IsoTime,
});
export type LedgerEntryView = z.infer<typeof LedgerEntryView>;
export const LedgerEntryPage = pageOf(LedgerEntryView);

export const CommissionView = z.object({
  id: z.number().int(),
  orderId: z.number().int(),
  level: z.number().int(),
  status: z.enum(CommissionStatus),
  amount: FenSchema,
  voided: FenSchema,
  reversed: FenSchema,
  rateBps: z.number().int(),
  ruleVersion: z.number().int(),
  createdAt: IsoTime,
});

export const WithdrawRequest = z.object({ amount: PositiveFen.max(100_000_000_00) });
export type WithdrawRequest = z.infer<typeof WithdrawRequest>;

export const WithdrawalView = z.object({
  id: z.number().int(),
  userId: z.number().int(),
  outBillNo: z.string(),
  amount: FenSchema,
  fee: FenSchema,
  netAmount: FenSchema,
  status: z.enum(WithdrawalStatus),
  /** WeChat's transfer state, as last heard. */
  providerState: z.string().nullable(),
  /** For `wx.requestMerchantTransfer` while the transfer waits for the user's confirmation. */
  packageInfo: z.string().nullable(),
  /** The merchant that pays (wx.requestMerchantTransfer's mchId). */
  mchId: z.string(),
  failReason: z.string().nullable(),
  rejectReason: z.string().nullable(),
  attempts: z.number().int(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  paidAt: IsoTime.nullable(),
  serverTime: IsoTime,
});
export type WithdrawalView = z.infer<typeof WithdrawalView>;
export const WithdrawalPage = pageOf(WithdrawalView);

export const WithdrawalQueueQuery = PageQuery.extend({ status: z.enum(WithdrawalStatus).optional() });
export const RejectWithdrawalRequest = z.object({ reason: text().trim().min(1).max(200) });

/**
 * A new version of the commission rules, global (`campaignId` absent) or for one campaign. Levels are
 * 1 and 2 only: anything else is refused with REWARD_TOO_MANY_LEVELS (and the database refuses it too).
 */
export const SetRewardRulesRequest = z.object({
  campaignId: IdParam.optional(),
  levels: z.array(z.object({ level: z.number().int().min(1).max(99), rateBps: z.number().int().min(0).max(10_000) })).min(1).max(10),
  capBps: z.number().int().min(0).max(10_000),
  selfPurchase: z.boolean().default(false),
  /** Leader commission of this version; omitted → the rate of the version it replaces. */
  leaderRateBps: z.number().int().min(0).max(5_000).optional(),
});
export type SetRewardRulesRequest = z.infer<typeof SetRewardRulesRequest>;
export const RewardRulesQuery = z.object({ campaignId: IdParam.optional() });
export const RewardRulesHistory = z.object({ items: z.array(RewardRulesView) });

export const ReverseEntryRequest = z.object({ reason: text().trim().min(1).max(200) });
export const AdjustmentRequest = z.object({ userId: IdParam, amount: FenSchema.min(-100_000_00).max(100_000_00).refine((n) => n !== 0, 'must not be 0'), reason: text().trim().min(1).max(200) });

export const ReconciliationReport = z.object({
  id: z.number().int(),
  ok: z.boolean(),
  startedAt: IsoTime,
  finishedAt: IsoTime,
  durationMs: z.number().int(),
  transfers: z.number().int(),
  totalDebits: FenSchema,
  totalCredits: FenSchema,
  /** Accounts whose cached balance differs from the sum of their entries. */
  accountMismatches: z.array(z.object({ accountId: z.number().int(), code: z.string(), cachedDebits: FenSchema, cachedCredits: FenSchema, entryDebits: FenSchema, entryCredits: FenSchema })),
  /** Accounts that must not go below zero and did. */
  negativeAccounts: z.array(z.object({ accountId: z.number().int(), code: z.string(), balance: FenSchema })),
  /** Orders whose commissions on the ledger differ from the rules recomputed. */
  commissionMismatches: z.array(z.object({ orderId: z.number().int(), level: z.number().int(), expected: FenSchema, onLedger: FenSchema })),
  ordersChecked: z.number().int(),
});
export type ReconciliationReport = z.infer<typeof ReconciliationReport>;
