import type { DataSource } from 'typeorm';
import { ErrorCode, type ReconciliationReport } from '@tuan/shared';
import { targetsOf } from './rewards.commissions';
import type { ServiceContext } from '../../core/context';
import { DomainError } from '../../http/errors';
import { CommissionEntity, LedgerAccountEntity, LedgerTransferEntity, ReconciliationEntity, RewardOrderEntity } from './rewards.entity';
import type { RewardRules } from './rewards.rules';

/**
 * Reconciliation: proves, from the entries alone, that the ledger balances (Σ debits = Σ credits, and
 * the cached sums of all accounts agree), that every cached balance equals the sum of its entries,
 * that no account that must stay ≥ 0 went below, and that every paid order's commissions on the ledger
 * equal the rules recomputed on its base (paid − refunded) under the rule version it was paid with.
 * It reports differences and never fixes them: a difference is for an accountant to explain.
 */
export class Reconciliation {
  constructor(
    private readonly dataSource: DataSource,
    private readonly rules: RewardRules,
  ) {}

  async run(ctx: ServiceContext): Promise<ReconciliationReport> {
    const started = new Date();
    const m = ctx.manager;
    // Each side grouped by account in one pass over the transfers (indexes on debit/credit account).
    const debitRows: Array<{ id: number; s: number; n: number }> = await m.createQueryBuilder(LedgerTransferEntity, 't').select('t.debit_account_id', 'id').addSelect('SUM(t.amount)', 's').addSelect('COUNT(*)', 'n').groupBy('t.debit_account_id').getRawMany();
    const creditRows: Array<{ id: number; s: number }> = await m.createQueryBuilder(LedgerTransferEntity, 't').select('t.credit_account_id', 'id').addSelect('SUM(t.amount)', 's').groupBy('t.credit_account_id').getRawMany();
    const debits = new Map(debitRows.map((r) => [Number(r.id), Number(r.s)]));
    const credits = new Map(creditRows.map((r) => [Number(r.id), Number(r.s)]));
    const transfers = debitRows.reduce((a, r) => a + Number(r.n), 0);
    const totalDebits = [...debits.values()].reduce((a, b) => a + b, 0);
    const totalCredits = [...credits.values()].reduce((a, b) => a + b, 0);

    const accounts = await m.find(LedgerAccountEntity, { select: { id: true, code: true, debits: true, credits: true, mayGoNegative: true } });
    const accountMismatches: ReconciliationReport['accountMismatches'] = [];
    const negativeAccounts: ReconciliationReport['negativeAccounts'] = [];
    let cachedDebits = 0;
    let cachedCredits = 0;
    for (const a of accounts) {
      const id = Number(a.id);
      const cd = Number(a.debits);
      const cc = Number(a.credits);
      cachedDebits += cd;
      cachedCredits += cc;
      const ed = debits.get(id) ?? 0;
      const ec = credits.get(id) ?? 0;
      if (cd !== ed || cc !== ec) accountMismatches.push({ accountId: id, code: a.code, cachedDebits: cd, cachedCredits: cc, entryDebits: ed, entryCredits: ec });
      if (!a.mayGoNegative && ec < ed) negativeAccounts.push({ accountId: id, code: a.code, balance: ec - ed });
    }

    // Commissions: what the ledger moved out of the commission expense account per commission (accruals in,
    // voids and claw-backs back, corrections either way) against the rules.
    // Share commissions come out of commission_expense, leader commissions out of leader_commission_expense.
    const expenses = await m.find(LedgerAccountEntity, { where: [{ code: 'platform:commission_expense' }, { code: 'platform:leader_commission_expense' }], select: { id: true } });
    const expenseIds = expenses.map((e) => Number(e.id));
    const onLedger = new Map<number, number>();
    if (expenseIds.length) {
      const held: Array<{ id: number; s: number }> = await m
        .createQueryBuilder(LedgerTransferEntity, 't')
        .select('t.ref_id', 'id')
        .addSelect('SUM(CASE WHEN t.debit_account_id IN (:...exp) THEN t.amount WHEN t.credit_account_id IN (:...exp) THEN -t.amount ELSE 0 END)', 's')
        .where(`t.ref_type = 'commission'`)
        .setParameter('exp', expenseIds)
        .groupBy('t.ref_id')
        .getRawMany();
      for (const r of held) onLedger.set(Number(r.id), Number(r.s));
    }
    const orders = await m.find(RewardOrderEntity, { select: { orderId: true, ruleId: true, paidAmount: true, refundedAmount: true } });
    const commissions = await m.find(CommissionEntity, { select: { id: true, orderId: true, kind: true, level: true, rateBps: true }, order: { orderId: 'ASC', id: 'ASC' } });
    const byOrder = new Map<number, CommissionEntity[]>();
    for (const c of commissions) {
      const list = byOrder.get(Number(c.orderId)) ?? [];
      list.push(c);
      byOrder.set(Number(c.orderId), list);
    }
    const commissionMismatches: ReconciliationReport['commissionMismatches'] = [];
    // A leader's commission is reported as level 0.
    const levelOf = (c: CommissionEntity) => (c.kind === 'leader' ? 0 : c.level);
    for (const o of orders) {
      const all = byOrder.get(Number(o.orderId)) ?? [];
      if (!all.length) continue;
      const rule = await this.rules.version(ctx, Number(o.ruleId));
      const shares = all.filter((c) => c.kind !== 'leader');
      if (shares.length > rule.levels) {
        for (const c of shares.slice(rule.levels)) commissionMismatches.push({ orderId: Number(o.orderId), level: c.level, expected: 0, onLedger: onLedger.get(Number(c.id)) ?? 0 });
      }
      // Share rates are the version's (not the row's copy): a row that disagrees with its version shows here.
      // A leader's rate is the row's: the leader's own rate may change after the order earned.
      const rows = [...shares.slice(0, rule.levels), ...all.filter((c) => c.kind === 'leader')];
      const shareRates = shares.slice(0, rule.levels).map((c) => rule.ratesBps[c.level - 1]!);
      const expected = targetsOf(Number(o.paidAmount) - Number(o.refundedAmount), rows, rule.capBps, shareRates);
      rows.forEach((c, i) => {
        const have = onLedger.get(Number(c.id)) ?? 0;
        if (have !== expected[i]) commissionMismatches.push({ orderId: Number(o.orderId), level: levelOf(c), expected: expected[i]!, onLedger: have });
      });
    }

    const finished = new Date();
    const ok = totalDebits === totalCredits && cachedDebits === cachedCredits && !accountMismatches.length && !negativeAccounts.length && !commissionMismatches.length;
    const body = {
      ok, startedAt: started.toISOString(), finishedAt: finished.toISOString(), durationMs: finished.getTime() - started.getTime(), transfers, totalDebits, totalCredits,
      accountMismatches: accountMismatches.slice(0, 500), negativeAccounts: negativeAccounts.slice(0, 500), commissionMismatches: commissionMismatches.slice(0, 500), ordersChecked: orders.length,
    };
    const res = await m.insert(ReconciliationEntity, { ok, report: body, startedAt: started, finishedAt: finished });
    if (!ok) ctx.log.error({ accountMismatches: accountMismatches.length, negativeAccounts: negativeAccounts.length, commissionMismatches: commissionMismatches.length, totalDebits, totalCredits }, 'ledger reconciliation found differences');
    return { id: Number(res.identifiers[0]!.id), ...body };
  }

  async latest(ctx: ServiceContext): Promise<ReconciliationReport> {
    const [row] = await ctx.manager.find(ReconciliationEntity, { order: { id: 'DESC' }, take: 1 });
    if (!row) throw new DomainError(ErrorCode.NOT_FOUND, 'No reconciliation has run yet');
    return { id: Number(row.id), ...(row.report as Omit<ReconciliationReport, 'id'>) };
  }
}
