import { inList, selectRows } from '../../core/sql';
import { affectedRows } from '../../core/transaction';
import { In, type DataSource } from 'typeorm';
import { ErrorCode, type CampaignStatus, type FulfilmentMode, type CampaignView, type CreateCampaignRequest, type CampaignListQuery, type Page, type PageQuery } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { move, recordCreated } from '../../core/lifecycle';
import { withTransaction } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import { recordAudit } from '../admin';
import type { CatalogService } from '../catalog';
import { CampaignEntity, CampaignUsageEntity } from './groupbuy.entity';
import { campaignLifecycle } from './groupbuy.state';

/**
 * Campaigns (拼团活动): operators create and move them; their stock allotment and the per-user
 * limits are counters only ever changed by guarded updates whose affected rows are checked.
 */
export class CampaignService {
  /** The product's fulfilment modes of a campaign row `visibleMany` read (the row object is the key: it lives as long as its batch). */
  private readonly productModes = new WeakMap<CampaignEntity, FulfilmentMode[]>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly catalog: CatalogService,
  ) {}

  async create(ctx: ServiceContext, input: CreateCampaignRequest): Promise<CampaignView> {
    const sku = await this.catalog.getSku(ctx, input.skuId);
    if (!sku) throw new NotFoundError(ErrorCode.SKU_NOT_FOUND, 'SKU not found');
    if (input.groupPrice > sku.sku.listPrice) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'groupPrice must not exceed the list price', { listPrice: sku.sku.listPrice });
    if (sku.productStatus === 'archived') throw new DomainError(ErrorCode.PRODUCT_ARCHIVED, 'Product is archived');
    const openerPrice = input.openerMode === 'opener_price' ? input.openerPrice! : input.groupPrice;
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const now = new Date();
      const res = await tx.manager.insert(CampaignEntity, {
        title: input.title ?? sku.productTitle, productId: sku.productId, skuId: input.skuId, specLabel: sku.sku.specLabel, image: sku.image,
        listPrice: sku.sku.listPrice, groupPrice: input.groupPrice, openerMode: input.openerMode, openerPrice, groupSize: input.groupSize,
        groupDurationSec: input.groupDurationSec, paymentTimeoutSec: input.paymentTimeoutSec, startsAt: new Date(input.startsAt), endsAt: new Date(input.endsAt),
        stockTotal: input.stock, stockLeft: input.stock, limitPerOrder: input.limits.perOrder, limitOpenGroups: input.limits.openGroupsPerUser,
        limitUnitsPerUser: input.limits.unitsPerUser, newUsersOnly: input.newUsersOnly, virtualEnabled: input.virtualCompletion.enabled,
        virtualMinReal: input.virtualCompletion.minRealMembers, allowSolo: input.allowSolo, status: input.status, createdAt: now, updatedAt: now,
      });
      const id = Number(res.identifiers[0].id);
      await recordCreated(tx, campaignLifecycle, id, input.status);
      // The campaign's stock is carved out of the SKU's stock with the same guarded decrement orders use.
      await this.catalog.decrementStock(tx, input.skuId, input.stock, { type: 'campaign', id, reason: 'allotted to campaign' });
      const view = await this.view(tx, id);
      await recordAudit(tx, { action: 'campaign.create', entityType: 'campaign', entityId: id, after: view });
      return view;
    });
  }

  async view(ctx: ServiceContext, id: number): Promise<CampaignView> {
    const c = await this.get(ctx, id);
    if (!c) throw new NotFoundError(ErrorCode.CAMPAIGN_NOT_FOUND, 'Campaign not found');
    return { ...campaignViewOf(c), serverTime: new Date().toISOString() };
  }

  /**
   * A campaign as shoppers (and anonymous callers) may see it: never a draft, never one whose
   * product is not on sale — those answer 404 exactly like a missing id, so sequential ids reveal
   * nothing about unreleased campaigns. Ended campaigns stay visible (old share links explain themselves).
   */
  async shopperView(ctx: ServiceContext, id: number): Promise<CampaignView> {
    const c = await this.getVisible(ctx, id);
    return { ...campaignViewOf(c), serverTime: new Date().toISOString() };
  }

  /** The campaign if shoppers may see it (see `shopperView`), else 404 CAMPAIGN_NOT_FOUND. */
  async getVisible(ctx: ServiceContext, id: number): Promise<CampaignEntity> {
    const c = await this.get(ctx, id);
    if (!c || c.status === 'draft' || !(await this.catalog.onSaleProductIds(ctx, [c.productId])).has(c.productId)) {
      throw new NotFoundError(ErrorCode.CAMPAIGN_NOT_FOUND, 'Campaign not found');
    }
    return c;
  }

  /**
   * `getVisible` of many campaigns in two statements (the batches); invisible ones are absent. The
   * product read also brings its fulfilment modes, kept with each campaign read here, so the batch's
   * `fulfilmentModes` costs no third statement (same transaction, same answer).
   */
  async visibleMany(ctx: ServiceContext, ids: number[]): Promise<Map<number, CampaignEntity>> {
    if (!ids.length) return new Map();
    const rows = await selectRows(ctx, CampaignEntity, `id IN ${inList(ids.length)}`, ids);
    const onSale = await this.catalog.onSaleModes(ctx, rows.map((r) => r.productId));
    const visible = rows.filter((c) => c.status !== 'draft' && onSale.has(c.productId));
    for (const c of visible) this.productModes.set(c, onSale.get(c.productId)!);
    return new Map(visible.map((c) => [Number(c.id), c]));
  }

  /** Operators: every campaign, newest first, optionally by status. */
  async list(ctx: ServiceContext, q: PageQuery & { status?: CampaignStatus }): Promise<Page<CampaignView>> {
    const [rows, total] = await ctx.manager.findAndCount(CampaignEntity, { where: q.status ? { status: q.status } : {}, order: { id: 'DESC' }, take: q.pageSize, skip: (q.page - 1) * q.pageSize });
    const serverTime = new Date().toISOString();
    return { items: rows.map((r) => ({ ...campaignViewOf(r), serverTime })), page: q.page, pageSize: q.pageSize, total, serverTime };
  }

  /** Active campaigns whose window is open now. */
  async listActive(ctx: ServiceContext, q: CampaignListQuery): Promise<Page<CampaignView>> {
    const qb = ctx.manager
      .createQueryBuilder(CampaignEntity, 'c')
      .where(`c.status = 'active' AND c.starts_at <= UTC_TIMESTAMP(3) AND c.ends_at > UTC_TIMESTAMP(3)`);
    if (q.productId !== undefined) qb.andWhere('c.product_id = :productId', { productId: q.productId });
    const [rows, total] = await qb
      .orderBy('c.id', 'DESC')
      .take(q.pageSize)
      .skip((q.page - 1) * q.pageSize)
      .getManyAndCount();
    // A campaign whose product was taken off sale is hidden; filtered here (the catalog owns products),
    // so such a page can hold fewer items than pageSize while `total` still counts it.
    const onSale = await this.catalog.onSaleProductIds(ctx, rows.map((r) => r.productId));
    const serverTime = new Date().toISOString();
    return { items: rows.filter((r) => onSale.has(r.productId)).map((r) => ({ ...campaignViewOf(r), serverTime })), page: q.page, pageSize: q.pageSize, total, serverTime };
  }

  /**
   * Activate a draft or end a campaign: a guarded status move, audited. An ended campaign takes no
   * new orders; groups already open still run to their deadline, and their unsold stock stays counted.
   */
  async setStatus(ctx: ServiceContext, id: number, to: CampaignStatus): Promise<CampaignView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const before = await this.view(tx, id);
      if (!(await move(tx, campaignLifecycle, id, before.status, to))) throw new DomainError(ErrorCode.CONFLICT, 'Campaign changed concurrently; retry');
      await recordAudit(tx, { action: `campaign.${to}`, entityType: 'campaign', entityId: id, before: { status: before.status }, after: { status: to } });
      return this.view(tx, id);
    });
  }

  async get(ctx: ServiceContext, id: number): Promise<CampaignEntity | null> {
    return ctx.manager.findOne(CampaignEntity, { where: { id } });
  }

  /** The fulfilment modes an order of this campaign may use: those both the campaign and its product allow. */
  async fulfilmentModes(ctx: ServiceContext, c: CampaignEntity): Promise<FulfilmentMode[]> {
    const product = this.productModes.get(c) ?? (await this.catalog.fulfilmentModesOf(ctx, c.productId));
    return c.fulfilmentModes.filter((m) => product.includes(m));
  }

  /** The campaign if it takes orders now: visible to shoppers (product on sale), active and inside its window. */
  async getActive(ctx: ServiceContext, id: number): Promise<CampaignEntity> {
    const c = await this.getVisible(ctx, id);
    const refused = notRunning(c);
    if (refused) throw refused;
    return c;
  }

  /** Per-user limits as guarded counters on one row per (campaign, user): never read-then-insert. */
  async takeUsage(tx: ServiceContext, c: CampaignEntity, userId: number, units: number, openGroups: number): Promise<void> {
    // Exclusive lock at once: INSERT IGNORE + UPDATE would take a shared lock first, and concurrent
    // requests of one user deadlock upgrading it. ODKU has no QueryBuilder form that keeps the row as is.
    await tx.manager.query(`INSERT INTO campaign_user_usage (campaign_id, user_id, units, open_groups) VALUES (?, ?, 0, 0) ON DUPLICATE KEY UPDATE units = units`, [c.id, userId]);
    const res = await tx.manager
      .createQueryBuilder()
      .update(CampaignUsageEntity)
      .set({ units: () => `units + ${Number(units)}`, openGroups: () => `open_groups + ${Number(openGroups)}` })
      .where('campaign_id = :c AND user_id = :u AND units + :units <= :maxUnits AND open_groups + :og <= :maxOg', { c: c.id, u: userId, units, maxUnits: c.limitUnitsPerUser, og: openGroups, maxOg: c.limitOpenGroups })
      .execute();
    if (res.affected !== 1) throw openGroups ? overLaunchLimits(c) : overUnitsPerUser(c);
  }

  /**
   * Gives back what an order held of the limits. A cancelled order gives back exactly what it took;
   * a refund clamps at zero, because a succeeded group already freed its opener's open-group slot.
   */
  async giveUsage(tx: ServiceContext, campaignId: number, userId: number, units: number, openGroups: number, clamp: boolean): Promise<void> {
    const expr = (col: string, n: number) => (clamp ? `GREATEST(${col} - ${Number(n)}, 0)` : `${col} - ${Number(n)}`);
    await tx.manager
      .createQueryBuilder()
      .update(CampaignUsageEntity)
      .set({ units: () => expr('units', units), openGroups: () => expr('open_groups', openGroups) })
      .where('campaign_id = :c AND user_id = :u', { c: campaignId, u: userId })
      .execute();
  }

  /** The campaign row is every order's hot spot: callers take it last, so its lock is held only until commit. */
  async takeStock(tx: ServiceContext, c: Pick<CampaignEntity, 'id'>, quantity: number): Promise<void> {
    // Every order's hot row: plain SQL (no query builder on the hottest statement).
    const res: unknown = await tx.manager.query('UPDATE campaigns SET stock_left = stock_left - ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND stock_left >= ?', [quantity, c.id, quantity]);
    if (affectedRows(res) !== 1) throw new DomainError(ErrorCode.CAMPAIGN_SOLD_OUT, 'This campaign is sold out');
  }

  async giveStock(tx: ServiceContext, campaignId: number, quantity: number): Promise<void> {
    await tx.manager
      .createQueryBuilder()
      .update(CampaignEntity)
      .set({ stockLeft: () => `stock_left + ${Number(quantity)}` })
      .where('id = :id', { id: campaignId })
      .execute();
  }
}

