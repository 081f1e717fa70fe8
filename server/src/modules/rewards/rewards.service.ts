import type { DataSource } from 'typeorm';
import { ErrorCode, type BeneficiaryAccount, type LedgerEntryView, type MyRewardsResponse, type Page } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { withTransaction } from '../../core/transaction';
import { DomainError } from '../../http/errors';
import { recordAudit } from '../admin';
import { CommissionService, type CommissionSources } from './rewards.commissions';
import { Ledger } from './rewards.ledger';
import { LedgerTransferEntity } from './rewards.entity';
import { Reconciliation } from './rewards.reconciliation';
import { RewardRules, rulesView } from './rewards.rules';
import { WithdrawalService, type WithdrawalDeps, type WithdrawalOptions } from './rewards.withdrawals';
import type { PayoutProvider } from '../payout';

export interface RewardsDeps extends CommissionSources, WithdrawalDeps {
  inviteeCounts(ctx: ServiceContext, userId: number): Promise<{ level1: number; level2: number }>;
}

export interface RewardsOptions {
  withdrawals: WithdrawalOptions;
  afterSaleWindowSec: number;
}

/**
 * The rewards module's front: the ledger and everything that posts to it (commissions, withdrawals,
 * adjustments), what a beneficiary sees (我的收益), and reconciliation.
 */
export class RewardsService {
  readonly ledger: Ledger;
  readonly rules: RewardRules;
  readonly commissions: CommissionService;
  readonly withdrawals: WithdrawalService;
  readonly reconciliation: Reconciliation;

  constructor(
    private readonly dataSource: DataSource,
    payout: PayoutProvider,
    private readonly deps: RewardsDeps,
    private readonly opts: RewardsOptions,
  ) {
    this.ledger = new Ledger(dataSource);
    this.rules = new RewardRules(dataSource);
    this.commissions = new CommissionService(dataSource, this.ledger, this.rules, deps);
    this.withdrawals = new WithdrawalService(dataSource, this.ledger, payout, deps, opts.withdrawals);
    this.reconciliation = new Reconciliation(dataSource, this.rules);
  }

  async mine(ctx: ServiceContext): Promise<MyRewardsResponse> {
    const userId = userIdOf(ctx);
    const b = await this.ledger.balancesOf(ctx, userId);
    const w = this.opts.withdrawals;
    return {
      // receivable is debit-normal: shown as the positive amount owed.
      balances: { pending: b.pending, frozen: b.frozen, available: b.available, withdrawing: b.withdrawing, receivable: Math.max(0, -b.receivable) },
      invitees: await this.deps.inviteeCounts(ctx, userId),
      rules: rulesView(await this.rules.current(ctx, null)),
      withdrawal: { minAmount: w.minAmount, dailyLimit: w.dailyLimit, feeBps: w.feeBps, usedToday: await this.withdrawals.usedToday(ctx, userId) },
      afterSaleWindowSec: this.opts.afterSaleWindowSec,
      serverTime: new Date().toISOString(),
    };
  }

