import { Between, LessThanOrEqual, MoreThanOrEqual, type DataSource, type FindOptionsWhere } from 'typeorm';
import { CodedError, ErrorCode, type AdminOrderDetail, type AdminOrderPage, type AdminOrderQuery, type AfterSaleView, type BulkShipRequest, type BulkShipResult } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { withTransaction } from '../../core/transaction';
import { NotFoundError } from '../../http/errors';
import { recordAudit } from '../admin';
import type { AfterSaleService } from './order.aftersale';
import { FulfilmentEntity, OrderEntity } from './order.entity';
import type { FulfilmentService } from './order.fulfilment';
import type { OrderService } from './order.service';

/**
 * Operators and orders: search, detail, shipping, refunds and the after-sale queue. Routes declare
 * the roles; every write runs in one transaction with its audit entry (before/after), so an audited
 * change and its record commit or roll back together.
 */
export class OrderAdminService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrderService,
    private readonly fulfilment: FulfilmentService,
    private readonly afterSales: AfterSaleService,
  ) {}

  async search(ctx: ServiceContext, q: AdminOrderQuery): Promise<AdminOrderPage> {
    const where: FindOptionsWhere<OrderEntity> = {};
    if (q.status) where.status = q.status;
    if (q.userId) where.userId = q.userId;
    if (q.campaignId) where.campaignId = q.campaignId;
    if (q.orderNo) where.orderNo = q.orderNo;
    if (q.from && q.to) where.createdAt = Between(new Date(q.from), new Date(q.to));
    else if (q.from) where.createdAt = MoreThanOrEqual(new Date(q.from));
    else if (q.to) where.createdAt = LessThanOrEqual(new Date(q.to));
    const [rows, total] = await ctx.manager.findAndCount(OrderEntity, { where, order: { id: 'DESC' }, take: q.pageSize, skip: (q.page - 1) * q.pageSize });
    const items = await this.orders.summaries(ctx, rows);
    return { items: items.map((s, i) => ({ ...s, userId: rows[i].userId })), page: q.page, pageSize: q.pageSize, total, serverTime: new Date().toISOString() };
  }

  async detail(ctx: ServiceContext, id: number): Promise<AdminOrderDetail> {
    const o = await this.orders.get(ctx, id);
    if (!o) throw new NotFoundError(ErrorCode.ORDER_NOT_FOUND, 'Order not found');
    const [view, f] = await Promise.all([this.orders.fullView(ctx, o), ctx.manager.findOne(FulfilmentEntity, { where: { orderId: id } })]);
    return {
      ...view,
      userId: o.userId,
      payment: { transactionId: o.transactionId, paidAmount: o.paidAmount, paidAt: o.paidAt?.toISOString() ?? null },
      recipientPhone: this.orders.recipientPhone(f),
    };
  }

  async ship(ctx: ServiceContext, id: number, carrier: string, trackingNo: string): Promise<AdminOrderDetail> {
    await withTransaction(this.dataSource, ctx, async (tx) => {
      const o = await this.orders.get(tx, id, true);
      if (!o) throw new NotFoundError(ErrorCode.ORDER_NOT_FOUND, 'Order not found');
      await this.fulfilment.ship(tx, o, carrier, trackingNo);
      await recordAudit(tx, { action: 'order.ship', entityType: 'order', entityId: id, before: { status: o.status }, after: { status: 'shipped', carrier, trackingNo } });
    });
    return this.detail(ctx, id);
  }

  /**
   * Ships each line in its own transaction, so one bad order number does not hold back the rest;
   * each line answers `ok` or the code it was refused with, and changes nothing when refused.
   */
  async bulkShip(ctx: ServiceContext, req: BulkShipRequest): Promise<BulkShipResult> {
    const results: BulkShipResult['results'] = [];
    for (const line of req.items) {
      try {
        await withTransaction(this.dataSource, ctx, async (tx) => {
          const o = await this.orders.getByNo(tx, line.orderNo, true);
          if (!o) throw new NotFoundError(ErrorCode.ORDER_NOT_FOUND, 'Order not found');
          await this.fulfilment.ship(tx, o, line.carrier, line.trackingNo);
          await recordAudit(tx, { action: 'order.ship', entityType: 'order', entityId: o.id, before: { status: o.status }, after: { status: 'shipped', carrier: line.carrier, trackingNo: line.trackingNo, bulk: true } });
        });
        results.push({ orderNo: line.orderNo, ok: true, code: null });
      } catch (err) {
        if (!(err instanceof CodedError)) throw err;
        results.push({ orderNo: line.orderNo, ok: false, code: err.code });
      }
    }
    return { shipped: results.filter((r) => r.ok).length, results };
  }

  async refund(ctx: ServiceContext, id: number, amount: number, note: string): Promise<AdminOrderDetail> {
    await withTransaction(this.dataSource, ctx, async (tx) => {
      const before = await this.orders.get(tx, id, true);
      if (!before) throw new NotFoundError(ErrorCode.ORDER_NOT_FOUND, 'Order not found');
      await this.afterSales.operatorRefund(tx, id, amount, note);
      const after = (await this.orders.get(tx, id))!;
      await recordAudit(tx, {
        action: 'order.refund', entityType: 'order', entityId: id,
        before: { status: before.status, refundedAmount: before.refundedAmount }, after: { status: after.status, refundedAmount: after.refundedAmount, amount, note },
      });
    });
    return this.detail(ctx, id);
  }

  async approveAfterSale(ctx: ServiceContext, id: number): Promise<AfterSaleView> {
    return this.afterSaleWrite(ctx, id, 'after_sale.approve', (tx) => this.afterSales.approve(tx, id));
  }

  async rejectAfterSale(ctx: ServiceContext, id: number, reason: string): Promise<AfterSaleView> {
    return this.afterSaleWrite(ctx, id, 'after_sale.reject', (tx) => this.afterSales.reject(tx, id, reason));
  }

  async confirmReturn(ctx: ServiceContext, id: number): Promise<AfterSaleView> {
    return this.afterSaleWrite(ctx, id, 'after_sale.confirm_return', (tx) => this.afterSales.confirmReturn(tx, id));
  }

  private async afterSaleWrite(ctx: ServiceContext, id: number, action: string, fn: (tx: ServiceContext) => Promise<{ status: string; refundId: number | null; rejectReason: string | null }>): Promise<AfterSaleView> {
    await withTransaction(this.dataSource, ctx, async (tx) => {
      const before = await this.afterSales.get(tx, id);
      const after = await fn(tx);
      await recordAudit(tx, { action, entityType: 'after_sale', entityId: id, before: { status: before.status }, after: { status: after.status, refundId: after.refundId, rejectReason: after.rejectReason } });
    });
    return this.afterSales.view(ctx, await this.afterSales.get(ctx, id));
  }
}
