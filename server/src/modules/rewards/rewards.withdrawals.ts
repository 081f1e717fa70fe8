import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ErrorCode, type Page, type WithdrawalStatus, type WithdrawalView } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { move, recordCreated } from '../../core/lifecycle';
import { userIdOf } from '../../core/context';
import { withTransaction } from '../../core/transaction';
import { DomainError } from '../../http/errors';
import { recordAudit } from '../admin';
import { FINAL_PAYOUT_STATES, PayoutRefusedError, PayoutUnclearError, type PayoutNotice, type PayoutProvider, type PayoutResult } from '../payout';
import { InsufficientBalanceError, type Ledger } from './rewards.ledger';
import { LedgerAccountEntity, WithdrawalEntity } from './rewards.entity';
import { withdrawalLifecycle } from './rewards.state';

export interface WithdrawalOptions {
  minAmount: number;
  dailyLimit: number;
  feeBps: number;
  /** How long after a transfer (or an unclear answer) the query job asks the provider first. */
  queryAfterMs: number;
  /** The paying merchant (the mini-program passes it to wx.requestMerchantTransfer). */
  mchId: string;
}

export interface WithdrawalDeps {
  openidOf(ctx: ServiceContext, userId: number): Promise<string | null>;
}

const CLEARING = { platform: 'payout_clearing' } as const;
const FEES = { platform: 'fee_income' } as const;

/** A payout number: 32 of [A-Za-z0-9] at most, unique, never reused for another payout. */
export function newOutBillNo(now = new Date()): string {
  const stamp = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `TW${stamp}${randomBytes(9).toString('hex').toUpperCase()}`;
}

/**
 * Withdrawals (提现) and their payouts. The amount is held on the ledger at request time
 * (available → withdrawing, a guarded transfer under the account's row lock, so concurrent requests
 * never overdraw), leaves on payout success (withdrawing → payout clearing, fee → fee income) and
 * returns on rejection or cancellation (withdrawing → available). Every status change is a `move`.
 *
 * Payouts (商家转账) keep one `out_bill_no` for every re-ask of one transfer: after an unclear answer
 * the query job asks WeChat for that number and never sends a new one. Only a transfer WeChat itself
 * ended (FAIL, CANCELLED — a final state it reported) may be retried, and that retry is a new bill
 * with a new number, because WeChat answers a finished number with its old result.
 */
