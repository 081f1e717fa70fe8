import type { DataSource } from 'typeorm';
import { ErrorCode, type OrderAttribution } from '@tuan/shared';
import { GatedBatch, addToCounters, type BatchSlot, type GroupCommitOptions } from '../../core/batcher';
import type { ServiceContext } from '../../core/context';
import { DomainError, NotFoundError } from '../../http/errors';
import type { CreatedOrder, NewOrder, OrderService, PreparedOrder } from '../order';
import { fulfilmentModeNotAllowed, notRunning, overLaunchLimits, overPerOrder, overUnitsPerUser, type CampaignService } from './groupbuy.campaigns';
import type { OrderChoices } from './groupbuy.checkout';
import type { CampaignEntity } from './groupbuy.entity';

/** One order straight from a campaign (单独购买 or 开团) waiting for its batch. */
export interface CampaignOrderRequest {
  ctx: ServiceContext;
  userId: number;
  campaignId: number;
  quantity: number;
  choices: OrderChoices;
}

export interface CampaignOrderBatchDeps {
  dataSource: DataSource;
  campaigns: CampaignService;
  orders: OrderService;
  attributionsOf: (ctx: ServiceContext, buyers: Array<{ userId: number; shareToken?: string }>) => Promise<Array<OrderAttribution | null>>;
  /** The one-request transaction (CheckoutService), for a batch that failed as a whole. */
  alone: (ctx: ServiceContext, campaignId: number, userId: number, quantity: number, choices: OrderChoices) => Promise<CreatedOrder>;
}

export interface CampaignOrderSlot extends BatchSlot<CampaignOrderRequest, CreatedOrder> {
  campaign?: CampaignEntity;
  prepared?: PreparedOrder;
  /** Refused by the per-user limits (a launch may explain it once the batch's groups exist). */
  overLimits?: boolean;
}

/**
 * Orders straight from a campaign by group commit — `SoloBatch` (单独购买) and `LaunchBatch` (开团)
 * differ only in price, one refusal, whether the order opens a group, and what is written besides the
 * order. Concurrent requests of one process share ONE transaction: the campaigns read once, the
 * per-user counters (units, and open groups for a launch) locked by one sorted multi-row ODKU, every
 * request decided in arrival order against what the locks hold (the one-request path's checks:
 * visible, running, its own refusal, per order, fulfilment mode, the order module's `prepare`,
 * per-user limits, stock), then the admitted ones written with one statement per table where ids
 * allow, and one guarded stock UPDATE per campaign, last. There is no Redis gate: the one-request
 * paths have none either (the guarded stock UPDATE is the truth). A 201 is durable; a batch that fails
 * as a whole is decided again request by request on the one-request path.
 */
export abstract class CampaignOrderBatch extends GatedBatch<CampaignOrderRequest, CreatedOrder, CampaignOrderSlot> {
  constructor(
    protected readonly deps: CampaignOrderBatchDeps,
    what: string,
    private readonly kind: 'solo' | 'group_open',
    opts: GroupCommitOptions,
  ) {
    super(deps.dataSource, what, opts);
  }

  /** The unit price of this kind of order. */
  protected abstract unitPrice(c: CampaignEntity): number;
  /** This kind's own refusal besides running and the per-order limit (e.g. 单独购买 not allowed), or null. */
  protected abstract refused(c: CampaignEntity): DomainError | null;
  /** Writes the admitted orders (and what goes with them) and sets each slot's `out`; the stock is taken after. */
  protected abstract create(tx: ServiceContext, admitted: CampaignOrderSlot[], now: Date): Promise<void>;
  /** After the writes, in the same transaction (a launch explains its limit refusals here). */
  protected async afterWrites(_tx: ServiceContext, _slots: CampaignOrderSlot[]): Promise<void> {}

  protected alone(s: CampaignOrderSlot): Promise<CreatedOrder> {
    return this.deps.alone(s.req.ctx, s.req.campaignId, s.req.userId, s.req.quantity, s.req.choices);
  }

