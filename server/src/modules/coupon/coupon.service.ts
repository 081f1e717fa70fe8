import { In, type DataSource, type InsertResult, type SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
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
import type { GroupCommitOptions } from '../../core/batcher';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import type { CounterGate } from '../../core/counter-gate';
import { move, recordCreated } from '../../core/lifecycle';
import { emit } from '../../core/outbox';
import { withTransaction } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import { recordAudit } from '../admin';
import { CouponTemplateEntity, CouponUserClaimEntity, UserCouponEntity } from './coupon.entity';
import { ClaimBatch } from './coupon.claim-batch';
import { templateLifecycle, userCouponLifecycle } from './coupon.state';

/** A user coupon with its template joined in (the rule its discount and label come from). */
type CouponWithRule = UserCouponEntity & { template: CouponTemplateEntity };

/** How a coupon came to its holder (`user_coupons.source`, `coupon.issued` `via`). */
type IssueSource = 'claim' | 'operator_grant' | 'registration_gift' | 'share_pack' | 'share_pack_bonus';

/** Coupons moved per transaction by the sweeper: short transactions, few row locks held at once. */
const SWEEP_BATCH = 200;
/** Coupons expired per sweep; the next sweep takes the rest. */
const SWEEP_MAX = 5000;

/** The id of an inserted row. TypeORM hands generated BIGINT ids back as strings (#720); rows read are numbers. */
function generatedId(res: InsertResult): number {
  return Number(res.identifiers[0]!.id);
}

function ruleOf(t: CouponTemplateEntity): CouponRule {
  return { kind: t.kind, amountOff: t.amountOff, threshold: t.threshold, percentOff: t.percentOff, maxDiscount: t.maxDiscount, scope: t.scope, scopeIds: t.scopeIds };
}

export interface CouponServiceOptions {
  /** Give a used coupon back when its order is fully refunded and the coupon is still valid. */
  returnOnRefund: boolean;
  redisPrefix: string;
  /** Group commit of coupon-centre claims (see ClaimBatch); null: every claim in its own transaction. */
  claimBatch?: GroupCommitOptions | null;
}

/**
 * What coupons need to know about other modules' data, asked through their services (coupons never
 * read `orders` or `users` themselves).
 */
export interface CouponServiceDeps {
  /** Whether the user ever paid for an order: `new_users` templates are for those who did not. */
  hasPaidOrder(ctx: ServiceContext, userId: number): Promise<boolean>;
  /** The same for many users in one read (batched claims). */
  usersWithPaidOrder(ctx: ServiceContext, userIds: number[]): Promise<Set<number>>;
  /** Operator grants name users by id; an unknown id is refused, not issued. */
  userExists(ctx: ServiceContext, userId: number): Promise<boolean>;
}

/**
 * Coupons (spec §8). Issuing is one transaction of guarded updates — the template's `issued < total`
 * and the user's `claimed < limit` — whose affected rows are checked before the coupon row is
 * written: never issue first and count later. A Redis counter per template turns claims away early
 * when stock is gone; it is rebuilt from MySQL if Redis loses it. A coupon is locked by one order
 * at a time (row lock + guarded `status = 'available'` move), used when that order is paid, and
 * comes back when the order is cancelled, times out, or (if configured) is fully refunded. Every
 * status change goes through `move` with the lifecycles of coupon.state.ts (history in
 * `state_history`); `coupon.issued` and `coupon.used` are written to the outbox with the change.
 */
export class CouponService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly gate: CounterGate,
    private readonly opts: CouponServiceOptions,
    private readonly deps: CouponServiceDeps,
  ) {
    this.batch = opts.claimBatch
      ? new ClaimBatch(
          {
            dataSource, gate, stockKey: (id) => this.stockKey(id), takeStock: (ctx, id) => this.takeStock(ctx, id), usersWithPaidOrder: deps.usersWithPaidOrder,
            issueAlone: async (ctx, t, userId) => {
              const id = await withTransaction(this.dataSource, ctx, (tx) => this.issue(tx, t, userId, 'claim'));
              return this.withRule(ctx).where('uc.id = :id', { id }).getOneOrFail();
            },
          },
          opts.claimBatch,
        )
      : null;
  }

  /** Group commit of claims (null when off); its stats show how claims were batched. */
  readonly batch: ClaimBatch | null;

  // ---------- operators ----------

  async createTemplate(ctx: ServiceContext, input: CreateCouponTemplateRequest): Promise<CouponTemplateView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const v = input.validity;
      const now = new Date();
      const res = await tx.manager.insert(CouponTemplateEntity, {
        name: input.name,
        kind: input.kind,
        amountOff: input.kind === 'percent_off' ? 0 : input.amountOff,
        threshold: input.kind === 'no_threshold' ? 0 : input.threshold,
        percentOff: input.kind === 'percent_off' ? input.percentOff : 0,
        maxDiscount: input.kind === 'percent_off' ? input.maxDiscount : 0,
        scope: input.scope,
        scopeIds: input.scope === 'all' ? [] : input.scopeIds,
        validityType: v.type,
        validFrom: v.type === 'fixed' ? new Date(v.from) : null,
        validTo: v.type === 'fixed' ? new Date(v.to) : null,
        validDays: v.type === 'relative' ? v.days : null,
        totalStock: input.totalStock,
        issued: 0,
        perUserLimit: input.perUserLimit,
        audience: input.audience,
        channel: input.channel,
        status: input.status,
        endsAt: new Date(input.endsAt),
        createdAt: now,
        updatedAt: now,
      });
      const id = generatedId(res);
      await recordCreated(tx, templateLifecycle, id, input.status);
      const view = await this.templateView(tx, id);
      await recordAudit(tx, { action: 'coupon_template.create', entityType: 'coupon_template', entityId: view.id, after: view });
      return view;
    });
  }

  /** Stock can be raised or lowered, but never below what was already issued (guarded update). */
  async updateTemplate(ctx: ServiceContext, id: number, patch: UpdateCouponTemplateRequest): Promise<CouponTemplateView> {
    const view = await withTransaction(this.dataSource, ctx, async (tx) => {
      const before = await this.templateView(tx, id);
      if (before.status === 'ended') throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, 'Ended templates cannot be edited');
      const set: QueryDeepPartialEntity<CouponTemplateEntity> = { updatedAt: () => 'UTC_TIMESTAMP(3)' };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.totalStock !== undefined) set.totalStock = patch.totalStock;
      if (patch.perUserLimit !== undefined) set.perUserLimit = patch.perUserLimit;
      if (patch.endsAt !== undefined) set.endsAt = new Date(patch.endsAt);
      const update = tx.manager.createQueryBuilder().update(CouponTemplateEntity).set(set).where('id = :id', { id });
      // The guard, not the read above, is the truth: a claim may have issued one more meanwhile.
      if (patch.totalStock !== undefined) update.andWhere('issued <= :totalStock', { totalStock: patch.totalStock });
      const res = await update.execute();
      if (res.affected !== 1) throw new DomainError(ErrorCode.COUPON_STOCK_BELOW_ISSUED, 'Total stock cannot go below the number already issued', { issued: before.issued });
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
      if (!(await move(tx, templateLifecycle, id, before.status, to))) throw new DomainError(ErrorCode.CONFLICT, 'Template changed concurrently; retry');
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
          if (!(await this.deps.userExists(tx, userId))) throw new NotFoundError(ErrorCode.NOT_FOUND, 'No such user');
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
    const [rows, total] = await ctx.manager.findAndCount(CouponTemplateEntity, { order: { id: 'DESC' }, skip: (page - 1) * pageSize, take: pageSize });
    return { items: rows.map(templateViewOf), page, pageSize, total, serverTime: new Date().toISOString() };
  }

  async templateView(ctx: ServiceContext, id: number): Promise<CouponTemplateView> {
    const t = await this.template(ctx, id);
    if (!t) throw new NotFoundError(ErrorCode.COUPON_TEMPLATE_NOT_FOUND, 'Coupon template not found');
    return templateViewOf(t);
  }

  // ---------- shoppers ----------

  /** 领券中心: active centre templates, remaining stock, how many I hold and why I cannot claim. */
  async center(ctx: ServiceContext, userId: number | null): Promise<{ items: CouponCenterItem[]; serverTime: string }> {
    const rows = await ctx.manager
      .createQueryBuilder(CouponTemplateEntity, 't')
      .where(`t.channel = 'center' AND t.status = 'active' AND t.endsAt > UTC_TIMESTAMP(3)`)
      .orderBy('t.id', 'DESC')
      .limit(100)
      .getMany();
    const claims = userId && rows.length ? await ctx.manager.findBy(CouponUserClaimEntity, { userId, templateId: In(rows.map((r) => r.id)) }) : [];
    const mineOf = new Map(claims.map((c) => [c.templateId, c.claimed]));
    const isNew = userId ? !(await this.deps.hasPaidOrder(ctx, userId)) : true;
    return {
      items: rows.map((r) => {
        const v = templateViewOf(r);
        const mine = mineOf.get(r.id) ?? 0;
        const remaining = r.totalStock - r.issued;
        const blockedBy = remaining <= 0 ? 'SOLD_OUT' : mine >= r.perUserLimit ? 'LIMIT_REACHED' : r.audience === 'new_users' && !isNew ? 'NEW_USERS_ONLY' : null;
        return { id: v.id, name: v.name, label: v.label, kind: v.kind, threshold: v.threshold, validity: v.validity, perUserLimit: v.perUserLimit, audience: v.audience, endsAt: v.endsAt, scope: v.scope, scopeIds: v.scopeIds, remaining, claimedByMe: mine, blockedBy };
      }),
      serverTime: new Date().toISOString(),
    };
  }

  /** Claim from the coupon centre. */
  async claim(ctx: ServiceContext, templateId: number): Promise<UserCouponView> {
    const userId = userIdOf(ctx);
    // Concurrent claims of this process share one transaction (the batch makes the same checks).
    if (this.batch) return userCouponViewOf(await this.batch.claim({ ctx, userId, templateId }));
    const t = await this.template(ctx, templateId);
    if (!t || t.channel !== 'center') throw new NotFoundError(ErrorCode.COUPON_TEMPLATE_NOT_FOUND, 'Coupon template not found');
    if (t.status !== 'active' || t.endsAt.getTime() <= Date.now()) throw new DomainError(ErrorCode.COUPON_NOT_CLAIMABLE, 'This coupon cannot be claimed now');
    const key = this.stockKey(templateId);
    const passed = await this.takeStock(ctx, templateId);
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
    const templates = await tx.manager
      .createQueryBuilder(CouponTemplateEntity, 't')
      .where(`t.channel = 'registration_gift' AND t.status = 'active' AND t.endsAt > UTC_TIMESTAMP(3)`)
      .getMany();
    let n = 0;
    for (const t of templates) {
      try {
        await this.issue(tx, t, userId, 'registration_gift');
        n++;
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
      }
    }
    return n;
  }

  /**
   * Share coupon packs (the share module): issues one coupon of a `share_pack` template in the
   * caller's transaction, with the same guarded stock, per-user limit and audience as every issue.
   * No Redis gate here: a pack claim is already rate limited and serialised on its pack's rows.
   */
  async issueShareCoupon(tx: ServiceContext, templateId: number, userId: number, via: 'share_pack' | 'share_pack_bonus'): Promise<number> {
    const t = await this.template(tx, templateId);
    if (!t || t.channel !== 'share_pack') throw new NotFoundError(ErrorCode.COUPON_TEMPLATE_NOT_FOUND, 'Coupon template not found');
    return this.issue(tx, t, userId, via);
  }

  /** The `share_pack` templates among `ids` (a pack may only name those), by id. */
  async shareTemplates(ctx: ServiceContext, ids: number[]): Promise<Map<number, CouponTemplateView>> {
    if (!ids.length) return new Map();
    const rows = await ctx.manager.findBy(CouponTemplateEntity, { id: In(ids), channel: 'share_pack' });
    return new Map(rows.map((r) => [Number(r.id), templateViewOf(r)]));
  }

  async myCoupons(ctx: ServiceContext, q: MyCouponsQuery): Promise<Page<UserCouponView>> {
    const userId = userIdOf(ctx);
    // `available` includes coupons held by an unpaid order (shown as in use until it is paid or freed).
    const where =
      q.status === 'available'
        ? `uc.status IN ('available', 'locked') AND uc.validTo > UTC_TIMESTAMP(3)`
        : q.status === 'used'
          ? `uc.status = 'used'`
          : `(uc.status = 'expired' OR (uc.status = 'available' AND uc.validTo <= UTC_TIMESTAMP(3)))`;
    const [rows, total] = await this.withRule(ctx)
      .where('uc.userId = :userId', { userId })
      .andWhere(where)
      .orderBy('uc.validTo')
      .addOrderBy('uc.id')
      .limit(q.pageSize)
      .offset((q.page - 1) * q.pageSize)
      .getManyAndCount();
    return { items: rows.map(userCouponViewOf), page: q.page, pageSize: q.pageSize, total, serverTime: new Date().toISOString() };
  }

  // ---------- checkout ----------

  /** Every coupon I could use now, with its discount on `target` or why it does not apply. */
  async evaluate(ctx: ServiceContext, userId: number, target: CouponTarget) {
    const rows = await this.withRule(ctx)
      .where(`uc.userId = :userId AND uc.status = 'available' AND uc.validFrom <= UTC_TIMESTAMP(3) AND uc.validTo > UTC_TIMESTAMP(3)`, { userId })
      .orderBy('uc.validTo')
      .addOrderBy('uc.id')
      .limit(100)
      .getMany();
    const evaluated = rows.map((r) => {
      const v = couponDiscount(ruleOf(r.template), target);
      return { coupon: userCouponViewOf(r), applicable: v.applicable, discount: v.applicable ? v.discount : 0, reason: v.applicable ? null : v.reason };
    });
    // Best: the largest discount; among equals the one that expires first (rows are sorted so).
    const best = evaluated.filter((e) => e.applicable).reduce<(typeof evaluated)[number] | null>((a, b) => (a === null || b.discount > a.discount ? b : a), null);
    return { coupons: evaluated, best };
  }

  /**
   * Checks my coupon against the order about to be created and returns its discount. The coupon
   * row is locked (FOR UPDATE) until the order's transaction ends, so two checkouts racing for one
   * coupon are serialised and the second sees it taken. The template is read without a lock: the
   * rule a coupon applies never changes after it is created.
   */
  async discountFor(tx: ServiceContext, userId: number, couponId: number, target: CouponTarget): Promise<number> {
    const c = await tx.manager.findOne(UserCouponEntity, { where: { id: couponId }, lock: { mode: 'pessimistic_write' } });
    if (!c || c.userId !== userId) throw new NotFoundError(ErrorCode.COUPON_NOT_FOUND, 'Coupon not found');
    if (c.status !== 'available') throw new DomainError(ErrorCode.COUPON_NOT_AVAILABLE, 'This coupon is used or held by another order');
    if (c.validTo.getTime() <= Date.now()) throw new DomainError(ErrorCode.COUPON_EXPIRED, 'This coupon has expired');
    if (c.validFrom.getTime() > Date.now()) throw new DomainError(ErrorCode.COUPON_NOT_APPLICABLE, 'This coupon is not valid yet');
    const t = await tx.manager.findOneByOrFail(CouponTemplateEntity, { id: c.templateId });
    const v = couponDiscount(ruleOf(t), target);
    if (!v.applicable) throw new DomainError(ErrorCode.COUPON_NOT_APPLICABLE, v.reason, { reason: v.code });
    return v.discount;
  }

  /** available → locked, by the order just created in the same transaction. */
  async lock(tx: ServiceContext, couponId: number, orderId: number): Promise<void> {
    const locked = await move(tx, userCouponLifecycle, couponId, 'available', 'locked', { set: { lockedOrderId: orderId }, note: `order ${orderId}` });
    if (!locked) throw new DomainError(ErrorCode.COUPON_NOT_AVAILABLE, 'This coupon is used or held by another order');
  }

  /** locked → used when the order is paid; `coupon.used` is written with the move. */
  async markUsed(tx: ServiceContext, orderId: number): Promise<void> {
    const c = await tx.manager.findOneBy(UserCouponEntity, { lockedOrderId: orderId, status: 'locked' });
    if (!c) return;
    await move(tx, userCouponLifecycle, c.id, 'locked', 'used', {
      set: { usedOrderId: orderId, lockedOrderId: null, usedAt: () => 'UTC_TIMESTAMP(3)' },
      guard: 'locked_order_id = :orderId',
      params: { orderId },
      note: `order ${orderId}`,
      events: [{ type: 'coupon.used', aggregateType: 'coupon', aggregateId: c.id, payload: { couponId: c.id, templateId: c.templateId, userId: c.userId, orderId } }],
    });
  }

  /** locked → available (or expired, if its validity ran out meanwhile) when the order is cancelled. */
  async release(tx: ServiceContext, orderId: number): Promise<void> {
    const c = await tx.manager.findOneBy(UserCouponEntity, { lockedOrderId: orderId, status: 'locked' });
    if (!c) return;
    // The database clock decides whether it is still valid, as everywhere else; a coupon the first
    // guard refused for its validity is expired by the second (and one someone else moved by neither).
    const opts = { set: { lockedOrderId: null }, params: { orderId }, note: `order ${orderId}` };
    if (await move(tx, userCouponLifecycle, c.id, 'locked', 'available', { ...opts, guard: 'locked_order_id = :orderId AND valid_to > UTC_TIMESTAMP(3)' })) return;
    await move(tx, userCouponLifecycle, c.id, 'locked', 'expired', { ...opts, guard: 'locked_order_id = :orderId' });
  }

  /** used → available on a full refund, if configured and still valid. */
  async returnOnRefund(tx: ServiceContext, orderId: number): Promise<void> {
    if (!this.opts.returnOnRefund) return;
    for (const c of await tx.manager.findBy(UserCouponEntity, { usedOrderId: orderId, status: 'used' })) {
      await move(tx, userCouponLifecycle, c.id, 'used', 'available', {
        set: { usedOrderId: null, usedAt: null },
        guard: 'used_order_id = :orderId AND valid_to > UTC_TIMESTAMP(3)',
        params: { orderId },
        note: `refund of order ${orderId}`,
      });
    }
  }

  /**
   * Sweeper: coupons past validity become expired; templates past their end become ended. Each row
   * moves through `move` (transition table, guarded update, history), in short batches; a row that
   * someone else moved meanwhile (a checkout, an operator) is skipped by the guard.
   */
  async sweep(ctx: ServiceContext): Promise<{ coupons: number; templates: number }> {
    const dueCoupons = await ctx.manager
      .createQueryBuilder(UserCouponEntity, 'uc')
      .select('uc.id')
      .where(`uc.status = 'available' AND uc.validTo <= UTC_TIMESTAMP(3)`)
      .orderBy('uc.validTo')
      .limit(SWEEP_MAX)
      .getMany();
    let coupons = 0;
    for (let i = 0; i < dueCoupons.length; i += SWEEP_BATCH) {
      coupons += await withTransaction(this.dataSource, ctx, async (tx) => {
        let n = 0;
        for (const { id } of dueCoupons.slice(i, i + SWEEP_BATCH)) {
          if (await move(tx, userCouponLifecycle, id, 'available', 'expired', { guard: 'valid_to <= UTC_TIMESTAMP(3)', note: 'validity ended' })) n++;
        }
        return n;
      });
    }
    const dueTemplates = await ctx.manager
      .createQueryBuilder(CouponTemplateEntity, 't')
      .select(['t.id', 't.status'])
      .where(`t.status IN ('draft', 'active', 'paused') AND t.endsAt <= UTC_TIMESTAMP(3)`)
      .getMany();
    let templates = 0;
    for (const t of dueTemplates) {
      const ended = await withTransaction(this.dataSource, ctx, (tx) => move(tx, templateLifecycle, t.id, t.status, 'ended', { guard: 'ends_at <= UTC_TIMESTAMP(3)', note: 'ends_at passed' }));
      if (ended) templates++;
    }
    return { coupons, templates };
  }

  // ---------- internals ----------

  /** The one way a coupon comes into being. Guarded counts first, then the row and its event. */
  private async issue(tx: ServiceContext, t: CouponTemplateEntity, userId: number, source: IssueSource): Promise<number> {
    if (t.audience === 'new_users' && (await this.deps.hasPaidOrder(tx, userId))) throw new DomainError(ErrorCode.COUPON_NOT_CLAIMABLE, 'Only new users may claim this coupon', { reason: 'NEW_USERS_ONLY' });
    // ODKU takes the row's exclusive lock at once; INSERT IGNORE would take a shared lock that two
    // racing claims then both try to upgrade — a deadlock. Raw SQL because QueryBuilder's upsert
    // can only write `col = VALUES(col)`, which would reset the counter; this one changes nothing.
    await tx.manager.query<unknown>(`INSERT INTO coupon_user_claims (template_id, user_id, claimed) VALUES (?, ?, 0) ON DUPLICATE KEY UPDATE claimed = claimed`, [t.id, userId]);
    const claimWhere = 'template_id = :templateId AND user_id = :userId';
    const claimParams = { templateId: t.id, userId, limit: t.perUserLimit };
    const mine = await tx.manager
      .createQueryBuilder()
      .update(CouponUserClaimEntity)
      .set({ claimed: () => 'claimed + 1' })
      .where(`${claimWhere} AND claimed < :limit`, claimParams)
      .execute();
    if (mine.affected !== 1) throw new DomainError(ErrorCode.COUPON_LIMIT_REACHED, `At most ${t.perUserLimit} per person`);
    const stock = await tx.manager
      .createQueryBuilder()
      .update(CouponTemplateEntity)
      .set({ issued: () => 'issued + 1', updatedAt: () => 'UTC_TIMESTAMP(3)' })
      .where(`id = :id AND issued < total_stock AND status = 'active' AND ends_at > UTC_TIMESTAMP(3)`, { id: t.id })
      .execute();
    if (stock.affected !== 1) {
      // Give the per-person count back: registration gifts share the login transaction, which
      // carries on (and commits) after a gift that ran out.
      await tx.manager.createQueryBuilder().update(CouponUserClaimEntity).set({ claimed: () => 'claimed - 1' }).where(claimWhere, claimParams).execute();
      const fresh = await this.template(tx, t.id);
      throw fresh && fresh.issued >= fresh.totalStock ? new DomainError(ErrorCode.COUPON_SOLD_OUT, 'This coupon is all claimed') : new DomainError(ErrorCode.COUPON_NOT_CLAIMABLE, 'This coupon cannot be claimed now');
    }
    const now = new Date();
    const res = await tx.manager.insert(UserCouponEntity, {
      templateId: t.id,
      userId,
      status: 'available',
      source,
      validFrom: t.validityType === 'fixed' ? t.validFrom! : now,
      validTo: t.validityType === 'fixed' ? t.validTo! : new Date(now.getTime() + (t.validDays ?? 0) * 86400_000),
      claimedAt: now,
      updatedAt: now,
    });
    const id = generatedId(res);
    await recordCreated(tx, userCouponLifecycle, id, 'available', source);
    await emit(tx, { type: 'coupon.issued', aggregateType: 'coupon', aggregateId: id, payload: { couponId: id, templateId: t.id, userId, via: source } });
    return id;
  }

  /** A token of the template's Redis stock gate (rebuilt from MySQL when Redis lost it). */
  private takeStock(ctx: ServiceContext, templateId: number): Promise<boolean> {
    return this.gate.take(this.stockKey(templateId), async () => {
      const fresh = await this.template(ctx, templateId);
      return { left: fresh ? fresh.totalStock - fresh.issued : 0, ttlSec: fresh ? (fresh.endsAt.getTime() - Date.now()) / 1000 + 3600 : 60 };
    });
  }

  private stockKey(templateId: number): string {
    return `${this.opts.redisPrefix}{ct:${templateId}}:stock`;
  }

  /** User coupons (`uc`) with their template (`t`) joined in. */
  private withRule(ctx: ServiceContext): SelectQueryBuilder<CouponWithRule> {
    return ctx.manager.createQueryBuilder(UserCouponEntity, 'uc').innerJoinAndSelect('uc.template', 't') as SelectQueryBuilder<CouponWithRule>;
  }

  private async userCouponView(ctx: ServiceContext, id: number): Promise<UserCouponView> {
    return userCouponViewOf(await this.withRule(ctx).where('uc.id = :id', { id }).getOneOrFail());
  }

  private template(ctx: ServiceContext, id: number): Promise<CouponTemplateEntity | null> {
    return ctx.manager.findOneBy(CouponTemplateEntity, { id });
  }
}