export class WithdrawalService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: Ledger,
    private readonly payout: PayoutProvider,
    private readonly deps: WithdrawalDeps,
    readonly opts: WithdrawalOptions,
  ) {}

  feeOf(amount: number): number {
    return Math.floor((amount * this.opts.feeBps) / 10_000);
  }

  /** What the user withdrew today (UTC), not counting rejected or cancelled requests. */
  async usedToday(ctx: ServiceContext, userId: number): Promise<number> {
    const row = await ctx.manager
      .createQueryBuilder(WithdrawalEntity, 'w')
      .select('COALESCE(SUM(w.amount), 0)', 'sum')
      .where(`w.user_id = :userId AND w.day = UTC_DATE() AND w.status NOT IN ('rejected', 'cancelled')`, { userId })
      .getRawOne<{ sum: number }>();
    return Number(row?.sum ?? 0);
  }

  async request(ctx: ServiceContext, amount: number): Promise<WithdrawalView> {
    const userId = userIdOf(ctx);
    if (amount < this.opts.minAmount) throw new DomainError(ErrorCode.WITHDRAWAL_BELOW_MINIMUM, `The minimum withdrawal is ${this.opts.minAmount} fen`, { minAmount: this.opts.minAmount });
    const fee = this.feeOf(amount);
    if (amount - fee < 1) throw new DomainError(ErrorCode.WITHDRAWAL_BELOW_MINIMUM, 'Nothing would be left after the fee');
    const accountId = await this.ledger.accountId({ user: userId, kind: 'available' });
    await this.ledger.accountId({ user: userId, kind: 'withdrawing' });
    return withTransaction(this.dataSource, ctx, async (tx) => {
      // The available account's row lock serialises this user's requests: the balance and the daily
      // total are read and acted on under it (the ledger's guarded update is the last line).
      const acc = await tx.manager.createQueryBuilder(LedgerAccountEntity, 'a').setLock('pessimistic_write').where('a.id = :id', { id: accountId }).getOneOrFail();
      if (Number(acc.credits) - Number(acc.debits) < amount) throw new InsufficientBalanceError(acc.code);
      const used = await this.usedToday(tx, userId);
      if (used + amount > this.opts.dailyLimit) {
        throw new DomainError(ErrorCode.WITHDRAWAL_DAILY_LIMIT, 'This would pass today\'s withdrawal limit', { dailyLimit: this.opts.dailyLimit, usedToday: used });
      }
      const now = new Date();
      const res = await tx.manager.insert(WithdrawalEntity, {
        userId, outBillNo: newOutBillNo(now), amount, fee, netAmount: amount - fee, status: 'requested', providerState: null, transferBillNo: null, packageInfo: null,
        failReason: null, rejectReason: null, attempts: 0, day: now.toISOString().slice(0, 10), nextQueryAt: null, createdAt: now, updatedAt: now, paidAt: null,
      });
      const id = Number(res.identifiers[0]!.id);
      await recordCreated(tx, withdrawalLifecycle, id, 'requested');
      await this.ledger.post(tx, `withdrawal:${id}:hold`, [
        { debit: { user: userId, kind: 'available' }, credit: { user: userId, kind: 'withdrawing' }, amount, kind: 'withdraw_hold', ref: { type: 'withdrawal', id }, explanation: { withdrawalId: id } },
      ]);
      return this.view(await tx.manager.findOneByOrFail(WithdrawalEntity, { id }));
    });
  }

  async mine(ctx: ServiceContext, id: number): Promise<WithdrawalEntity> {
    const w = await ctx.manager.findOneBy(WithdrawalEntity, { id });
    // Someone else's withdrawal is a 404, not a 403: its existence is not the caller's business.
    if (!w || Number(w.userId) !== userIdOf(ctx)) throw new DomainError(ErrorCode.WITHDRAWAL_NOT_FOUND, 'No such withdrawal');
    return w;
  }

  async list(ctx: ServiceContext, q: { page: number; pageSize: number; status?: WithdrawalStatus; userId?: number }): Promise<Page<WithdrawalView>> {
    const where: { status?: WithdrawalStatus; userId?: number } = {};
    if (q.status) where.status = q.status;
    if (q.userId !== undefined) where.userId = q.userId;
    const [rows, total] = await ctx.manager.findAndCount(WithdrawalEntity, { where, order: { id: q.userId !== undefined ? 'DESC' : 'ASC' }, skip: (q.page - 1) * q.pageSize, take: q.pageSize });
    return { items: rows.map((w) => this.view(w)), page: q.page, pageSize: q.pageSize, total, serverTime: new Date().toISOString() };
  }

  /** Finance approves: the payout starts from the `withdrawal.approved` event (worker), with this bill number. */
  async approve(ctx: ServiceContext, id: number): Promise<WithdrawalView> {
    return this.operatorMove(ctx, id, 'requested', 'approved', 'withdrawal.approve', (w) => ({
      events: [{ type: 'withdrawal.approved', aggregateType: 'withdrawal', aggregateId: id, payload: { withdrawalId: id, userId: Number(w.userId), outBillNo: w.outBillNo, amount: Number(w.amount), netAmount: Number(w.netAmount) } }],
    }));
  }

  /** Finance rejects with a reason: the held amount returns to 可提现 in the same transaction. */
  async reject(ctx: ServiceContext, id: number, reason: string): Promise<WithdrawalView> {
    return this.operatorMove(ctx, id, 'requested', 'rejected', 'withdrawal.reject', () => ({ set: { rejectReason: reason } }), (tx, w) => this.giveBack(tx, w, `rejected: ${reason}`));
  }

  /** A payout WeChat ended (FAIL/CANCELLED) is tried again as a new bill (WeChat answers a finished number with its old result). */
  async retry(ctx: ServiceContext, id: number): Promise<WithdrawalView> {
    const outBillNo = newOutBillNo();
    return this.operatorMove(ctx, id, 'failed', 'approved', 'withdrawal.retry', (w) => ({
      set: { outBillNo, failReason: null, providerState: null, packageInfo: null, transferBillNo: null },
      events: [{ type: 'withdrawal.approved', aggregateType: 'withdrawal', aggregateId: id, payload: { withdrawalId: id, userId: Number(w.userId), outBillNo, amount: Number(w.amount), netAmount: Number(w.netAmount) } }],
    }));
  }

  /** A failed payout given up: the held amount returns to 可提现. */
  async cancel(ctx: ServiceContext, id: number): Promise<WithdrawalView> {
    return this.operatorMove(ctx, id, 'failed', 'cancelled', 'withdrawal.cancel', () => ({}), (tx, w) => this.giveBack(tx, w, 'cancelled after a failed payout'));
  }

  private async operatorMove(
    ctx: ServiceContext,
    id: number,
    from: WithdrawalStatus,
    to: WithdrawalStatus,
    action: string,
    opts: (w: WithdrawalEntity) => Parameters<typeof move<WithdrawalStatus, WithdrawalEntity>>[5],
    then?: (tx: ServiceContext, w: WithdrawalEntity) => Promise<void>,
  ): Promise<WithdrawalView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const w = await this.locked(tx, id);
      if (w.status !== from) throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `withdrawal cannot move from ${w.status} to ${to}`, { entity: 'withdrawal', from: w.status, to });
      await move(tx, withdrawalLifecycle, id, from, to, opts(w));
      if (then) await then(tx, w);
      const after = await tx.manager.findOneByOrFail(WithdrawalEntity, { id });
      await recordAudit(tx, { action, entityType: 'withdrawal', entityId: id, before: { status: w.status, outBillNo: w.outBillNo }, after: { status: after.status, outBillNo: after.outBillNo, rejectReason: after.rejectReason } });
      return this.view(after);
    });
  }

  private async giveBack(tx: ServiceContext, w: WithdrawalEntity, note: string): Promise<void> {
    const user = Number(w.userId);
    await this.ledger.post(tx, `withdrawal:${w.id}:return`, [
      { debit: { user, kind: 'withdrawing' }, credit: { user, kind: 'available' }, amount: Number(w.amount), kind: 'withdraw_return', ref: { type: 'withdrawal', id: Number(w.id) }, explanation: { withdrawalId: Number(w.id), note } },
    ]);
  }

  /**
   * withdrawal.approved (worker): approved → paying, then asks the provider to transfer under the
   * withdrawal's bill number. Unclear → stays paying and the query job asks WeChat about that number;
   * refused → failed (the money stays held until finance retries or cancels).
   */
  async startPayout(tx: ServiceContext, id: number, outBillNo: string): Promise<void> {
    const w = await this.locked(tx, id);
    if (w.status !== 'approved' || w.outBillNo !== outBillNo) return;
    await move(tx, withdrawalLifecycle, id, 'approved', 'paying', { set: { attempts: w.attempts + 1, nextQueryAt: new Date(Date.now() + this.opts.queryAfterMs) } });
    await this.send(tx, { ...w, status: 'paying' });
  }

  private async send(tx: ServiceContext, w: WithdrawalEntity): Promise<void> {
    const openid = (await this.deps.openidOf(tx, Number(w.userId))) ?? (this.payout.name === 'sandbox' ? `dev-openid-${w.userId}` : null);
    if (!openid) {
      // A real transfer needs the payee's openid; without one it fails here (finance cancels it back).
      await move(tx, withdrawalLifecycle, Number(w.id), 'paying', 'failed', { set: { failReason: 'NO_OPENID: the user has no WeChat openid', nextQueryAt: null }, events: [settled(w, 'failed')] });
      return;
    }
    try {
      const r = await this.payout.transfer({
        outBillNo: w.outBillNo, openid, amount: Number(w.netAmount), remark: '团购分享佣金提现',
        report: { jobType: '分享推广员', rewardDescription: '分享推广佣金' },
      });
      await this.apply(tx, w, r);
    } catch (err) {
      if (err instanceof PayoutUnclearError) {
        tx.log.warn({ withdrawalId: w.id, outBillNo: w.outBillNo, err: err.message }, 'payout answer unclear; the query job will ask about this bill');
        await tx.manager.update(WithdrawalEntity, { id: w.id, status: 'paying' }, { nextQueryAt: new Date(Date.now() + this.opts.queryAfterMs), providerState: null });
        return;
      }
      if (err instanceof PayoutRefusedError) {
        await move(tx, withdrawalLifecycle, Number(w.id), 'paying', 'failed', { set: { failReason: `${err.providerCode}: ${err.message}`.slice(0, 200), nextQueryAt: null }, events: [settled(w, 'failed')] });
        return;
      }
      throw err;
    }
  }

  /**
   * Applies what the provider says about the current bill (a transfer answer, a query, a callback),
   * under the withdrawal's row lock. Replays and stale answers change nothing: only a `paying`
   * withdrawal whose current bill it is moves, and it moves once (compare-and-set).
   */
  async apply(tx: ServiceContext, w: WithdrawalEntity, r: PayoutResult): Promise<'paid' | 'failed' | 'in_flight' | 'ignored'> {
    if (w.status !== 'paying' || w.outBillNo !== r.outBillNo) return 'ignored';
    const id = Number(w.id);
    const seen = { providerState: r.state, transferBillNo: r.transferBillNo ?? w.transferBillNo };
    if (r.state === 'SUCCESS') {
      if (!(await move(tx, withdrawalLifecycle, id, 'paying', 'paid', { set: { ...seen, packageInfo: null, paidAt: new Date(), nextQueryAt: null }, events: [settled(w, 'paid')] }))) return 'ignored';
      const user = Number(w.userId);
      const ref = { type: 'withdrawal' as const, id };
      await this.ledger.post(tx, `withdrawal:${id}:paid`, [
        { debit: { user, kind: 'withdrawing' }, credit: CLEARING, amount: Number(w.netAmount), kind: 'withdraw_paid', ref, explanation: { withdrawalId: id, note: w.outBillNo } },
        { debit: { user, kind: 'withdrawing' }, credit: FEES, amount: Number(w.fee), kind: 'withdraw_fee', ref, explanation: { withdrawalId: id } },
      ]);
      return 'paid';
    }
    if (FINAL_PAYOUT_STATES.includes(r.state)) {
      const moved = await move(tx, withdrawalLifecycle, id, 'paying', 'failed', { set: { ...seen, packageInfo: null, failReason: (r.failReason ?? r.state).slice(0, 200), nextQueryAt: null }, events: [settled(w, 'failed')] });
      return moved ? 'failed' : 'ignored';
    }
    await tx.manager.update(WithdrawalEntity, { id, status: 'paying' }, { ...seen, packageInfo: r.packageInfo ?? w.packageInfo, nextQueryAt: new Date(Date.now() + this.opts.queryAfterMs * 4), updatedAt: new Date() });
    return 'in_flight';
  }

  /** A verified callback: applied idempotently (a replayed callback finds the withdrawal moved and changes nothing). */
  async onNotification(ctx: ServiceContext, n: PayoutNotice): Promise<string> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const w = await tx.manager.createQueryBuilder(WithdrawalEntity, 'w').setLock('pessimistic_write').where('w.out_bill_no = :no', { no: n.outBillNo }).getOne();
      if (!w) {
        tx.log.error({ outBillNo: n.outBillNo, state: n.state }, 'payout callback for an unknown bill');
        return 'unknown';
      }
      return this.apply(tx, w, n);
    });
  }

  /**
   * The query job: paying withdrawals due for a check. WeChat knows the bill → apply its state; it does
   * not (NOT_FOUND: the first request never arrived) → ask again with the SAME number, which is safe
   * because the number is the idempotency key. An unclear query waits for the next round.
   */
  async queryDue(ctx: ServiceContext, limit = 100): Promise<number> {
    const due = await ctx.manager
      .createQueryBuilder(WithdrawalEntity, 'w')
      .select('w.id', 'id')
      .where(`w.status = 'paying' AND w.next_query_at <= UTC_TIMESTAMP(3)`)
      .orderBy('w.next_query_at', 'ASC')
      .limit(limit)
      .getRawMany<{ id: number }>();
    let n = 0;
    for (const { id } of due) {
      try {
        await withTransaction(this.dataSource, ctx, async (tx) => {
          const w = await this.locked(tx, Number(id));
          if (w.status !== 'paying') return;
          const r = await this.payout.query(w.outBillNo);
          if (r) await this.apply(tx, w, r);
          else await this.send(tx, w);
        });
        n++;
      } catch (err) {
        ctx.log.warn({ withdrawalId: id, err: (err as Error).message }, 'payout query failed; will ask again');
        await ctx.manager.update(WithdrawalEntity, { id, status: 'paying' }, { nextQueryAt: new Date(Date.now() + this.opts.queryAfterMs * 4) });
      }
    }
    return n;
  }

  /** h5 and development: the user confirms receipt in the payout sandbox (weapp uses wx.requestMerchantTransfer). */
  async sandboxConfirm(ctx: ServiceContext, id: number): Promise<WithdrawalView> {
    const w = await this.mine(ctx, id);
    const sandbox = this.payout as PayoutProvider & { confirm?: (no: string) => Promise<unknown> };
    if (this.payout.name !== 'sandbox' || typeof sandbox.confirm !== 'function') throw new DomainError(ErrorCode.SANDBOX_ONLY, 'Only the payout sandbox confirms here');
    if (w.status !== 'paying') throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, 'This withdrawal is not waiting for confirmation', { status: w.status });
    // No transaction or lock is held here: the sandbox POSTs its callback, whose handler takes the row lock.
    await sandbox.confirm(w.outBillNo);
    return this.view(await this.mine(ctx, id));
  }

  private locked(tx: ServiceContext, id: number): Promise<WithdrawalEntity> {
    return tx.manager
      .createQueryBuilder(WithdrawalEntity, 'w')
      .setLock('pessimistic_write')
      .where('w.id = :id', { id })
      .getOne()
      .then((w) => {
        if (!w) throw new DomainError(ErrorCode.WITHDRAWAL_NOT_FOUND, 'No such withdrawal');
        return w;
      });
  }

  view(w: WithdrawalEntity): WithdrawalView {
    return {
      id: Number(w.id), userId: Number(w.userId), outBillNo: w.outBillNo, amount: Number(w.amount), fee: Number(w.fee), netAmount: Number(w.netAmount), status: w.status,
      providerState: w.providerState, packageInfo: w.status === 'paying' ? w.packageInfo : null, mchId: this.opts.mchId, failReason: w.failReason, rejectReason: w.rejectReason, attempts: w.attempts,
      createdAt: w.createdAt.toISOString(), updatedAt: w.updatedAt.toISOString(), paidAt: w.paidAt ? w.paidAt.toISOString() : null, serverTime: new Date().toISOString(),
    };
  }
}

function settled(w: WithdrawalEntity, status: 'paid' | 'failed') {
  return { type: 'withdrawal.settled' as const, aggregateType: 'withdrawal' as const, aggregateId: Number(w.id), payload: { withdrawalId: Number(w.id), userId: Number(w.userId), status, amount: Number(w.amount) } };
}
