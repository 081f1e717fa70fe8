import type { DataSource } from 'typeorm';
import {
  ErrorCode,
  couponDiscount,
  couponLabel,
  type CouponCenterItem,
  type CouponRule,
  type CouponTarget,
  type CouponTemplateStatus,
  type CouponTemplateView,
  type CreateCouponTemplateRequest,
  type MyCouponsQuery,
  type Page,
  type UpdateCouponTemplateRequest,
  type UserCouponView,
} from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import type { CounterGate } from '../../core/counter-gate';
import { assertTransition } from '../../core/state';
import { affectedRows, insertId, withTransaction } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import { recordAudit } from '../admin';
import { templateTransitions } from './coupon.state';

interface TemplateRow {
  id: number; name: string; kind: CouponRule['kind']; amount_off: number; threshold: number; percent_off: number; max_discount: number;
  scope: CouponRule['scope']; scope_ids: number[] | string; validity_type: 'fixed' | 'relative'; valid_from: Date | null; valid_to: Date | null;
  valid_days: number | null; total_stock: number; issued: number; per_user_limit: number; audience: 'everyone' | 'new_users';
  channel: 'center' | 'operator_grant' | 'registration_gift'; status: CouponTemplateStatus; ends_at: Date;
}
interface UserCouponRow {
  id: number; template_id: number; user_id: number; status: UserCouponView['status']; valid_from: Date; valid_to: Date;
  locked_order_id: number | null; used_order_id: number | null; claimed_at: Date;
}
type Joined = UserCouponRow & Pick<TemplateRow, 'name' | 'kind' | 'amount_off' | 'threshold' | 'percent_off' | 'max_discount' | 'scope' | 'scope_ids'>;

const INT_COLS = /^(id|.*_id|amount_off|threshold|percent_off|max_discount|total_stock|issued|per_user_limit|valid_days|claimed)$/;
function num<T extends object>(row: T): T {
  for (const [k, v] of Object.entries(row)) if (INT_COLS.test(k) && typeof v === 'string' && /^-?\d+$/.test(v)) (row as Record<string, unknown>)[k] = Number(v);
  const r = row as { scope_ids?: unknown };
  if (typeof r.scope_ids === 'string') r.scope_ids = JSON.parse(r.scope_ids);
  return row;
}

function ruleOf(t: Pick<TemplateRow, 'kind' | 'amount_off' | 'threshold' | 'percent_off' | 'max_discount' | 'scope' | 'scope_ids'>): CouponRule {
  return { kind: t.kind, amountOff: t.amount_off, threshold: t.threshold, percentOff: t.percent_off, maxDiscount: t.max_discount, scope: t.scope, scopeIds: t.scope_ids as number[] };
}

export interface CouponServiceOptions {
  /** Give a used coupon back when its order is fully refunded and the coupon is still valid. */
  returnOnRefund: boolean;
  redisPrefix: string;
}

/**
 * Coupons (spec §8). Issuing is one transaction of guarded updates — the template's `issued < total`
 * and the user's `claimed < limit` — whose affected rows are checked before the coupon row is
 * written: never issue first and count later. A Redis counter per template turns claims away early
 * when stock is gone; it is rebuilt from MySQL if Redis loses it. A coupon is locked by one order
 * at a time (row lock + guarded `status = 'available'` update), used when that order is paid, and
 * comes back when the order is cancelled, times out, or (if configured) is fully refunded.
 */