  /** The beneficiary's statement: every entry on one of their accounts, newest first, each with its why. */
  async statement(ctx: ServiceContext, q: { page: number; pageSize: number }): Promise<Page<LedgerEntryView>> {
    const accounts = await this.ledger.accountsOf(ctx, userIdOf(ctx));
    const ids = [...accounts.keys()];
    const empty = { items: [], page: q.page, pageSize: q.pageSize, total: 0, serverTime: new Date().toISOString() };
    if (!ids.length) return empty;
    // One row per transfer touching my accounts; a move between two of mine (待结算 → 冻结中) is one row with its source.
    const [rows, total] = await Promise.all([
      ctx.manager.query(
        `SELECT * FROM (
           SELECT t.id, t.kind, t.amount, t.explanation, t.created_at, t.credit_account_id AS account_id, t.debit_account_id AS other_id, 1 AS sign FROM ledger_transfers t WHERE t.credit_account_id IN (?)
           UNION ALL
           SELECT t.id, t.kind, t.amount, t.explanation, t.created_at, t.debit_account_id AS account_id, NULL AS other_id, -1 AS sign FROM ledger_transfers t WHERE t.debit_account_id IN (?) AND t.credit_account_id NOT IN (?)
         ) x ORDER BY x.id DESC LIMIT ? OFFSET ?`,
        [ids, ids, ids, q.pageSize, (q.page - 1) * q.pageSize],
      ) as Promise<Array<{ id: number; kind: LedgerEntryView['kind']; amount: number; explanation: string | object; created_at: Date; account_id: number; other_id: number | null; sign: number }>>,
      ctx.manager
        .createQueryBuilder(LedgerTransferEntity, 't')
        .where('t.credit_account_id IN (:...ids)', { ids })
        .getCount()
        .then(async (c) => c + (await ctx.manager.createQueryBuilder(LedgerTransferEntity, 't').where('t.debit_account_id IN (:...ids) AND t.credit_account_id NOT IN (:...ids)', { ids }).getCount())),
    ]);
    return {
      ...empty,
      total,
      items: rows.map((r) => {
        const account = accounts.get(Number(r.account_id)) as BeneficiaryAccount;
        // receivable is what the beneficiary owes: a debit to it is a debt (shown negative).
        const from = r.other_id === null ? undefined : accounts.get(Number(r.other_id));
        return { id: Number(r.id), kind: r.kind, account, amount: Number(r.amount) * Number(r.sign), fromAccount: from ?? null, explanation: typeof r.explanation === 'string' ? JSON.parse(r.explanation) : r.explanation, createdAt: new Date(r.created_at).toISOString() };
      }),
    };
  }

  /** Finance corrects a mistaken entry with its mirror transfer, once (audited). */
  async reverse(ctx: ServiceContext, transferId: number, reason: string): Promise<LedgerEntryView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const t = await this.ledger.reverse(tx, transferId, reason);
      await recordAudit(tx, { action: 'ledger.reverse', entityType: 'ledger_transfer', entityId: transferId, after: { reversalId: t.id, amount: t.amount, reason } });
      return this.entryView(tx, t);
    });
  }

  /** Finance credits (or debits, never below zero) a beneficiary's 可提现 against the adjustments account (audited). */
  async adjust(ctx: ServiceContext, userId: number, amount: number, reason: string): Promise<LedgerEntryView> {
    if (ctx.actor.kind !== 'admin') throw new DomainError(ErrorCode.FORBIDDEN, 'Operators only');
    const key = `adjust:${ctx.requestId}`;
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const user = { user: userId, kind: 'available' } as const;
      const platform = { platform: 'adjustments' } as const;
      const res = await this.ledger.post(tx, key, [
        { debit: amount > 0 ? platform : user, credit: amount > 0 ? user : platform, amount: Math.abs(amount), kind: 'adjustment', explanation: { note: reason } },
      ]);
      const t = res.transfers[0]!;
      await recordAudit(tx, { action: 'ledger.adjust', entityType: 'ledger_transfer', entityId: t.id, after: { userId, amount, reason } });
      return this.entryView(tx, t);
    });
  }

  /** An entry as the beneficiary's side of it. */
  private async entryView(ctx: ServiceContext, t: LedgerTransferEntity): Promise<LedgerEntryView> {
    const [debit, credit] = await Promise.all([this.ledger.kindOf(ctx, Number(t.debitAccountId)), this.ledger.kindOf(ctx, Number(t.creditAccountId))]);
    const mine = credit.user ? { account: credit.kind, sign: 1 } : { account: debit.kind, sign: -1 };
    return { id: Number(t.id), kind: t.kind, account: mine.account as BeneficiaryAccount, amount: Number(t.amount) * mine.sign, fromAccount: null, explanation: t.explanation, createdAt: t.createdAt.toISOString() };
  }
}
