import { inList, selectRows } from '../../core/sql';
import type { DataSource } from 'typeorm';
import { ErrorCode } from '@tuan/shared';
import { GatedBatch, addToCounters, insertReturningIds, mineOf, type BatchSlot, type GroupCommitOptions } from '../../core/batcher';
import type { ServiceContext } from '../../core/context';
import type { CounterGate } from '../../core/counter-gate';
import { recordCreatedMany } from '../../core/lifecycle';
import { emit } from '../../core/outbox';
import { affectedRows } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import { CouponTemplateEntity, UserCouponEntity } from './coupon.entity';
import { userCouponLifecycle } from './coupon.state';

/** One 领券 (coupon-centre claim) waiting for its batch. */
export interface ClaimRequest {
  ctx: ServiceContext;
  userId: number;
  templateId: number;
}

/** A coupon a batch issued, with its template (the answer is built from what was written). */
export type IssuedCoupon = UserCouponEntity & { template: CouponTemplateEntity };

export interface ClaimBatchDeps {
  dataSource: DataSource;
  gate: CounterGate;
  stockKey: (templateId: number) => string;
  /** The template's Redis stock gate (CouponService's, rebuilt from MySQL when lost). */
  takeStock: (ctx: ServiceContext, templateId: number) => Promise<boolean>;
  /** Which of these users ever paid for an order (`new_users` templates are for the others). */
  usersWithPaidOrder: (ctx: ServiceContext, userIds: number[]) => Promise<Set<number>>;
  /** The one-claim transaction, for a batch whose transaction failed as a whole. */
  issueAlone: (ctx: ServiceContext, t: CouponTemplateEntity, userId: number) => Promise<IssuedCoupon>;
}

type Slot = BatchSlot<ClaimRequest, IssuedCoupon> & { template?: CouponTemplateEntity };

/**
 * Coupon-centre claims by group commit, like joins (see JoinBatch): concurrent claims of a process
 * read their templates once, pass the Redis stock gate each, then share ONE transaction that locks
 * the per-user claim counters (multi-row `INSERT … ON DUPLICATE KEY UPDATE`, sorted), decides every
 * claim in arrival order against them (per-user limit, audience), and writes one aggregated UPDATE
 * of the counters, ONE guarded UPDATE of the template's `issued` per template (`issued + n <=
 * total_stock`, checked), the coupons, their history rows and `coupon.issued` events. Each claim
 * gets its own answer after the commit; a batch whose transaction fails as a whole (stock gone
 * between the gate and the update, a deadlock after retries) decides each claim alone (GatedBatch).
 */
export class ClaimBatch extends GatedBatch<ClaimRequest, IssuedCoupon, Slot> {
  constructor(
    private readonly deps: ClaimBatchDeps,
    opts: GroupCommitOptions,
  ) {
    super(deps.dataSource, 'claim', opts);
  }

  claim(req: ClaimRequest): Promise<IssuedCoupon> {
    return this.submit(req);
  }

  /** The one-claim path's checks, for the whole batch: one read of the templates. */
  protected override async precheck(ctx: ServiceContext, slots: Slot[]): Promise<void> {
    const ids = [...new Set(slots.map((s) => s.req.templateId))];
    const templates = new Map((await selectRows(ctx, CouponTemplateEntity, `id IN ${inList(ids.length)}`, ids)).map((t) => [Number(t.id), t]));
    for (const s of slots) {
      const t = templates.get(s.req.templateId);
      if (!t || t.channel !== 'center') s.error = new NotFoundError(ErrorCode.COUPON_TEMPLATE_NOT_FOUND, 'Coupon template not found');
      else if (t.status !== 'active' || t.endsAt.getTime() <= Date.now()) s.error = new DomainError(ErrorCode.COUPON_NOT_CLAIMABLE, 'This coupon cannot be claimed now');
      s.template = t;
    }
  }

  protected override take(s: Slot): Promise<boolean> {
    return this.deps.takeStock(s.req.ctx, s.req.templateId);
  }

  protected override give(s: Slot): Promise<void> {
    return this.deps.gate.give(this.deps.stockKey(s.req.templateId));
  }

  protected override refusal(): unknown {
    return new DomainError(ErrorCode.COUPON_SOLD_OUT, 'This coupon is all claimed');
  }

  protected alone(s: Slot): Promise<IssuedCoupon> {
    return this.deps.issueAlone(s.req.ctx, s.template!, s.req.userId);
  }