export class CouponService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly gate: CounterGate,
    private readonly opts: CouponServiceOptions,
  ) {}

  // ---------- operators ----------

  async createTemplate(ctx: ServiceContext, input: CreateCouponTemplateRequest): Promise<CouponTemplateView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const v = input.validity;
      const res = await tx.manager.query(
        `INSERT INTO coupon_templates (name, kind, amount_off, threshold, percent_off, max_discount, scope, scope_ids, validity_type, valid_from, valid_to, valid_days,
           total_stock, issued, per_user_limit, audience, channel, status, ends_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
        [input.name, input.kind, input.kind === 'percent_off' ? 0 : input.amountOff, input.kind === 'no_threshold' ? 0 : input.threshold,
          input.kind === 'percent_off' ? input.percentOff : 0, input.kind === 'percent_off' ? input.maxDiscount : 0, input.scope, JSON.stringify(input.scope === 'all' ? [] : input.scopeIds),
          v.type, v.type === 'fixed' ? new Date(v.from) : null, v.type === 'fixed' ? new Date(v.to) : null, v.type === 'relative' ? v.days : null,
          input.totalStock, input.perUserLimit, input.audience, input.channel, input.status, new Date(input.endsAt)],
      );
      const view = await this.templateView(tx, insertId(res));
      await recordAudit(tx, { action: 'coupon_template.create', entityType: 'coupon_template', entityId: view.id, after: view });
      return view;
    });
  }

  /** Stock can be raised or lowered, but never below what was already issued (guarded update). */
  async updateTemplate(ctx: ServiceContext, id: number, patch: UpdateCouponTemplateRequest): Promise<CouponTemplateView> {
    const view = await withTransaction(this.dataSource, ctx, async (tx) => {
      const before = await this.templateView(tx, id);
      if (before.status === 'ended') throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, 'Ended templates cannot be edited');
      const sets: string[] = [];
      const params: unknown[] = [];
      if (patch.name !== undefined) sets.push('name = ?'), params.push(patch.name);
      if (patch.totalStock !== undefined) sets.push('total_stock = ?'), params.push(patch.totalStock);
      if (patch.perUserLimit !== undefined) sets.push('per_user_limit = ?'), params.push(patch.perUserLimit);
      if (patch.endsAt !== undefined) sets.push('ends_at = ?'), params.push(new Date(patch.endsAt));
      const guard = patch.totalStock !== undefined ? ' AND issued <= ?' : '';
      const res = await tx.manager.query(`UPDATE coupon_templates SET ${sets.join(', ')}, updated_at = UTC_TIMESTAMP(3) WHERE id = ?${guard}`, [...params, id, ...(guard ? [patch.totalStock] : [])]);
      if (affectedRows(res) !== 1) throw new DomainError(ErrorCode.COUPON_STOCK_BELOW_ISSUED, 'Total stock cannot go below the number already issued', { issued: before.issued });
      const after = await this.templateView(tx, id);
      await recordAudit(tx, { action: 'coupon_template.update', entityType: 'coupon_template', entityId: id, before, after });
      return after;
    });
    await this.gate.drop(this.stockKey(id)); // rebuilt from MySQL on the next claim
    return view;
  }

  async setStatus(ctx: ServiceContext, id: number, to: CouponTemplateStatus): Promise<CouponTemplateView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const before = await this.templateView(tx, id);
      assertTransition('coupon template', templateTransitions, before.status, to);
      const res = await tx.manager.query(`UPDATE coupon_templates SET status = ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = ?`, [to, id, before.status]);
      if (affectedRows(res) !== 1) throw new DomainError(ErrorCode.CONFLICT, 'Template changed concurrently; retry');
      await recordAudit(tx, { action: `coupon_template.${to}`, entityType: 'coupon_template', entityId: id, before: { status: before.status }, after: { status: to } });
      return this.templateView(tx, id);
    });
  }

  /** Operator grant to listed users; each grant respects stock and the per-user limit. Audited. */
  async grant(ctx: ServiceContext, templateId: number, userIds: number[]): Promise<{ granted: number[]; refused: Array<{ userId: number; code: string }> }> {
    const t = await this.template(ctx, templateId);
    if (!t) throw new NotFoundError(ErrorCode.COUPON_TEMPLATE_NOT_FOUND, 'Coupon template not found');
    const granted: number[] = [];
    const refused: Array<{ userId: number; code: string }> = [];
    for (const userId of [...new Set(userIds)]) {
      try {
        await withTransaction(this.dataSource, ctx, async (tx) => {
          const [u] = await tx.manager.query(`SELECT id FROM users WHERE id = ?`, [userId]);
          if (!u) throw new NotFoundError(ErrorCode.NOT_FOUND, 'No such user');
          await this.issue(tx, t, userId, 'operator_grant');
        });
        granted.push(userId);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        refused.push({ userId, code: err.code });
      }
    }
    await withTransaction(this.dataSource, ctx, (tx) => recordAudit(tx, { action: 'coupon_template.grant', entityType: 'coupon_template', entityId: templateId, after: { granted, refused } }));
    return { granted, refused };
  }

  async listTemplates(ctx: ServiceContext, page: number, pageSize: number): Promise<Page<CouponTemplateView>> {
    const rows: TemplateRow[] = await ctx.manager.query(`SELECT * FROM coupon_templates ORDER BY id DESC LIMIT ? OFFSET ?`, [pageSize, (page - 1) * pageSize]);
    const [{ n }] = await ctx.manager.query(`SELECT COUNT(*) AS n FROM coupon_templates`);
    return { items: rows.map((r) => templateViewOf(num(r))), page, pageSize, total: Number(n), serverTime: new Date().toISOString() };
  }

  async templateView(ctx: ServiceContext, id: number): Promise<CouponTemplateView> {
    const t = await this.template(ctx, id);
    if (!t) throw new NotFoundError(ErrorCode.COUPON_TEMPLATE_NOT_FOUND, 'Coupon template not found');
    return templateViewOf(t);
  }

  // ---------- shoppers ----------

  /** 领券中心: active centre templates, remaining stock, how many I hold and why I cannot claim. */
  async center(ctx: ServiceContext, userId: number | null): Promise<{ items: CouponCenterItem[]; serverTime: string }> {
    const rows: Array<TemplateRow & { mine: number | null }> = await ctx.manager.query(
      `SELECT t.*, c.claimed AS mine FROM coupon_templates t LEFT JOIN coupon_user_claims c ON c.template_id = t.id AND c.user_id = ?
        WHERE t.channel = 'center' AND t.status = 'active' AND t.ends_at > UTC_TIMESTAMP(3) ORDER BY t.id DESC LIMIT 100`,
      [userId ?? 0],
    );
    const isNew = userId ? !(await this.hasPaidOrder(ctx, userId)) : true;
    return {
      items: rows.map((raw) => {
        const r = num(raw);
        const v = templateViewOf(r);
        const mine = Number(r.mine ?? 0);
        const remaining = r.total_stock - r.issued;
        const blockedBy = remaining <= 0 ? 'SOLD_OUT' : mine >= r.per_user_limit ? 'LIMIT_REACHED' : r.audience === 'new_users' && !isNew ? 'NEW_USERS_ONLY' : null;
        return { id: v.id, name: v.name, label: v.label, kind: v.kind, threshold: v.threshold, validity: v.validity, perUserLimit: v.perUserLimit, audience: v.audience, endsAt: v.endsAt, remaining, claimedByMe: mine, blockedBy };
      }),
      serverTime: new Date().toISOString(),
    };
  }

  /** Claim from the coupon centre. */
  async claim(ctx: ServiceContext, templateId: number): Promise<UserCouponView> {
    const userId = userIdOf(ctx);
    const t = await this.template(ctx, templateId);
    if (!t || t.channel !== 'center') throw new NotFoundError(ErrorCode.COUPON_TEMPLATE_NOT_FOUND, 'Coupon template not found');
    if (t.status !== 'active' || t.ends_at.getTime() <= Date.now()) throw new DomainError(ErrorCode.COUPON_NOT_CLAIMABLE, 'This coupon cannot be claimed now');
    const key = this.stockKey(templateId);
    const passed = await this.gate.take(key, async () => {
      const fresh = await this.template(ctx, templateId);
      return { left: fresh ? fresh.total_stock - fresh.issued : 0, ttlSec: fresh ? (fresh.ends_at.getTime() - Date.now()) / 1000 + 3600 : 60 };
    });
    if (!passed) throw new DomainError(ErrorCode.COUPON_SOLD_OUT, 'This coupon is all claimed');
    try {
      const id = await withTransaction(this.dataSource, ctx, (tx) => this.issue(tx, t, userId, 'claim'));
      return this.userCouponView(ctx, id);
    } catch (err) {
      await this.gate.give(key);
      throw err;
    }
  }

  /**
   * Registration gifts, inside the login transaction of the one login that created the user, so a
   * burst of first logins grants them exactly once. A gift that ran out is skipped, not an error.
   */
  async grantRegistrationGifts(tx: ServiceContext, userId: number): Promise<number> {
    const templates: TemplateRow[] = await tx.manager.query(`SELECT * FROM coupon_templates WHERE channel = 'registration_gift' AND status = 'active' AND ends_at > UTC_TIMESTAMP(3)`);
    let n = 0;
    for (const t of templates) {
      try {
        await this.issue(tx, num(t), userId, 'registration_gift');
        n++;
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
      }
    }
    return n;
  }

  async myCoupons(ctx: ServiceContext, q: MyCouponsQuery): Promise<Page<UserCouponView>> {
    const userId = userIdOf(ctx);
    // `available` includes coupons held by an unpaid order (shown as in use until it is paid or freed).
    const where = q.status === 'available' ? `uc.status IN ('available', 'locked') AND uc.valid_to > UTC_TIMESTAMP(3)` : q.status === 'used' ? `uc.status = 'used'` : `(uc.status = 'expired' OR (uc.status = 'available' AND uc.valid_to <= UTC_TIMESTAMP(3)))`;
    const rows: Joined[] = await ctx.manager.query(
      `SELECT uc.*, t.name, t.kind, t.amount_off, t.threshold, t.percent_off, t.max_discount, t.scope, t.scope_ids
         FROM user_coupons uc JOIN coupon_templates t ON t.id = uc.template_id WHERE uc.user_id = ? AND ${where}
        ORDER BY uc.valid_to, uc.id LIMIT ? OFFSET ?`,
      [userId, q.pageSize, (q.page - 1) * q.pageSize],
    );
    const [{ n }] = await ctx.manager.query(`SELECT COUNT(*) AS n FROM user_coupons uc WHERE uc.user_id = ? AND ${where}`, [userId]);
    return { items: rows.map((r) => userCouponViewOf(num(r))), page: q.page, pageSize: q.pageSize, total: Number(n), serverTime: new Date().toISOString() };
  }

  // ---------- checkout ----------

  /** Every coupon I could use now, with its discount on `target` or why it does not apply. */
  async evaluate(ctx: ServiceContext, userId: number, target: CouponTarget) {
    const rows: Joined[] = await ctx.manager.query(
      `SELECT uc.*, t.name, t.kind, t.amount_off, t.threshold, t.percent_off, t.max_discount, t.scope, t.scope_ids
         FROM user_coupons uc JOIN coupon_templates t ON t.id = uc.template_id
        WHERE uc.user_id = ? AND uc.status = 'available' AND uc.valid_from <= UTC_TIMESTAMP(3) AND uc.valid_to > UTC_TIMESTAMP(3)
        ORDER BY uc.valid_to, uc.id LIMIT 100`,
      [userId],
    );
    const evaluated = rows.map((raw) => {
      const r = num(raw);
      const v = couponDiscount(ruleOf(r), target);
      return { coupon: userCouponViewOf(r), applicable: v.applicable, discount: v.applicable ? v.discount : 0, reason: v.applicable ? null : v.reason };
    });
    // Best: the largest discount; among equals the one that expires first (rows are sorted so).
    const best = evaluated.filter((e) => e.applicable).reduce<(typeof evaluated)[number] | null>((a, b) => (a === null || b.discount > a.discount ? b : a), null);
    return { coupons: evaluated, best };
  }

  /**
   * Checks my coupon against the order about to be created and returns its discount. The row is
   * locked (FOR UPDATE) until the order's transaction ends, so two checkouts racing for one coupon
   * are serialised and the second sees it taken.
   */
  async discountFor(tx: ServiceContext, userId: number, couponId: number, target: CouponTarget): Promise<number> {
    const [raw] = await tx.manager.query(
      `SELECT uc.*, t.name, t.kind, t.amount_off, t.threshold, t.percent_off, t.max_discount, t.scope, t.scope_ids
         FROM user_coupons uc JOIN coupon_templates t ON t.id = uc.template_id WHERE uc.id = ? FOR UPDATE`,
      [couponId],
    );
    if (!raw || Number(raw.user_id) !== userId) throw new NotFoundError(ErrorCode.COUPON_NOT_FOUND, 'Coupon not found');
    const c = num(raw as Joined);
    if (c.status !== 'available') throw new DomainError(ErrorCode.COUPON_NOT_AVAILABLE, 'This coupon is used or held by another order');
    if (c.valid_to.getTime() <= Date.now()) throw new DomainError(ErrorCode.COUPON_EXPIRED, 'This coupon has expired');
    if (c.valid_from.getTime() > Date.now()) throw new DomainError(ErrorCode.COUPON_NOT_APPLICABLE, 'This coupon is not valid yet');
    const v = couponDiscount(ruleOf(c), target);
    if (!v.applicable) throw new DomainError(ErrorCode.COUPON_NOT_APPLICABLE, v.reason, { reason: v.code });
    return v.discount;
  }

  /** available → locked, by the order just created in the same transaction. */
  async lock(tx: ServiceContext, couponId: number, orderId: number): Promise<void> {
    const res = await tx.manager.query(`UPDATE user_coupons SET status = 'locked', locked_order_id = ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = 'available'`, [orderId, couponId]);
    if (affectedRows(res) !== 1) throw new DomainError(ErrorCode.COUPON_NOT_AVAILABLE, 'This coupon is used or held by another order');
  }

  /** locked → used when the order is paid. */
  async markUsed(tx: ServiceContext, orderId: number): Promise<void> {
    await tx.manager.query(
      `UPDATE user_coupons SET status = 'used', used_order_id = locked_order_id, locked_order_id = NULL, used_at = UTC_TIMESTAMP(3), updated_at = UTC_TIMESTAMP(3)
        WHERE locked_order_id = ? AND status = 'locked'`,
      [orderId],
    );
  }

  /** locked → available (or expired, if its validity ran out meanwhile) when the order is cancelled. */
  async release(tx: ServiceContext, orderId: number): Promise<void> {
    await tx.manager.query(
      `UPDATE user_coupons SET status = IF(valid_to > UTC_TIMESTAMP(3), 'available', 'expired'), locked_order_id = NULL, updated_at = UTC_TIMESTAMP(3)
        WHERE locked_order_id = ? AND status = 'locked'`,
      [orderId],
    );
  }

  /** used → available on a full refund, if configured and still valid. */
  async returnOnRefund(tx: ServiceContext, orderId: number): Promise<void> {
    if (!this.opts.returnOnRefund) return;
    await tx.manager.query(
      `UPDATE user_coupons SET status = 'available', used_order_id = NULL, used_at = NULL, updated_at = UTC_TIMESTAMP(3)
        WHERE used_order_id = ? AND status = 'used' AND valid_to > UTC_TIMESTAMP(3)`,
      [orderId],
    );
  }

  /** Sweeper: coupons past validity become expired; templates past their end become ended. */
  async sweep(ctx: ServiceContext): Promise<{ coupons: number; templates: number }> {
    const c = await ctx.manager.query(`UPDATE user_coupons SET status = 'expired', updated_at = UTC_TIMESTAMP(3) WHERE status = 'available' AND valid_to <= UTC_TIMESTAMP(3) LIMIT 5000`);
    const t = await ctx.manager.query(`UPDATE coupon_templates SET status = 'ended', updated_at = UTC_TIMESTAMP(3) WHERE status IN ('draft', 'active', 'paused') AND ends_at <= UTC_TIMESTAMP(3)`);
    return { coupons: affectedRows(c), templates: affectedRows(t) };
  }

  // ---------- internals ----------

  /** The one way a coupon comes into being. Guarded counts first, then the row. */
  private async issue(tx: ServiceContext, t: TemplateRow, userId: number, source: string): Promise<number> {
    if (t.audience === 'new_users' && (await this.hasPaidOrder(tx, userId))) throw new DomainError(ErrorCode.COUPON_NOT_CLAIMABLE, 'Only new users may claim this coupon', { reason: 'NEW_USERS_ONLY' });
    // ODKU takes the row's exclusive lock at once; INSERT IGNORE would take a shared lock that two
    // racing claims then both try to upgrade — a deadlock.
    await tx.manager.query(`INSERT INTO coupon_user_claims (template_id, user_id, claimed) VALUES (?, ?, 0) ON DUPLICATE KEY UPDATE claimed = claimed`, [t.id, userId]);
    const mine = await tx.manager.query(`UPDATE coupon_user_claims SET claimed = claimed + 1 WHERE template_id = ? AND user_id = ? AND claimed < ?`, [t.id, userId, t.per_user_limit]);
    if (affectedRows(mine) !== 1) throw new DomainError(ErrorCode.COUPON_LIMIT_REACHED, `At most ${t.per_user_limit} per person`);
    const stock = await tx.manager.query(
      `UPDATE coupon_templates SET issued = issued + 1, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND issued < total_stock AND status = 'active' AND ends_at > UTC_TIMESTAMP(3)`,
      [t.id],
    );
    if (affectedRows(stock) !== 1) {
      const fresh = await this.template(tx, t.id);
      throw fresh && fresh.issued >= fresh.total_stock ? new DomainError(ErrorCode.COUPON_SOLD_OUT, 'This coupon is all claimed') : new DomainError(ErrorCode.COUPON_NOT_CLAIMABLE, 'This coupon cannot be claimed now');
    }
    const now = new Date();
    const from = t.validity_type === 'fixed' ? t.valid_from! : now;
    const to = t.validity_type === 'fixed' ? t.valid_to! : new Date(now.getTime() + (t.valid_days ?? 0) * 86400_000);
    const res = await tx.manager.query(
      `INSERT INTO user_coupons (template_id, user_id, status, source, valid_from, valid_to, claimed_at, updated_at) VALUES (?, ?, 'available', ?, ?, ?, ?, ?)`,
      [t.id, userId, source, from, to, now, now],
    );
    return insertId(res);
  }

  private stockKey(templateId: number): string {
    return `${this.opts.redisPrefix}{ct:${templateId}}:stock`;
  }

  private async userCouponView(ctx: ServiceContext, id: number): Promise<UserCouponView> {
    const [raw] = await ctx.manager.query(
      `SELECT uc.*, t.name, t.kind, t.amount_off, t.threshold, t.percent_off, t.max_discount, t.scope, t.scope_ids FROM user_coupons uc JOIN coupon_templates t ON t.id = uc.template_id WHERE uc.id = ?`,
      [id],
    );
    return userCouponViewOf(num(raw as Joined));
  }

  private async template(ctx: ServiceContext, id: number): Promise<TemplateRow | null> {
    const [row] = await ctx.manager.query(`SELECT * FROM coupon_templates WHERE id = ?`, [id]);
    return row ? num(row as TemplateRow) : null;
  }

  private async hasPaidOrder(ctx: ServiceContext, userId: number): Promise<boolean> {
    return (await ctx.manager.query(`SELECT 1 FROM orders WHERE user_id = ? AND paid_at IS NOT NULL LIMIT 1`, [userId])).length > 0;
  }
}

function templateViewOf(t: TemplateRow): CouponTemplateView {
  return {
    id: t.id, name: t.name, label: couponLabel(ruleOf(t)), kind: t.kind, amountOff: t.amount_off, threshold: t.threshold, percentOff: t.percent_off,
    maxDiscount: t.max_discount, scope: t.scope, scopeIds: t.scope_ids as number[],
    validity: t.validity_type === 'fixed' ? { type: 'fixed', from: t.valid_from!.toISOString(), to: t.valid_to!.toISOString() } : { type: 'relative', days: t.valid_days ?? 0 },
    totalStock: t.total_stock, issued: t.issued, perUserLimit: t.per_user_limit, audience: t.audience, channel: t.channel, status: t.status, endsAt: t.ends_at.toISOString(),
  };
}

function userCouponViewOf(r: Joined): UserCouponView {
  return {
    id: r.id, templateId: r.template_id, name: r.name, label: couponLabel(ruleOf(r)), kind: r.kind, amountOff: r.amount_off, threshold: r.threshold,
    percentOff: r.percent_off, maxDiscount: r.max_discount, scope: r.scope,
    // A coupon past its validity that the sweeper has not reached yet is already expired to the shopper.
    status: r.status === 'available' && r.valid_to.getTime() <= Date.now() ? 'expired' : r.status,
    validFrom: r.valid_from.toISOString(), validTo: r.valid_to.toISOString(), orderId: r.used_order_id ?? r.locked_order_id, claimedAt: r.claimed_at.toISOString(),
  };
}
