import {
  AdjustmentRequest,
  IdParams,
  LedgerEntryPage,
  LedgerEntryView,
  MyRewardsResponse,
  PageQuery,
  ReconciliationReport,
  RejectWithdrawalRequest,
  ReverseEntryRequest,
  RewardRulesHistory,
  RewardRulesQuery,
  RewardRulesView,
  SetRewardRulesRequest,
  WithdrawRequest,
  WithdrawalPage,
  WithdrawalQueueQuery,
  WithdrawalView,
} from '../schemas';
import { defineRoute } from './define';
import type { RouteAuth } from './define';

// ---------- beneficiaries ----------
const tags = ['rewards'];

export const getMyRewards = defineRoute({
  method: 'get', path: '/api/my/rewards', summary: '我的收益: balances (待结算/冻结中/可提现), invitee counts, rules, withdrawal limits', tags, auth: 'user',
  response: MyRewardsResponse,
});

export const listMyLedger = defineRoute({
  method: 'get', path: '/api/my/rewards/ledger', summary: 'My ledger entries, each with its explanation (order, share chain, rate, base, rule version)', tags, auth: 'user',
  query: PageQuery, response: LedgerEntryPage,
});

export const requestWithdrawal = defineRoute({
  method: 'post', path: '/api/my/withdrawals', summary: '提现: hold the amount from 可提现 (minimum, daily limit, fee); never overdraws', tags, auth: 'user',
  body: WithdrawRequest, response: WithdrawalView,
});

export const listMyWithdrawals = defineRoute({
  method: 'get', path: '/api/my/withdrawals', summary: 'My withdrawals', tags, auth: 'user', query: PageQuery, response: WithdrawalPage,
});

export const getMyWithdrawal = defineRoute({
  method: 'get', path: '/api/my/withdrawals/:id', summary: 'One of my withdrawals (status through to 已到账; packageInfo while it waits for my confirmation)', tags, auth: 'user',
  params: IdParams, response: WithdrawalView,
});

export const confirmMyWithdrawalSandbox = defineRoute({
  method: 'post', path: '/api/my/withdrawals/:id/sandbox-confirm', summary: 'h5/development only: confirm receipt in the payout sandbox (weapp uses wx.requestMerchantTransfer)', tags, auth: 'user',
  params: IdParams, response: WithdrawalView, status: 200,
});

// ---------- finance ----------
const adminTags = ['admin: rewards'];
const FINANCE = { roles: ['finance'] } as const satisfies RouteAuth;
const FINANCE_READERS = { roles: ['finance', 'operator', 'support'] } as const satisfies RouteAuth;

export const getRewardRules = defineRoute({
  method: 'get', path: '/admin/rewards/rules', summary: 'Versions of the commission rules (global, or one campaign), newest first', tags: adminTags, auth: FINANCE_READERS,
  query: RewardRulesQuery, response: RewardRulesHistory,
});

export const setRewardRules = defineRoute({
  method: 'post', path: '/admin/rewards/rules', summary: 'New version of the commission rules (two levels at most; audited)', tags: adminTags, auth: FINANCE,
  body: SetRewardRulesRequest, response: RewardRulesView,
});

export const listWithdrawalQueue = defineRoute({
  method: 'get', path: '/admin/withdrawals', summary: 'Withdrawal queue', tags: adminTags, auth: FINANCE, query: WithdrawalQueueQuery, response: WithdrawalPage,
});

export const approveWithdrawal = defineRoute({
  method: 'post', path: '/admin/withdrawals/:id/approve', summary: 'Approve: the payout starts (audited)', tags: adminTags, auth: FINANCE, params: IdParams, response: WithdrawalView, status: 200,
});

export const rejectWithdrawal = defineRoute({
  method: 'post', path: '/admin/withdrawals/:id/reject', summary: 'Reject with a reason: the money returns to 可提现 at once (audited)', tags: adminTags, auth: FINANCE,
  params: IdParams, body: RejectWithdrawalRequest, response: WithdrawalView, status: 200,
});

export const retryWithdrawal = defineRoute({
  method: 'post', path: '/admin/withdrawals/:id/retry', summary: 'Retry a failed payout (audited)', tags: adminTags, auth: FINANCE, params: IdParams, response: WithdrawalView, status: 200,
});

export const cancelWithdrawal = defineRoute({
  method: 'post', path: '/admin/withdrawals/:id/cancel', summary: 'Cancel a failed payout: the money returns to 可提现 (audited)', tags: adminTags, auth: FINANCE, params: IdParams, response: WithdrawalView, status: 200,
});

export const runReconciliation = defineRoute({
  method: 'post', path: '/admin/rewards/reconciliation', summary: 'Reconcile the ledger now: Σ debits = Σ credits, cached = entries, commissions = rules (reports, never fixes)', tags: adminTags, auth: FINANCE,
  response: ReconciliationReport, status: 200,
});

export const getReconciliation = defineRoute({
  method: 'get', path: '/admin/rewards/reconciliation', summary: 'The latest reconciliation report', tags: adminTags, auth: FINANCE, response: ReconciliationReport,
});

export const reverseLedgerEntry = defineRoute({
  method: 'post', path: '/admin/rewards/entries/:id/reverse', summary: 'Correct a mistaken entry with a reversing transfer (once per entry; audited)', tags: adminTags, auth: FINANCE,
  params: IdParams, body: ReverseEntryRequest, response: LedgerEntryView, status: 200,
});

export const postRewardAdjustment = defineRoute({
  method: 'post', path: '/admin/rewards/adjustments', summary: 'Adjust a beneficiary\'s available balance (credit, or debit never below zero; audited)', tags: adminTags, auth: FINANCE,
  body: AdjustmentRequest, response: LedgerEntryView,
});
