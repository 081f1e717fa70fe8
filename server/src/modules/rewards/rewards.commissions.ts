import type { DataSource } from 'typeorm';
import { computeCommissions, computeLeaderCommission, type DomainEventPayloads, type LedgerExplanation, type OrderAttribution } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { move, recordCreated } from '../../core/lifecycle';
import { withTransaction } from '../../core/transaction';
import type { Ledger, TransferSpec } from './rewards.ledger';
import { CommissionEntity, RewardOrderEntity } from './rewards.entity';
import type { RewardRules, RuleVersion } from './rewards.rules';
import { commissionLifecycle, rewardOrderLifecycle } from './rewards.state';

/** What the ledger asks of the modules that own orders, after-sales and inviter bindings. */
export interface CommissionSources {
  attributionOf(ctx: ServiceContext, orderId: number): Promise<OrderAttribution | null>;
  inviterOf(ctx: ServiceContext, userId: number): Promise<number | null>;
  hasOpenAfterSale(ctx: ServiceContext, orderId: number): Promise<boolean>;
  /** A team leader's user and own rate (the leader module's `leaderById`); null: no such leader. */
  leaderOf(ctx: ServiceContext, leaderId: number): Promise<{ userId: number; commissionBps: number | null } | null>;
}

interface Beneficiary {
  level: number;
  userId: number;
  via: 'share' | 'inviter' | 'self';
  shareChain: number[];
}

const EXPENSE = { platform: 'commission_expense' } as const;
/** Leader commission is the platform's own expense line (the same beneficiary accounts receive it). */
const LEADER_EXPENSE = { platform: 'leader_commission_expense' } as const;
const expenseOf = (c: Pick<CommissionEntity, 'kind'>) => (c.kind === 'leader' ? LEADER_EXPENSE : EXPENSE);

/**
 * What every commission of an order should be on `base`: the share levels by the rule (capped), and the
 * leader's within what the cap leaves (`computeLeaderCommission`). Rows in `rows` order. Posting,
 * refunds and reconciliation all use this one function.
 */
export function targetsOf(base: number, rows: ReadonlyArray<Pick<CommissionEntity, 'kind' | 'rateBps'>>, capBps: number, shareRates?: readonly number[]): number[] {
  const shares = rows.filter((c) => c.kind !== 'leader');
  const shareTargets = computeCommissions(base, { ratesBps: shareRates ?? shares.map((c) => c.rateBps), capBps });
  let i = 0;
  return rows.map((c) => (c.kind === 'leader' ? computeLeaderCommission(base, c.rateBps, shareTargets, capBps) : shareTargets[i++]!));
}

/** What is still held for a commission: accrued less voided less clawed back. */
export function netOf(c: Pick<CommissionEntity, 'amount' | 'voided' | 'reversed'>): number {
  return Number(c.amount) - Number(c.voided) - Number(c.reversed);
}

/**
 * Commissions from order events (spec §7). Only paid orders earn; level 1 is the sharer the order is
 * attributed to, else the buyer's inviter; level 2 is that person's inviter; never a third level.
 * Each step is a move of the commission (compare-and-set) plus a ledger posting with a business key
 * in the same transaction, so a redelivered event moves money once.
 */
