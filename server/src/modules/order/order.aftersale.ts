import type { DataSource } from 'typeorm';
import { ErrorCode, type AfterSaleListQuery, type AfterSaleRequest, type AfterSaleView, type OrderStatus, type Page, type ReturnShipmentRequest } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { move, recordCreated } from '../../core/lifecycle';
import { emit } from '../../core/outbox';
import { isDuplicateKey, withTransaction } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import { AfterSaleEntity, FulfilmentEntity, OrderEntity, RefundEntity, type RefundReason } from './order.entity';
import type { OrderCoupons } from './order.outcomes';
import { AFTER_SALE_STATUSES, afterSaleViewOf, type OrderRecord, type OrderService } from './order.service';
import { releasePickupCode } from './order.verify';
import { afterSaleLifecycle, orderLifecycle } from './order.state';
import type { RefundKeyPart, RefundService } from './refund.service';

/** Statuses from which a refund that takes back everything moves the order on to `refunding`. */
const REFUNDABLE: readonly OrderStatus[] = ['to_fulfil', 'shipped', 'ready_for_pickup', 'completed'];

/**
 * After-sale (售后) and partial refunds. A shopper asks within the window (or before completion) for
 * up to what was paid minus what was already refunded; one open request per order (a unique key on
 * `open_order_id`, NULL once closed). Support approves or rejects; 退货退款 waits for the goods. The
 * refund itself is a refund row like any other (fixed number, retried with backoff); the order's
 * row lock plus the guarded `refunded_amount` counter keep the sum of refunds at or below what was
 * paid, whichever API processes approve at once.
 */
