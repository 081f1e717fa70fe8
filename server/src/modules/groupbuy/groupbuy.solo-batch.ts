import type { DataSource } from 'typeorm';
import { ErrorCode, type OrderAttribution, type OrderView } from '@tuan/shared';
import { GatedBatch, type BatchSlot } from '../../core/batcher';
import type { ServiceContext } from '../../core/context';
import { DomainError, NotFoundError } from '../../http/errors';
import type { CreatedOrder, NewOrder, OrderService, PreparedOrder } from '../order';
import { notRunning, overPerOrder, soloRefused, type CampaignService } from './groupbuy.campaigns';
import type { OrderChoices } from './groupbuy.checkout';
import type { CampaignEntity } from './groupbuy.entity';
import { addUsage, checkFulfilmentModes, lockUsage, prepareOrders, takeStockOf, type JoinBatchOptions } from './groupbuy.join-batch';

/** One 单独购买 waiting for its batch. */
export interface SoloRequest {
  ctx: ServiceContext;
  userId: number;
  campaignId: number;
  quantity: number;
  choices: OrderChoices;
}

export interface SoloBatchDeps {
  dataSource: DataSource;
  campaigns: CampaignService;
  orders: OrderService;
  attributionsOf: (ctx: ServiceContext, buyers: Array<{ userId: number; shareToken?: string }>) => Promise<Array<OrderAttribution | null>>;
  /** The one-request buy-alone transaction (CheckoutService), for a batch that failed as a whole. */
  soloAlone: (ctx: ServiceContext, campaignId: number, userId: number, quantity: number, choices: OrderChoices) => Promise<CreatedOrder>;
}

interface Slot extends BatchSlot<SoloRequest, CreatedOrder> {
  campaign?: CampaignEntity;
  prepared?: PreparedOrder;
}

/**
 * 单独购买 by group commit, the shape of `JoinBatch` without groups: concurrent buys of one process
 * share ONE transaction — the campaigns read once, the per-user counters locked by one sorted
 * multi-row ODKU, every request decided in arrival order against what the locks hold (active
 * window, 单独购买 allowed, per-order and per-user limits, fulfilment mode, address, stock), then one
 * multi-row INSERT per table and one guarded stock UPDATE per campaign, last. There is no Redis gate:
 * the one-request path has none either (the guarded stock UPDATE is the truth). A 201 is durable; a
 * batch that fails as a whole is decided again request by request on the one-request path.
 */
export class SoloBatch extends GatedBatch<SoloRequest, CreatedOrder, Slot> {
  constructor(
    private readonly deps: SoloBatchDeps,
    opts: JoinBatchOptions,
  ) {
    super(deps.dataSource, 'solo', opts);
  }

  async buy(req: SoloRequest): Promise<OrderView> {
    return this.deps.orders.newOrderView(await this.submit(req), null);
  }

  protected async precheck(): Promise<void> {}

  protected async take(): Promise<boolean> {
    return true;
  }

  protected async give(): Promise<void> {}

  /** Never asked: `take` admits every request (there is no gate to refuse at). */
  protected refusal(): unknown {
    return new DomainError(ErrorCode.CAMPAIGN_SOLD_OUT, 'This campaign is sold out');
  }

  protected alone(s: Slot): Promise<CreatedOrder> {
    return this.deps.soloAlone(s.req.ctx, s.req.campaignId, s.req.userId, s.req.quantity, s.req.choices);
  }

  protected async decideAndWrite(tx: ServiceContext, slots: Slot[]): Promise<void> {
    const { campaigns, orders } = this.deps;
    for (const s of slots) s.prepared = undefined;
    const pending = () => slots.filter((s) => !s.error);

    // The one-request path's checks, in its order: visible, running, solo allowed, per order.
    const visible = await campaigns.visibleMany(tx, [...new Set(slots.map((s) => s.req.campaignId))]);
    for (const s of slots) {
      const c = visible.get(s.req.campaignId);
      s.campaign = c;
      if (!c) s.error = new NotFoundError(ErrorCode.CAMPAIGN_NOT_FOUND, 'Campaign not found');
      else s.error = notRunning(c) ?? soloRefused(c) ?? overPerOrder(c, s.req.quantity) ?? undefined;
    }
    await checkFulfilmentModes(tx, campaigns, pending());
    let cand = pending();
    if (!cand.length) return;
    const attributions = await this.deps.attributionsOf(tx, cand.map((s) => ({ userId: s.req.userId, shareToken: s.req.choices.shareToken })));
    const drafts: NewOrder[] = cand.map((s, i) => {
      const c = s.campaign!;
      return {
        userId: s.req.userId, kind: 'solo', campaignId: c.id, groupId: null, productId: c.productId, skuId: c.skuId, title: c.title,
        specLabel: c.specLabel, image: c.image, unitPrice: c.listPrice, quantity: s.req.quantity, discountAmount: 0, couponId: null,
        addressId: s.req.choices.addressId, attribution: attributions[i] ?? null,
        pickup: s.req.choices.fulfilment?.mode === 'pickup' ? { pointId: s.req.choices.fulfilment.pointId } : undefined,
        payDeadlineAt: new Date(Math.min(Date.now() + c.paymentTimeoutSec * 1000, c.endsAt.getTime())),
      };
    });
    await prepareOrders(tx, orders, cand, drafts);

    cand = pending();
    if (!cand.length) return;
    const items = (list: Slot[]) => list.map((s) => ({ campaignId: Number(s.campaign!.id), userId: s.req.userId, quantity: s.req.quantity }));
    const usage = await lockUsage(tx, items(cand));
    const stockLeft = new Map([...visible.values()].map((c) => [Number(c.id), c.stockLeft]));
    for (const s of cand) {
      const c = s.campaign!;
      const key = `${c.id}:${s.req.userId}`;
      const u = usage.get(key)!;
      if (u + s.req.quantity > c.limitUnitsPerUser) s.error = new DomainError(ErrorCode.LIMIT_EXCEEDED, `At most ${c.limitUnitsPerUser} unit(s) per user in this campaign`, { limit: 'unitsPerUser' });
      else if ((stockLeft.get(Number(c.id)) ?? 0) < s.req.quantity) s.error = new DomainError(ErrorCode.CAMPAIGN_SOLD_OUT, 'This campaign is sold out');
      else {
        usage.set(key, u + s.req.quantity);
        stockLeft.set(Number(c.id), (stockLeft.get(Number(c.id)) ?? 0) - s.req.quantity);
      }
    }

    const admitted = pending();
    if (!admitted.length) return;
    await addUsage(tx, items(admitted));
    const created = await orders.createMany(tx, admitted.map((s) => s.prepared!));
    admitted.forEach((s, i) => (s.out = created[i]));
    // Stock the unlocked read showed but that went meanwhile fails the batch (then each runs alone).
    await takeStockOf(tx, campaigns, items(admitted));
  }
}