export class CommissionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: Ledger,
    private readonly rules: RewardRules,
    private readonly sources: CommissionSources,
  ) {}

  /** Who earns on an order, by the rule version's self-purchase setting. */
  async beneficiaries(ctx: ServiceContext, buyer: number, orderId: number, rule: RuleVersion): Promise<Beneficiary[]> {
    let first: Beneficiary | null = null;
    if (rule.selfPurchase) first = { level: 1, userId: buyer, via: 'self', shareChain: [] };
    else {
      const a = await this.sources.attributionOf(ctx, orderId);
      if (a && a.sharerUserId !== buyer) first = { level: 1, userId: a.sharerUserId, via: 'share', shareChain: [a.shareId, ...a.chain.map((c) => c.shareId)] };
      else {
        const inviter = await this.sources.inviterOf(ctx, buyer);
        if (inviter !== null && inviter !== buyer) first = { level: 1, userId: inviter, via: 'inviter', shareChain: [] };
      }
    }
    if (!first) return [];
    const out = [first];
    if (rule.levels >= 2) {
      const second = await this.sources.inviterOf(ctx, first.userId);
      // Self-purchase off: the buyer never earns on their own order, at any level.
      if (second !== null && second !== first.userId && (rule.selfPurchase || second !== buyer)) out.push({ level: 2, userId: second, via: 'inviter', shareChain: first.shareChain });
    }
    return out;
  }

  /**
   * order.paid → a pending hold per beneficiary (expense → pending), under the rule version in force
   * when the payment was recorded (`recordedAt`: the event's own time, in milliseconds — the provider's
   * `paidAt` has only seconds).
   */
  async onPaid(tx: ServiceContext, p: DomainEventPayloads['order.paid'], recordedAt = new Date()): Promise<void> {
    if (await tx.manager.existsBy(RewardOrderEntity, { orderId: p.orderId })) return;
    const rule = await this.rules.current(tx, p.campaignId, recordedAt);
    const now = new Date();
    const res = await tx.manager.insert(RewardOrderEntity, {
      orderId: p.orderId, buyerUserId: p.userId, campaignId: p.campaignId, ruleId: rule.id, paidAmount: p.paidAmount, refundedAmount: 0, status: 'accrued', settleAt: null, createdAt: now, updatedAt: now,
    });
    await recordCreated(tx, rewardOrderLifecycle, Number(res.identifiers[0]!.id), 'accrued');
    const people = await this.beneficiaries(tx, p.userId, p.orderId, rule);
    if (!people.length) return;
    const amounts = computeCommissions(p.paidAmount, { ratesBps: people.map((b) => rule.ratesBps[b.level - 1]!), capBps: rule.capBps });
    const legs: TransferSpec[] = [];
    for (const [i, b] of people.entries()) {
      const rateBps = rule.ratesBps[b.level - 1]!;
      const ins = await tx.manager.insert(CommissionEntity, {
        orderId: p.orderId, kind: 'share', level: b.level, beneficiaryUserId: b.userId, status: 'pending', amount: amounts[i]!, voided: 0, reversed: 0,
        rateBps, ruleId: rule.id, via: b.via, shareChain: b.shareChain, createdAt: now, updatedAt: now,
      });
      const id = Number(ins.identifiers[0]!.id);
      await recordCreated(tx, commissionLifecycle, id, 'pending');
      legs.push({
        debit: EXPENSE, credit: { user: b.userId, kind: 'pending' }, amount: amounts[i]!, kind: 'commission', ref: { type: 'commission', id },
        explanation: { orderId: p.orderId, level: b.level, rateBps, base: p.paidAmount, ruleVersion: rule.id, shareChain: b.shareChain, via: b.via },
      });
    }
    await this.ledger.post(tx, `order:${p.orderId}:accrue`, legs);
  }

  /**
   * order.refunded → the base shrinks by the refund; every level is recomputed on the new base with the
   * order's rule version and the difference leaves: voided from the hold before settlement, clawed back
   * after it (from 可提现 as far as it goes, the rest a receivable the beneficiary sees and future
   * commission nets — never silently capped, never a negative 可提现).
   */
  async onRefunded(tx: ServiceContext, p: DomainEventPayloads['order.refunded']): Promise<void> {
    const ro = await tx.manager.createQueryBuilder(RewardOrderEntity, 'o').setLock('pessimistic_write').where('o.order_id = :id', { id: p.orderId }).getOne();
    if (!ro) return;
    // The refund's own marker posting: a second delivery of this refund (whatever delivered it) stops here.
    if ((await this.ledger.post(tx, `order:${p.orderId}:refund:${p.refundId}`, [])).replayed) return;
    const refunded = Math.min(Number(ro.paidAmount), Number(ro.refundedAmount) + p.amount);
    const base = Number(ro.paidAmount) - refunded;
    await tx.manager.update(RewardOrderEntity, { id: ro.id }, { refundedAmount: refunded, updatedAt: new Date() });
    const rule = await this.rules.version(tx, Number(ro.ruleId));
    const rows = await this.lockedCommissions(tx, p.orderId);
    const targets = targetsOf(base, rows, rule.capBps);
    for (const [i, c] of rows.entries()) {
      const d = netOf(c) - targets[i]!;
      if (d <= 0 || c.status === 'cancelled') continue;
      const why: LedgerExplanation = { ...this.who(c), orderId: p.orderId, rateBps: c.rateBps, base, ruleVersion: rule.id, refundId: p.refundId };
      const user = Number(c.beneficiaryUserId);
      const ref = { type: 'commission' as const, id: Number(c.id) };
      if (c.status === 'pending' || c.status === 'frozen') {
        await this.ledger.post(tx, `commission:${c.id}:void:${p.refundId}`, [{ debit: { user, kind: c.status }, credit: expenseOf(c), amount: d, kind: 'void', ref, explanation: why }]);
        const voided = Number(c.voided) + d;
        if (netOf({ ...c, voided }) === 0) await move(tx, commissionLifecycle, Number(c.id), c.status, 'cancelled', { set: { voided }, note: `refund ${p.refundId}` });
        else await tx.manager.update(CommissionEntity, { id: c.id }, { voided, updatedAt: new Date() });
      } else {
        // After settlement: take what 可提现 holds (under its row lock, so a withdrawal cannot race it), the rest is owed.
        const available = await this.ledger.balance(tx, { user, kind: 'available' }, true);
        const take = Math.min(Math.max(available, 0), d);
        await this.ledger.post(tx, `commission:${c.id}:reverse:${p.refundId}`, [
          { debit: { user, kind: 'available' }, credit: expenseOf(c), amount: take, kind: 'reversal', ref, explanation: why },
          { debit: { user, kind: 'receivable' }, credit: expenseOf(c), amount: d - take, kind: 'reversal', ref, explanation: { ...why, note: '余额不足，记为待抵扣' } },
        ]);
        await tx.manager.update(CommissionEntity, { id: c.id }, { reversed: Number(c.reversed) + d, updatedAt: new Date() });
      }
    }
    if (base === 0 && (ro.status === 'accrued' || ro.status === 'frozen')) await move(tx, rewardOrderLifecycle, Number(ro.id), ro.status, 'closed', { note: 'refunded in full' });
  }

  /**
   * order.completed → the holds freeze until the after-sale window ends (pending → frozen). A pickup
   * order (`pickup` on the event) also earns its leader's commission now, straight into 冻结中 (held
   * until the window passes like the rest; it settles, voids and claws back with them).
   */
  async onCompleted(tx: ServiceContext, p: DomainEventPayloads['order.completed']): Promise<void> {
    const ro = await tx.manager.createQueryBuilder(RewardOrderEntity, 'o').setLock('pessimistic_write').where('o.order_id = :id', { id: p.orderId }).getOne();
    if (!ro || ro.status !== 'accrued') return;
    const settleAt = new Date(p.afterSaleUntil);
    if (!(await move(tx, rewardOrderLifecycle, Number(ro.id), 'accrued', 'frozen', { set: { settleAt } }))) return;
    // Once per order: the freeze above is a compare-and-set, the row has a unique key, the posting its key.
    if (p.pickup) await this.accrueLeader(tx, ro, p.pickup.leaderId);
    for (const c of await this.lockedCommissions(tx, p.orderId)) {
      if (c.status !== 'pending') continue;
      if (!(await move(tx, commissionLifecycle, Number(c.id), 'pending', 'frozen'))) continue;
      const user = Number(c.beneficiaryUserId);
      await this.ledger.post(tx, `commission:${c.id}:freeze`, [
        { debit: { user, kind: 'pending' }, credit: { user, kind: 'frozen' }, amount: netOf(c), kind: 'complete', ref: { type: 'commission', id: Number(c.id) }, explanation: this.explain(c, ro) },
      ]);
    }
  }

  /**
   * Settles one order if its window has passed and no after-sale is open: frozen → available, first
   * paying back what the beneficiary owes (receivable) — the netting is shown as its own entry.
   * Idempotent: the order moves frozen → settled once (compare-and-set) and each posting has its key.
   */
  async trySettle(ctx: ServiceContext, orderId: number, now = new Date()): Promise<boolean> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const ro = await tx.manager.createQueryBuilder(RewardOrderEntity, 'o').setLock('pessimistic_write').where('o.order_id = :id', { id: orderId }).getOne();
      if (!ro || ro.status !== 'frozen' || !ro.settleAt || ro.settleAt.getTime() > now.getTime()) return false;
      if (await this.sources.hasOpenAfterSale(tx, orderId)) return false;
      if (!(await move(tx, rewardOrderLifecycle, Number(ro.id), 'frozen', 'settled'))) return false;
      for (const c of await this.lockedCommissions(tx, orderId)) {
        if (c.status !== 'frozen') continue;
        await move(tx, commissionLifecycle, Number(c.id), 'frozen', 'available');
        const user = Number(c.beneficiaryUserId);
        const net = netOf(c);
        const owed = -(await this.ledger.balance(tx, { user, kind: 'receivable' }, true));
        const netting = Math.min(Math.max(owed, 0), net);
        const why = this.explain(c, ro);
        const ref = { type: 'commission' as const, id: Number(c.id) };
        await this.ledger.post(tx, `commission:${c.id}:settle`, [
          { debit: { user, kind: 'frozen' }, credit: { user, kind: 'receivable' }, amount: netting, kind: 'netting', ref, explanation: { ...why, note: '抵扣结算后退款的待还款' } },
          { debit: { user, kind: 'frozen' }, credit: { user, kind: 'available' }, amount: net - netting, kind: 'settle', ref, explanation: why },
        ]);
      }
      return true;
    });
  }

  /** The settlement job: every frozen order whose window has passed (a few hundred per run). */
  async settleDue(ctx: ServiceContext, limit = 500): Promise<number> {
    const rows: Array<{ order_id: number }> = await ctx.manager
      .createQueryBuilder(RewardOrderEntity, 'o')
      .select('o.order_id', 'order_id')
      .where(`o.status = 'frozen' AND o.settle_at <= UTC_TIMESTAMP(3)`)
      .orderBy('o.settle_at', 'ASC')
      .limit(limit)
      .getRawMany();
    let n = 0;
    for (const r of rows) if (await this.trySettle(ctx, Number(r.order_id))) n++;
    return n;
  }

  /** after_sale.closed → the order may settle now if its window passed while the request was open. */
  async onAfterSaleClosed(tx: ServiceContext, orderId: number): Promise<void> {
    await this.trySettle(tx, orderId);
  }

  /**
   * The leader's commission on a completed pickup order: the leader's own rate, else the order's rule
   * version's (campaign or global, the version it was paid under), on paid − refunded, within what the
   * cap leaves after the share levels. Self-purchase off (the default): a leader buying at their own
   * point earns nothing on it. A zero amount still gets its row (the order counts in the leader's GMV).
   */
  private async accrueLeader(tx: ServiceContext, ro: RewardOrderEntity, leaderId: number): Promise<void> {
    const leader = await this.sources.leaderOf(tx, leaderId);
    if (!leader) return;
    const rule = await this.rules.version(tx, Number(ro.ruleId));
    if (!rule.selfPurchase && leader.userId === Number(ro.buyerUserId)) return;
    const rateBps = leader.commissionBps ?? rule.leaderRateBps;
    const base = Number(ro.paidAmount) - Number(ro.refundedAmount);
    const rows = await this.lockedCommissions(tx, Number(ro.orderId));
    if (rows.some((c) => c.kind === 'leader')) return;
    const amount = targetsOf(base, [...rows, { kind: 'leader', rateBps }], rule.capBps).at(-1)!;
    const now = new Date();
    const ins = await tx.manager.insert(CommissionEntity, {
      orderId: ro.orderId, kind: 'leader', level: 1, beneficiaryUserId: leader.userId, status: 'frozen', amount, voided: 0, reversed: 0,
      rateBps, ruleId: rule.id, via: 'leader', shareChain: [], createdAt: now, updatedAt: now,
    });
    const id = Number(ins.identifiers[0]!.id);
    await recordCreated(tx, commissionLifecycle, id, 'frozen', `leader ${leaderId}`);
    await this.ledger.post(tx, `order:${ro.orderId}:leader`, [{
      debit: LEADER_EXPENSE, credit: { user: leader.userId, kind: 'frozen' }, amount, kind: 'commission', ref: { type: 'commission', id },
      explanation: { orderId: Number(ro.orderId), via: 'leader', leaderId, rateBps, base, ruleVersion: rule.id },
    }]);
  }

  /** How an entry names its commission: the level and share chain of a share commission, or the leader. */
  private who(c: CommissionEntity): Pick<LedgerExplanation, 'level' | 'shareChain' | 'via'> {
    return c.kind === 'leader' ? { via: 'leader' } : { level: c.level, shareChain: c.shareChain, via: c.via as 'share' | 'inviter' | 'self' };
  }

  private lockedCommissions(tx: ServiceContext, orderId: number): Promise<CommissionEntity[]> {
    return tx.manager.createQueryBuilder(CommissionEntity, 'c').setLock('pessimistic_write').where('c.order_id = :orderId', { orderId }).orderBy('c.id', 'ASC').getMany();
  }

  private explain(c: CommissionEntity, ro: RewardOrderEntity): LedgerExplanation {
    return {
      ...this.who(c), orderId: Number(c.orderId), rateBps: c.rateBps, base: Number(ro.paidAmount) - Number(ro.refundedAmount), ruleVersion: Number(c.ruleId),
    };
  }
}