  protected async decideAndWrite(tx: ServiceContext, slots: CampaignOrderSlot[]): Promise<void> {
    const { campaigns, orders } = this.deps;
    const opensGroup = this.kind === 'group_open';
    for (const s of slots) {
      s.prepared = undefined;
      s.overLimits = false;
    }
    const pending = () => slots.filter((s) => !s.error);

    // The one-request path's checks, in its order: visible, running, its own refusal, per order, fulfilment mode.
    const visible = await campaigns.visibleMany(tx, [...new Set(slots.map((s) => s.req.campaignId))]);
    for (const s of slots) {
      const c = visible.get(s.req.campaignId);
      s.campaign = c;
      if (!c) s.error = new NotFoundError(ErrorCode.CAMPAIGN_NOT_FOUND, 'Campaign not found');
      else s.error = notRunning(c) ?? this.refused(c) ?? overPerOrder(c, s.req.quantity) ?? undefined;
    }
    await checkFulfilmentModes(tx, campaigns, pending());
    let cand = pending();
    if (!cand.length) return;
    const attributions = await this.deps.attributionsOf(tx, cand.map((s) => ({ userId: s.req.userId, shareToken: s.req.choices.shareToken })));
    const now = new Date();
    const drafts: NewOrder[] = cand.map((s, i) => {
      const c = s.campaign!;
      return {
        // A launch's groupId is set once its group exists (in `create`); nothing in `prepare` reads it.
        userId: s.req.userId, kind: this.kind, campaignId: c.id, groupId: null, productId: c.productId, skuId: c.skuId, title: c.title,
        specLabel: c.specLabel, image: c.image, unitPrice: this.unitPrice(c), quantity: s.req.quantity, discountAmount: 0, couponId: null,
        addressId: s.req.choices.addressId, attribution: attributions[i] ?? null,
        pickup: s.req.choices.fulfilment?.mode === 'pickup' ? { pointId: s.req.choices.fulfilment.pointId } : undefined,
        payDeadlineAt: new Date(Math.min(now.getTime() + c.paymentTimeoutSec * 1000, c.endsAt.getTime())),
      };
    });
    await prepareOrders(tx, orders, cand, drafts);

    cand = pending();
    if (!cand.length) return;
    const items = (list: CampaignOrderSlot[]) => list.map((s) => ({ campaignId: Number(s.campaign!.id), userId: s.req.userId, quantity: s.req.quantity }));
    const usage = await lockUsage(tx, items(cand));
    const stockLeft = new Map([...visible.values()].map((c) => [Number(c.id), c.stockLeft]));
    for (const s of cand) {
      const c = s.campaign!;
      const held = usage.get(`${c.id}:${s.req.userId}`)!;
      if (held.units + s.req.quantity > c.limitUnitsPerUser || (opensGroup && held.openGroups + 1 > c.limitOpenGroups)) {
        s.error = opensGroup ? overLaunchLimits(c) : overUnitsPerUser(c);
        s.overLimits = true;
      } else if ((stockLeft.get(Number(c.id)) ?? 0) < s.req.quantity) s.error = new DomainError(ErrorCode.CAMPAIGN_SOLD_OUT, 'This campaign is sold out');
      else {
        held.units += s.req.quantity;
        if (opensGroup) held.openGroups += 1;
        stockLeft.set(Number(c.id), (stockLeft.get(Number(c.id)) ?? 0) - s.req.quantity);
      }
    }

    const admitted = pending();
    if (admitted.length) {
      await addUsage(tx, items(admitted), opensGroup);
      await this.create(tx, admitted, now);
      // Stock the unlocked read showed but that went meanwhile fails the batch (then each runs alone).
      await takeStockOf(tx, campaigns, items(admitted));
    }
    await this.afterWrites(tx, slots);
  }
}

// ---------- batch steps shared by the order batches (JoinBatch too) ----------

/** A buyer's units of a campaign, as the batched writes count them against the per-user limit. */
export interface UsageItem {
  campaignId: number;
  userId: number;
  quantity: number;
}

