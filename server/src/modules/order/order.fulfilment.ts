import type { DataSource } from 'typeorm';
import { ErrorCode, type OrderView } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { move } from '../../core/lifecycle';
import { withTransaction } from '../../core/transaction';
import { DomainError } from '../../http/errors';
import { FulfilmentEntity, OrderEntity } from './order.entity';
import type { OrderRecord, OrderService } from './order.service';
import { orderLifecycle } from './order.state';

export interface FulfilmentTimes {
  /** A shipped order completes by itself this long after shipping. */
  autoCompleteAfterSec: number;
  /** The after-sale window from completion. */
  afterSaleWindowSec: number;
}

/**
 * Delivery after payment: shipping (`to_fulfil → shipped`, carrier and tracking number on the order's
 * delivery), receipt (`shipped → completed`, by the shopper or automatically N days after shipping)
 * and the after-sale window that completion opens. Group orders reach `to_fulfil` only once their
 * group succeeded, so only those can ship. Every move goes through `move` with its event.
 */
export class FulfilmentService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrderService,
    private readonly times: FulfilmentTimes,
  ) {}

  /**
   * Ships a delivery order in the caller's transaction (the operator's, which also writes the audit
   * entry). Refuses with 409 ORDER_NOT_SHIPPABLE anything not `to_fulfil` or not a delivery.
   */
  async ship(tx: ServiceContext, o: OrderRecord, carrier: string, trackingNo: string): Promise<void> {
    const f = await tx.manager.findOne(FulfilmentEntity, { where: { orderId: o.id }, lock: { mode: 'pessimistic_write' } });
    if (o.status !== 'to_fulfil' || !f || f.mode !== 'delivery') {
      throw new DomainError(ErrorCode.ORDER_NOT_SHIPPABLE, 'Only orders waiting for delivery can ship', { status: o.status, mode: f?.mode ?? null });
    }
    const shippedAt = new Date();
    const autoCompleteAt = new Date(shippedAt.getTime() + this.times.autoCompleteAfterSec * 1000);
    const moved = await move(tx, orderLifecycle, o.id, 'to_fulfil', 'shipped', {
      note: `已发货 ${carrier} ${trackingNo}`,
      events: [{ type: 'order.shipped', aggregateType: 'order', aggregateId: o.id, payload: { orderId: o.id, userId: o.userId, carrier, trackingNo, shippedAt: shippedAt.toISOString(), autoCompleteAt: autoCompleteAt.toISOString() } }],
    });
    if (!moved) throw new DomainError(ErrorCode.ORDER_NOT_SHIPPABLE, 'The order changed meanwhile', { status: o.status });
    await tx.manager.update(FulfilmentEntity, { orderId: o.id }, { carrier, trackingNo, shippedAt, autoCompleteAt, updatedAt: shippedAt });
  }

  /** 确认收货: the shopper's shipped order completes now. */
  async confirmReceipt(ctx: ServiceContext, orderId: number): Promise<OrderView> {
    const mine = await this.orders.mine(ctx, orderId);
    const done = await withTransaction(this.dataSource, ctx, (tx) => this.complete(tx, mine.id, false));
    if (!done) {
      const now = await this.orders.get(ctx, orderId);
      throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, 'Only shipped orders can be received', { status: now?.status });
    }
    return this.orders.view(ctx, orderId);
  }

  /** The auto-complete timer (a Redis timer, and the sweeper): acts once, and only when due. */
  async autoComplete(ctx: ServiceContext, orderId: number): Promise<boolean> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const f = await tx.manager.findOne(FulfilmentEntity, { where: { orderId } });
      if (!f?.autoCompleteAt || f.autoCompleteAt.getTime() > Date.now()) return false;
      return this.complete(tx, orderId, true);
    });
  }

  /** Shipped orders whose auto-complete time passed (the sweeper's backstop for lost timers). */
  async dueForCompletion(ctx: ServiceContext, limit = 500): Promise<number[]> {
    const rows = await ctx.manager
      .createQueryBuilder(FulfilmentEntity, 'f')
      .innerJoin(OrderEntity, 'o', 'o.id = f.order_id')
      .select('f.order_id', 'id')
      .where(`o.status = 'shipped' AND f.auto_complete_at <= UTC_TIMESTAMP(3)`)
      .limit(limit)
      .getRawMany<{ id: number }>();
    return rows.map((r) => Number(r.id));
  }

  async sweep(ctx: ServiceContext): Promise<number> {
    let n = 0;
    for (const id of await this.dueForCompletion(ctx)) if (await this.autoComplete(ctx, id)) n++;
    return n;
  }

  /**
   * 核销: a pickup order its leader verified, `ready_for_pickup → completed`, in the caller's
   * transaction. The same completion as receipt (event, after-sale window); its code is released so
   * the point may hand it out again. False: not waiting for pickup (any more) — someone else verified it.
   */
  async completePickup(tx: ServiceContext, orderId: number, pickup: { pointId: number; leaderId: number }): Promise<boolean> {
    return this.complete(tx, orderId, false, pickup);
  }

  /**
   * `shipped → completed` (delivery) or `ready_for_pickup → completed` (pickup, with `pickup`) with its
   * event; the after-sale window starts now. False: not in that state (any more).
   */
  private async complete(tx: ServiceContext, orderId: number, auto: boolean, pickup?: { pointId: number; leaderId: number }): Promise<boolean> {
    const from = pickup ? 'ready_for_pickup' : 'shipped';
    const o = await this.orders.get(tx, orderId, true);
    if (!o || o.status !== from) return false;
    const completedAt = new Date();
    const afterSaleUntil = new Date(completedAt.getTime() + this.times.afterSaleWindowSec * 1000);
    const moved = await move(tx, orderLifecycle, o.id, from, 'completed', {
      note: pickup ? '已提货' : auto ? '超时自动确认收货' : '已确认收货',
      events: [{
        type: 'order.completed', aggregateType: 'order', aggregateId: o.id,
        payload: { orderId: o.id, userId: o.userId, campaignId: o.campaignId, groupId: o.groupId, completedAt: completedAt.toISOString(), afterSaleUntil: afterSaleUntil.toISOString(), auto, ...(pickup ? { pickup } : {}) },
      }],
    });
    if (moved) await tx.manager.update(FulfilmentEntity, { orderId: o.id }, { completedAt, afterSaleUntil, updatedAt: completedAt, ...(pickup ? { pickedUpAt: completedAt, openCodeKey: null } : {}) });
    return moved;
  }
}