  protected async decideAndWrite(tx: ServiceContext, slots: Slot[]): Promise<void> {
    const newOnly = slots.filter((s) => s.template!.audience === 'new_users');
    if (newOnly.length) {
      const paid = await this.deps.usersWithPaidOrder(tx, [...new Set(newOnly.map((s) => s.req.userId))]);
      for (const s of newOnly) if (paid.has(s.req.userId)) s.error = new DomainError(ErrorCode.COUPON_NOT_CLAIMABLE, 'Only new users may claim this coupon', { reason: 'NEW_USERS_ONLY' });
    }
    let cand = slots.filter((s) => !s.error);
    if (!cand.length) return;
    // Per-user counters: rows created and exclusively locked in key order, then read. ODKU has no
    // QueryBuilder form that leaves the row as it is (see CouponService.issue).
    const keys = [...new Map(cand.map((s) => [`${s.req.templateId}:${s.req.userId}`, [s.req.templateId, s.req.userId] as const])).values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    await tx.manager.query(`INSERT INTO coupon_user_claims (template_id, user_id, claimed) VALUES ${keys.map(() => '(?, ?, 0)').join(', ')} ON DUPLICATE KEY UPDATE claimed = claimed`, keys.flat());
    const rows: Array<{ template_id: string | number; user_id: string | number; claimed: number }> = await tx.manager.query(
      `SELECT template_id, user_id, claimed FROM coupon_user_claims WHERE (template_id, user_id) IN (${keys.map(() => '(?, ?)').join(', ')})`,
      keys.flat(),
    );
    const claimed = new Map(rows.map((r) => [`${Number(r.template_id)}:${Number(r.user_id)}`, Number(r.claimed)]));
    const left = new Map([...new Set(cand.map((s) => s.template!))].map((t) => [Number(t.id), t.totalStock - t.issued]));
    for (const s of cand) {
      const t = s.template!;
      const k = `${t.id}:${s.req.userId}`;
      const n = claimed.get(k) ?? 0;
      if (n >= t.perUserLimit) s.error = new DomainError(ErrorCode.COUPON_LIMIT_REACHED, `At most ${t.perUserLimit} per person`);
      else if ((left.get(Number(t.id)) ?? 0) <= 0) s.error = new DomainError(ErrorCode.COUPON_SOLD_OUT, 'This coupon is all claimed');
      else {
        claimed.set(k, n + 1);
        left.set(Number(t.id), left.get(Number(t.id))! - 1);
      }
    }
    cand = slots.filter((s) => !s.error);
    if (!cand.length) return;

    // The counters: one UPDATE adds each user's admitted claims to their (locked) row.
    await addToCounters(tx, 'coupon_user_claims', { keys: ['template_id', 'user_id'], counters: ['claimed'] }, cand.map((s) => [s.req.templateId, s.req.userId, 1] as const));
    // The template's stock: one guarded UPDATE per template, checked (the hot row, taken late).
    const perTemplate = new Map<number, number>();
    for (const s of cand) perTemplate.set(s.req.templateId, (perTemplate.get(s.req.templateId) ?? 0) + 1);
    for (const [id, n] of [...perTemplate].sort((a, b) => a[0] - b[0])) {
      const stock: unknown = await tx.manager.query(
        `UPDATE coupon_templates SET issued = issued + ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND issued + ? <= total_stock AND status = 'active' AND ends_at > UTC_TIMESTAMP(3)`,
        [n, id, n],
      );
      if (affectedRows(stock) !== 1) throw new Error(`template ${id}: ${n} coupons no longer fit its stock`);
    }
    // The coupons: one multi-row INSERT, ids read back (only this transaction can be claiming for
    // these users now: it holds their counter rows); history and events together.
    const now = new Date();
    const coupons = cand.map((s) => {
      const t = s.template!;
      return {
        templateId: t.id, userId: s.req.userId, status: 'available' as const, source: 'claim',
        validFrom: t.validityType === 'fixed' ? t.validFrom! : now,
        validTo: t.validityType === 'fixed' ? t.validTo! : new Date(now.getTime() + (t.validDays ?? 0) * 86400_000),
        claimedAt: now, updatedAt: now,
      };
    });
    const mine = mineOf('template_id', 'user_id', cand.map((s) => [s.req.templateId, s.req.userId]), `source = 'claim' AND claimed_at = ?`, [now]);
    const ids = await insertReturningIds(tx, UserCouponEntity, coupons, mine, 'userId');
    cand.forEach((s, i) => (s.out = { ...coupons[i]!, id: ids[i]!, lockedOrderId: null, usedOrderId: null, usedAt: null, template: s.template! }));
    await recordCreatedMany(tx, userCouponLifecycle, cand.map((s) => s.out!.id), 'available', 'claim');
    await emit(tx, ...cand.map((s) => ({ type: 'coupon.issued' as const, aggregateType: 'coupon' as const, aggregateId: s.out!.id, payload: { couponId: s.out!.id, templateId: s.req.templateId, userId: s.req.userId, via: 'claim' as const } })));
  }
}