export class AfterSaleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrderService,
    private readonly refunds: RefundService,
    private readonly coupons: OrderCoupons,
  ) {}

  async request(ctx: ServiceContext, orderId: number, req: AfterSaleRequest): Promise<AfterSaleView> {
    const userId = userIdOf(ctx);
    await this.orders.mine(ctx, orderId);
    const id = await withTransaction(this.dataSource, ctx, async (tx) => {
      const o = (await this.orders.get(tx, orderId, true))!;
      if (!AFTER_SALE_STATUSES.includes(o.status)) throw new DomainError(ErrorCode.AFTER_SALE_NOT_ALLOWED, 'This order cannot take an after-sale request now', { status: o.status });
      const f = await tx.manager.findOne(FulfilmentEntity, { where: { orderId } });
      if (o.status === 'completed' && (!f?.afterSaleUntil || f.afterSaleUntil.getTime() <= Date.now())) {
        throw new DomainError(ErrorCode.AFTER_SALE_WINDOW_CLOSED, 'The after-sale window has closed', { afterSaleUntil: f?.afterSaleUntil?.toISOString() ?? null });
      }
      const max = (o.paidAmount ?? 0) - o.refundedAmount;
      if (req.amount > max) throw new DomainError(ErrorCode.REFUND_EXCEEDS_PAID, `At most ${max} fen can be refunded`, { max });
      const now = new Date();
      let newId: number;
      try {
        const res = await tx.manager.insert(AfterSaleEntity, {
          orderId, userId, kind: req.kind, status: 'requested', reason: req.reason, description: req.description, images: req.images, amount: req.amount,
          rejectReason: null, returnCarrier: null, returnTrackingNo: null, refundId: null, openOrderId: orderId, createdAt: now, updatedAt: now, closedAt: null,
        });
        newId = Number(res.identifiers[0].id);
      } catch (err) {
        if (isDuplicateKey(err)) throw new DomainError(ErrorCode.AFTER_SALE_ALREADY_OPEN, 'This order already has an open after-sale request');
        throw err;
      }
      await recordCreated(tx, afterSaleLifecycle, newId, 'requested');
      await emit(tx, { type: 'after_sale.opened', aggregateType: 'order', aggregateId: orderId, payload: { afterSaleId: newId, orderId, userId, kind: req.kind, amount: req.amount } });
      return newId;
    });
    return this.view(ctx, await this.get(ctx, id));
  }

  /** The owner's request; anyone else gets 404. */
  /** Whether the order has an after-sale request still open (rewards settle only when none is). */
  async hasOpen(ctx: ServiceContext, orderId: number): Promise<boolean> {
    return (await ctx.manager.countBy(AfterSaleEntity, { openOrderId: orderId })) > 0;
  }

  async mine(ctx: ServiceContext, id: number): Promise<AfterSaleView> {
    const a = await this.get(ctx, id);
    if (a.userId !== userIdOf(ctx)) throw notFound();
    return this.view(ctx, a);
  }

  /** The shopper withdraws a request that has not reached its refund. */
  async cancel(ctx: ServiceContext, id: number): Promise<AfterSaleView> {
    await this.mine(ctx, id);
    await withTransaction(this.dataSource, ctx, async (tx) => {
      const a = await this.lockWithOrder(tx, id);
      if (a.status !== 'requested' && a.status !== 'awaiting_return') throw illegal(a);
      await this.close(tx, a, a.status, 'cancelled', {}, '用户撤销售后');
    });
    return this.view(ctx, await this.get(ctx, id));
  }

  /** 退货退款: the tracking number of the goods on their way back (once approved). */
  async returnShipment(ctx: ServiceContext, id: number, req: ReturnShipmentRequest): Promise<AfterSaleView> {
    await this.mine(ctx, id);
    const res = await ctx.manager
      .createQueryBuilder()
      .update(AfterSaleEntity)
      .set({ returnCarrier: req.carrier, returnTrackingNo: req.trackingNo, updatedAt: () => 'UTC_TIMESTAMP(3)' })
      .where(`id = :id AND status = 'awaiting_return'`, { id })
      .execute();
    if (res.affected !== 1) throw illegal(await this.get(ctx, id));
    return this.view(ctx, await this.get(ctx, id));
  }

  // ---------- operators (the caller's transaction, which also writes the audit entry) ----------

  async queue(ctx: ServiceContext, q: AfterSaleListQuery): Promise<Page<AfterSaleView>> {
    const where = { ...(q.status ? { status: q.status } : {}), ...(q.orderId ? { orderId: q.orderId } : {}) };
    const [rows, total] = await ctx.manager.findAndCount(AfterSaleEntity, { where, order: { id: 'ASC' }, take: q.pageSize, skip: (q.page - 1) * q.pageSize });
    return { items: await this.views(ctx, rows), page: q.page, pageSize: q.pageSize, total, serverTime: new Date().toISOString() };
  }

  /** Approve: 仅退款 starts its refund now; 退货退款 waits for the goods. */
  async approve(tx: ServiceContext, id: number): Promise<AfterSaleEntity> {
    const a = await this.lockWithOrder(tx, id);
    if (!(await move(tx, afterSaleLifecycle, a.id, 'requested', 'approved', { note: '审核通过' }))) throw illegal(a);
    if (a.kind === 'refund_only') await this.startRefund(tx, a, 'approved');
    else await move(tx, afterSaleLifecycle, a.id, 'approved', 'awaiting_return', { note: '等待买家寄回商品' });
    return this.get(tx, id);
  }

  async reject(tx: ServiceContext, id: number, reason: string): Promise<AfterSaleEntity> {
    const a = await this.lockWithOrder(tx, id);
    if (a.status !== 'requested') throw illegal(a);
    await this.close(tx, a, 'requested', 'rejected', { rejectReason: reason }, `审核拒绝：${reason}`);
    return this.get(tx, id);
  }

  /** 退货退款: the goods came back; the refund starts. */
  async confirmReturn(tx: ServiceContext, id: number): Promise<AfterSaleEntity> {
    const a = await this.lockWithOrder(tx, id);
    if (!(await move(tx, afterSaleLifecycle, a.id, 'awaiting_return', 'returned', { note: '商家已收到退货' }))) throw illegal(a);
    await this.startRefund(tx, a, 'returned');
    return this.get(tx, id);
  }

  /**
   * Refunds `amount` of a paid order in the caller's transaction, which holds the order's row lock.
   * The guarded counter refuses (409 REFUND_EXCEEDS_PAID) a refund past what was paid; a refund that
   * takes back everything moves the order to `refunding` (then `refunded` once the provider
   * confirms) and gives the coupon back; a partial one leaves the status as it is.
   */
  async refundPart(tx: ServiceContext, o: OrderRecord, amount: number, reason: Extract<RefundReason, 'after_sale' | 'operator' | 'pickup_shortage'>, part: RefundKeyPart, note: string): Promise<number> {
    const refundId = await this.refunds.create(tx, o.id, amount, reason, part);
    const now = await tx.manager.findOneOrFail(OrderEntity, { where: { id: o.id }, select: { id: true, status: true, paidAmount: true, refundedAmount: true } });
    if (now.paidAmount !== null && now.refundedAmount >= now.paidAmount && REFUNDABLE.includes(now.status)) {
      await move(tx, orderLifecycle, o.id, now.status, 'refunding', { note });
      // A pickup order that no longer waits: its code is no longer valid (and free for the point again).
      if (now.status === 'ready_for_pickup') await releasePickupCode(tx, o.id);
      await this.coupons.returnOnRefund(tx, o.id);
    }
    return refundId;
  }

  /** An operator's refund (finance, support): the n-th refund of the order gets key `<order>:operator:<n>`. */
  async operatorRefund(tx: ServiceContext, orderId: number, amount: number, note: string): Promise<void> {
    const o = await this.orders.get(tx, orderId, true);
    if (!o) throw new NotFoundError(ErrorCode.ORDER_NOT_FOUND, 'Order not found');
    if (!REFUNDABLE.includes(o.status) || o.paidAmount === null) throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, 'Only paid orders past their group can be refunded here', { status: o.status });
    if (amount > o.paidAmount - o.refundedAmount) throw new DomainError(ErrorCode.REFUND_EXCEEDS_PAID, 'The refunds would exceed what was paid', { max: o.paidAmount - o.refundedAmount });
    const seq = (await tx.manager.count(RefundEntity, { where: { orderId } })) + 1;
    await this.refundPart(tx, o, amount, 'operator', { operatorSeq: seq }, `客服退款：${note}`);
  }

  async get(ctx: ServiceContext, id: number): Promise<AfterSaleEntity> {
    const a = await ctx.manager.findOne(AfterSaleEntity, { where: { id } });
    if (!a) throw notFound();
    return a;
  }

  async view(ctx: ServiceContext, a: AfterSaleEntity): Promise<AfterSaleView> {
    return (await this.views(ctx, [a]))[0];
  }

  private async views(ctx: ServiceContext, rows: AfterSaleEntity[]): Promise<AfterSaleView[]> {
    if (!rows.length) return [];
    const orderIds = [...new Set(rows.map((a) => a.orderId))];
    const refundIds = rows.flatMap((a) => (a.refundId ? [a.refundId] : []));
    const [orders, refunds] = await Promise.all([
      ctx.manager.find(OrderEntity, { where: orderIds.map((id) => ({ id })), select: { id: true, orderNo: true } }),
      refundIds.length ? ctx.manager.find(RefundEntity, { where: refundIds.map((id) => ({ id })), select: { id: true, refundNo: true } }) : Promise.resolve([]),
    ]);
    const nos = new Map(orders.map((o) => [o.id, o.orderNo]));
    const rnos = new Map(refunds.map((r) => [r.id, r.refundNo]));
    return rows.map((a) => afterSaleViewOf(a, nos.get(a.orderId) ?? '', a.refundId ? (rnos.get(a.refundId) ?? null) : null));
  }

  /** The order's row lock first (the same order every refund path takes), then the request's. */
  private async lockWithOrder(tx: ServiceContext, id: number): Promise<AfterSaleEntity> {
    const a0 = await this.get(tx, id);
    await this.orders.get(tx, a0.orderId, true);
    return (await tx.manager.findOne(AfterSaleEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }))!;
  }

  private async startRefund(tx: ServiceContext, a: AfterSaleEntity, from: 'approved' | 'returned'): Promise<void> {
    const o = (await this.orders.get(tx, a.orderId, true))!;
    await move(tx, afterSaleLifecycle, a.id, from, 'refunding', { note: '退款中' });
    const refundId = await this.refundPart(tx, o, a.amount, 'after_sale', { afterSaleId: a.id }, '售后退款');
    await tx.manager.update(AfterSaleEntity, { id: a.id }, { refundId });
  }

  private async close(tx: ServiceContext, a: AfterSaleEntity, from: AfterSaleEntity['status'], to: 'rejected' | 'cancelled', set: Partial<AfterSaleEntity>, note: string): Promise<void> {
    const moved = await move(tx, afterSaleLifecycle, a.id, from, to, {
      set: { ...set, openOrderId: null, closedAt: new Date() },
      note,
      events: [{ type: 'after_sale.closed', aggregateType: 'order', aggregateId: a.orderId, payload: { afterSaleId: a.id, orderId: a.orderId, userId: a.userId, status: to, amount: 0 } }],
    });
    if (!moved) throw illegal(a);
  }
}

function notFound(): NotFoundError {
  return new NotFoundError(ErrorCode.AFTER_SALE_NOT_FOUND, 'After-sale request not found');
}

function illegal(a: AfterSaleEntity): DomainError {
  return new DomainError(ErrorCode.ILLEGAL_TRANSITION, `The after-sale request is ${a.status}`, { status: a.status });
}