export function campaignViewOf(c: CampaignEntity): Omit<CampaignView, 'serverTime'> {
  return {
    id: c.id, title: c.title, productId: c.productId, skuId: c.skuId, specLabel: c.specLabel, image: c.image,
    listPrice: c.listPrice, groupPrice: c.groupPrice, openerPrice: c.openerPrice, openerMode: c.openerMode,
    groupSize: c.groupSize, groupDurationSec: c.groupDurationSec, paymentTimeoutSec: c.paymentTimeoutSec,
    startsAt: c.startsAt.toISOString(), endsAt: c.endsAt.toISOString(), stockTotal: c.stockTotal, stockLeft: c.stockLeft,
    limits: { perOrder: c.limitPerOrder, openGroupsPerUser: c.limitOpenGroups, unitsPerUser: c.limitUnitsPerUser },
    newUsersOnly: c.newUsersOnly, virtualCompletion: { enabled: c.virtualEnabled, minRealMembers: c.virtualMinReal },
    allowSolo: c.allowSolo, status: c.status,
  };
}

/** 422 FULFILMENT_MODE_NOT_ALLOWED: the order asked for a mode its campaign and product do not both offer. */
export function fulfilmentModeNotAllowed(mode: string, allowed: string[]): DomainError {
  return new DomainError(ErrorCode.FULFILMENT_MODE_NOT_ALLOWED, `This order cannot use ${mode}`, { mode, allowed });
}