function templateViewOf(t: CouponTemplateEntity): CouponTemplateView {
  return {
    id: t.id, name: t.name, label: couponLabel(ruleOf(t)), kind: t.kind, amountOff: t.amountOff, threshold: t.threshold, percentOff: t.percentOff,
    maxDiscount: t.maxDiscount, scope: t.scope, scopeIds: t.scopeIds,
    validity: t.validityType === 'fixed' ? { type: 'fixed', from: t.validFrom!.toISOString(), to: t.validTo!.toISOString() } : { type: 'relative', days: t.validDays ?? 0 },
    totalStock: t.totalStock, issued: t.issued, perUserLimit: t.perUserLimit, audience: t.audience, channel: t.channel, status: t.status, endsAt: t.endsAt.toISOString(),
  };
}

function userCouponViewOf(c: CouponWithRule): UserCouponView {
  const t = c.template;
  return {
    id: c.id, templateId: c.templateId, name: t.name, label: couponLabel(ruleOf(t)), kind: t.kind, amountOff: t.amountOff, threshold: t.threshold,
    percentOff: t.percentOff, maxDiscount: t.maxDiscount, scope: t.scope, scopeIds: t.scopeIds,
    // A coupon past its validity that the sweeper has not reached yet is already expired to the shopper.
    status: c.status === 'available' && c.validTo.getTime() <= Date.now() ? 'expired' : c.status,
    validFrom: c.validFrom.toISOString(), validTo: c.validTo.toISOString(), orderId: c.usedOrderId ?? c.lockedOrderId, claimedAt: c.claimedAt.toISOString(),
  };
}
