import type { DataSource } from 'typeorm';
import { ErrorCode, type ConfirmArrivalRequest, type PickupBatchDetail } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { move } from '../../core/lifecycle';
import { withTransaction } from '../../core/transaction';
import { DomainError } from '../../http/errors';
import type { AfterSaleService } from './order.aftersale';
import { FulfilmentEntity, OrderEntity } from './order.entity';
import type { OrderService } from './order.service';
import { orderLifecycle } from './order.state';
import type { PickupBatchService } from './pickup.batches';
import { PickupBatchLineEntity, PickupShortageEntity } from './pickup.entity';
import { pickupBatchLifecycle } from './pickup.state';

/** An order of the batch as arrival needs it. */
interface ArrivingOrder {
  id: number;
  skuId: number;
  quantity: number;
}

/**
 * Missing units of each SKU, taken from that SKU's orders, the latest payment first (the shopper
 * who ordered last is the one left short; earlier ones get their goods), each order as far as it
 * goes. Pure, so the rule is tested on its own.
 */
export function allocateShortages(orders: ReadonlyArray<ArrivingOrder & { paidAt: number }>, missing: ReadonlyMap<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  const latestFirst = [...orders].sort((a, b) => b.paidAt - a.paidAt || b.id - a.id);
  const left = new Map(missing);
  for (const o of latestFirst) {
    const m = left.get(o.skuId) ?? 0;
    if (m <= 0) continue;
    const take = Math.min(m, o.quantity);
    out.set(o.id, take);
    left.set(o.skuId, m - take);
  }
  return out;
}

/**
 * What a short order gets back: everything still refundable when none of it came, else the share
 * of what was paid for the missing units (paid × missing / quantity, rounded down — a coupon's
 * discount is spread over the units like the price), never more than is left to refund.
 */
export function shortageRefund(paid: number, refunded: number, quantity: number, missing: number): number {
  const left = Math.max(0, paid - refunded);
  if (missing >= quantity) return left;
  return Math.min(left, Math.floor((paid * missing) / quantity));
}

/**
 * The leader confirms a shipped batch arrived (whole, or with per-SKU shortages): in one
 * transaction the batch moves `shipped → arrived`, each line records what came, every order of the
 * batch still `to_fulfil` becomes `ready_for_pickup` (event `order.ready_for_pickup`, which notifies
 * the shopper and gives the order its pickup code) — unless none of its units came — and each short
 * order is refunded for its missing units through the order's refund machinery (a refund row with
 * its own key `<order>:pickup_shortage`, the guarded `refunded_amount` counter, the order →
 * `refunding` when everything goes back).
 */
