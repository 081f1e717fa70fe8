import type { DataSource } from 'typeorm';
import { computeCommissions, type DomainEventPayloads, type LedgerExplanation, type OrderAttribution } from '@tuan/shared';
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
}

interface Beneficiary {
  level: number;
  userId: number;
  via: 'share' | 'inviter' | 'self';
  shareChain: number[];
}

const EXPENSE = { platform: 'commission_expense' } as const;

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
        orderId: p.orderId, level: b.level, beneficiaryUserId: b.userId, status: 'pending', amount: amounts[i]!, voided: 0, reversed: 0,
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
    const targets = computeCommissions(base, { ratesBps: rows.map((c) => c.rateBps), capBps: rule.capBps });
    for (const [i, c] of rows.entries()) {
      const d = netOf(c) - targets[i]!;
      if (d <= 0 || c.status === 'cancelled') continue;
      const why: LedgerExplanation = { orderId: p.orderId, level: c.level, rateBps: c.rateBps, base, ruleVersion: rule.id, shareChain: c.shareChain, via: c.via, refundId: p.refundId };
      const user = Number(c.beneficiaryUserId);
      const ref = { type: 'commission' as const, id: Number(c.id) };
      if (c.status === 'pending' || c.status === 'frozen') {
        await this.ledger.post(tx, `commission:${c.id}:void:${p.refundId}`, [{ debit: { user, kind: c.status }, credit: EXPENSE, amount: d, kind: 'void', ref, explanation: why }]);
        const voided = Number(c.voided) + d;
        if (netOf({ ...c, voided }) === 0) await move(tx, commissionLifecycle, Number(c.id), c.status, 'cancelled', { set: { voided }, note: `refund ${p.refundId}` });
        else await tx.manager.update(CommissionEntity, { id: c.id }, { voided, updatedAt: new Date() });
      } else {
        // After settlement: take what 可提现 holds (under its row lock, so a withdrawal cannot race it), the rest is owed.
        const available = await this.ledger.balance(tx, { user, kind: 'available' }, true);
        const take = Math.min(Math.max(available, 0), d);
        await this.ledger.post(tx, `commission:${c.id}:reverse:${p.refundId}`, [
          { debit: { user, kind: 'available' }, credit: EXPENSE, amount: take, kind: 'reversal', ref, explanation: why },
          { debit: { user, kind: 'receivable' }, credit: EXPENSE, amount: d - take, kind: 'reversal', ref, explanation: { ...why, note: '余额不足，记为待抵扣' } },
        ]);
        await tx.manager.update(CommissionEntity, { id: c.id }, { reversed: Number(c.reversed) + d, updatedAt: new Date() });
      }
    }
    if (base === 0 && (ro.status === 'accrued' || ro.status === 'frozen')) await move(tx, rewardOrderLifecycle, Number(ro.id), ro.status, 'closed', { note: 'refunded in full' });
  }

  /** order.completed → the holds freeze until the after-sale window ends (pending → frozen). */
  async onCompleted(tx: ServiceContext, p: DomainEventPayloads['order.completed']): Promise<void> {
    const ro = await tx.manager.createQueryBuilder(RewardOrderEntity, 'o').setLock('pessimistic_write').where('o.order_id = :id', { id: p.orderId }).getOne();
    if (!ro || ro.status !== 'accrued') return;
    const settleAt = new Date(p.afterSaleUntil);
    if (!(await move(tx, rewardOrderLifecycle, Number(ro.id), 'accrued', 'frozen', { set: { settleAt } }))) return;
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

  private lockedCommissions(tx: ServiceContext, orderId: number): Promise<CommissionEntity[]> {
    return tx.manager.createQueryBuilder(CommissionEntity, 'c').setLock('pessimistic_write').where('c.order_id = :orderId', { orderId }).orderBy('c.level', 'ASC').getMany();
  }

  private explain(c: CommissionEntity, ro: RewardOrderEntity): LedgerExplanation {
    return {
      orderId: Number(c.orderId), level: c.level, rateBps: c.rateBps, base: Number(ro.paidAmount) - Number(ro.refundedAmount),
      ruleVersion: Number(c.ruleId), shareChain: c.shareChain, via: c.via,
    };
  }
}