/**
 * Per-user counters of a batch: the rows exist and are exclusively locked after one multi-row
 * `INSERT … ON DUPLICATE KEY UPDATE` (sorted by key, so two batches never wait on each other in a
 * cycle), then read. ODKU has no QueryBuilder form. Returns what each `campaignId:userId` holds:
 * units, and groups open (开团 counts those against the open-group limit).
 */
export async function lockUsage(tx: ServiceContext, items: UsageItem[]): Promise<Map<string, { units: number; openGroups: number }>> {
  const keys = [...new Map(items.map((i) => [`${i.campaignId}:${i.userId}`, [i.campaignId, i.userId] as const])).values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  await tx.manager.query(
    `INSERT INTO campaign_user_usage (campaign_id, user_id, units, open_groups) VALUES ${keys.map(() => '(?, ?, 0, 0)').join(', ')} ON DUPLICATE KEY UPDATE units = units`,
    keys.flat(),
  );
  const rows: Array<{ campaign_id: string | number; user_id: string | number; units: number; open_groups: number }> = await tx.manager.query(
    `SELECT campaign_id, user_id, units, open_groups FROM campaign_user_usage WHERE (campaign_id, user_id) IN (${keys.map(() => '(?, ?)').join(', ')})`,
    keys.flat(),
  );
  return new Map(rows.map((r) => [`${Number(r.campaign_id)}:${Number(r.user_id)}`, { units: Number(r.units), openGroups: Number(r.open_groups) }]));
}

/** One UPDATE adds every admitted request's units (and, with `openGroups`, the group each opened) to its locked counter row; checked. */
export async function addUsage(tx: ServiceContext, admitted: UsageItem[], openGroups = false): Promise<void> {
  const keys = ['campaign_id', 'user_id'] as const;
  if (!openGroups) return addToCounters(tx, 'campaign_user_usage', { keys, counters: ['units'] }, admitted.map((i) => [i.campaignId, i.userId, i.quantity]));
  return addToCounters(tx, 'campaign_user_usage', { keys, counters: ['units', 'open_groups'] }, admitted.map((i) => [i.campaignId, i.userId, i.quantity, 1]));
}

/** The campaigns' stock, last (every order's hot row): one guarded UPDATE per campaign, in id order. */
export async function takeStockOf(tx: ServiceContext, campaigns: Pick<CampaignService, 'takeStock'>, admitted: Array<{ campaignId: number; quantity: number }>): Promise<void> {
  const perCampaign = new Map<number, number>();
  for (const a of admitted) perCampaign.set(a.campaignId, (perCampaign.get(a.campaignId) ?? 0) + a.quantity);
  for (const [id, qty] of [...perCampaign].sort((a, b) => a[0] - b[0])) await campaigns.takeStock(tx, { id }, qty);
}

/** A slot of a batched order (join, buy-alone, launch) once its campaign is read. */
interface OrderSlot {
  req: { choices: OrderChoices };
  campaign?: CampaignEntity;
  prepared?: PreparedOrder;
  error?: unknown;
}

/** Fulfilment: a mode both the campaign and its product offer (one read per campaign of the batch). */
export async function checkFulfilmentModes(tx: ServiceContext, campaigns: Pick<CampaignService, 'fulfilmentModes'>, slots: OrderSlot[]): Promise<void> {
  const modesOf = new Map<number, string[]>();
  for (const s of slots) {
    const c = s.campaign!;
    let modes = modesOf.get(Number(c.id));
    if (!modes) modesOf.set(Number(c.id), (modes = await campaigns.fulfilmentModes(tx, c)));
    const mode = s.req.choices.fulfilment?.mode ?? 'delivery';
    if (!modes.includes(mode)) s.error = fulfilmentModeNotAllowed(mode, modes);
  }
}

/** The order module's checks of every draft (address, pickup point, payable amount): each slot gets its prepared order or its own error. */
export async function prepareOrders(tx: ServiceContext, orders: Pick<OrderService, 'prepare'>, slots: OrderSlot[], drafts: NewOrder[]): Promise<void> {
  const prepared = await orders.prepare(tx, drafts);
  slots.forEach((s, i) => {
    const p = prepared[i]!;
    if (p instanceof Error) s.error = p;
    else s.prepared = p;
  });
}