export class PickupArrival {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batches: PickupBatchService,
    private readonly orders: OrderService,
    private readonly afterSales: AfterSaleService,
  ) {}

  async confirm(ctx: ServiceContext, batchId: number, req: ConfirmArrivalRequest): Promise<PickupBatchDetail> {
    const { pointId } = await this.batches.mineAsLeader(ctx, batchId);
    await withTransaction(this.dataSource, ctx, async (tx) => {
      // The batch's row lock first, then its orders in id order: the same order on every path.
      const b = await this.batches.mustGet(tx, batchId, true);
      if (b.status !== 'shipped') throw new DomainError(ErrorCode.PICKUP_BATCH_STATE, b.status === 'arrived' ? 'This batch already arrived' : 'This batch has not shipped yet', { status: b.status });
      const lines = await tx.manager.find(PickupBatchLineEntity, { where: { batchId } });
      const missing = checkShortages(lines, req.shortages);
      const arrivedAt = new Date();
      const shortUnits = [...missing.values()].reduce((n, u) => n + u, 0);
      const events = [{ type: 'pickup_batch.arrived' as const, aggregateType: 'pickup_batch' as const, aggregateId: batchId, payload: { batchId, pointId: Number(b.pointId), leaderId: Number(b.leaderId), arrivedAt: arrivedAt.toISOString(), shortUnits } }];
      if (!(await move(tx, pickupBatchLifecycle, batchId, 'shipped', 'arrived', { set: { arrivedAt }, note: missing.size ? '到货（有缺货）' : '已到货', events }))) {
        throw new DomainError(ErrorCode.PICKUP_BATCH_STATE, 'The batch changed meanwhile');
      }
      for (const l of lines) {
        await tx.manager.update(PickupBatchLineEntity, { batchId, skuId: l.skuId }, { received: l.quantity - (missing.get(Number(l.skuId)) ?? 0) });
      }
      const rows = await tx.manager
        .createQueryBuilder(FulfilmentEntity, 'f')
        .innerJoin(OrderEntity, 'o', 'o.id = f.order_id')
        .select(['o.id AS id', 'o.sku_id AS skuId', 'o.quantity AS quantity', 'o.paid_at AS paidAt'])
        .where(`f.batch_id = :batchId AND o.status = 'to_fulfil'`, { batchId })
        .orderBy('o.id')
        .getRawMany<{ id: number; skuId: number; quantity: number; paidAt: Date }>();
      const arriving = rows.map((r) => ({ id: Number(r.id), skuId: Number(r.skuId), quantity: Number(r.quantity), paidAt: new Date(r.paidAt).getTime() }));
      const short = allocateShortages(arriving, missing);
      const readyAt = arrivedAt;
      for (const a of arriving) {
        const o = await this.orders.get(tx, a.id, true);
        if (!o || o.status !== 'to_fulfil') continue; // refunded meanwhile (an after-sale): nothing to hand over
        const units = short.get(o.id) ?? 0;
        if (units > 0) {
          const amount = shortageRefund(o.paidAmount ?? 0, o.refundedAmount, o.quantity, units);
          await tx.manager.insert(PickupShortageEntity, { orderId: o.id, batchId, skuId: a.skuId, quantity: units, amount, refundId: null, createdAt: arrivedAt });
          if (amount > 0) {
            const note = units >= o.quantity ? `自提点到货缺货，全额退款` : `自提点到货缺 ${units} 件，退款`;
            const refundId = await this.afterSales.refundPart(tx, o, amount, 'pickup_shortage', null, note);
            await tx.manager.update(PickupShortageEntity, { orderId: o.id }, { refundId });
          }
          if (units >= o.quantity) continue; // nothing came: the order is refunding, not ready
        }
        const moved = await move(tx, orderLifecycle, o.id, 'to_fulfil', 'ready_for_pickup', {
          note: units > 0 ? `已到自提点（缺 ${units} 件已退款）` : '已到自提点，待提货',
          events: [{ type: 'order.ready_for_pickup', aggregateType: 'order', aggregateId: o.id, payload: { orderId: o.id, userId: o.userId, pointId, leaderId: b.leaderId, readyAt: readyAt.toISOString() } }],
        });
        if (moved) await tx.manager.update(FulfilmentEntity, { orderId: o.id }, { readyAt, updatedAt: readyAt });
      }
    });
    return this.batches.detail(ctx, await this.batches.mustGet(ctx, batchId));
  }
}

/** Per SKU, the units that did not come; a SKU not in the batch, twice, or more than was sent is refused. */
function checkShortages(lines: PickupBatchLineEntity[], shortages: ConfirmArrivalRequest['shortages']): Map<number, number> {
  const bySku = new Map(lines.map((l) => [Number(l.skuId), l]));
  const missing = new Map<number, number>();
  for (const s of shortages) {
    const line = bySku.get(s.skuId);
    if (!line) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'That SKU is not in this batch', { skuId: s.skuId });
    if (missing.has(s.skuId)) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'Each SKU once', { skuId: s.skuId });
    if (s.received > line.quantity) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'More received than the batch holds', { skuId: s.skuId, quantity: line.quantity });
    if (line.quantity - s.received > 0) missing.set(s.skuId, line.quantity - s.received);
  }
  return missing;
}