/** Why a visible campaign takes no new orders now (not active, or outside its window), or null. */
export function notRunning(c: Pick<CampaignEntity, 'status' | 'startsAt' | 'endsAt'>, now = Date.now()): DomainError | null {
  return c.status !== 'active' || c.startsAt.getTime() > now || c.endsAt.getTime() <= now ? new DomainError(ErrorCode.CAMPAIGN_NOT_ACTIVE, 'This campaign is not running') : null;
}

/** The per-order limit's refusal, or null (every order path: one by one and batched). */
export function overPerOrder(c: Pick<CampaignEntity, 'limitPerOrder'>, quantity: number): DomainError | null {
  return quantity > c.limitPerOrder ? new DomainError(ErrorCode.LIMIT_EXCEEDED, `At most ${c.limitPerOrder} per order`, { limit: 'perOrder', max: c.limitPerOrder }) : null;
}

/** The per-user units limit's refusal (batched paths; the one-request path's guarded UPDATE says the same). */
export function overUnitsPerUser(c: Pick<CampaignEntity, 'limitUnitsPerUser'>): DomainError {
  return new DomainError(ErrorCode.LIMIT_EXCEEDED, `At most ${c.limitUnitsPerUser} unit(s) per user in this campaign`, { limit: 'unitsPerUser' });
}

/** A 开团's refusal by the per-user limits (open groups or units); `GroupService.alreadyOpen` may name the group instead. */
export function overLaunchLimits(c: Pick<CampaignEntity, 'limitOpenGroups' | 'limitUnitsPerUser'>): DomainError {
  return new DomainError(ErrorCode.LIMIT_EXCEEDED, `You may have at most ${c.limitOpenGroups} open group(s) and ${c.limitUnitsPerUser} unit(s) in this campaign`, { limit: 'openGroupsPerUser|unitsPerUser' });
}

/** The refusal of 单独购买 on a campaign that only sells in groups, or null. */
export function soloRefused(c: Pick<CampaignEntity, 'allowSolo'>): DomainError | null {
  return c.allowSolo ? null : new DomainError(ErrorCode.SOLO_NOT_ALLOWED, 'This campaign cannot be bought alone');
}
