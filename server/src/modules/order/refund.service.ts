import { randomInt } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ServiceContext } from '../../core/context';
import { move, recordCreated } from '../../core/lifecycle';
import { emit } from '../../core/outbox';
import { affectedRows, insertId, withTransaction } from '../../core/transaction';
import { ErrorCode } from '@tuan/shared';
import { DomainError } from '../../http/errors';
import { AfterSaleEntity, OrderEntity, RefundEntity, type RefundReason } from './order.entity';
import { afterSaleLifecycle, orderLifecycle, refundLifecycle } from './order.state';

/** What makes a refund unique on its order: the reason alone for the system's full refunds, else the request behind it. */
export type RefundKeyPart = { afterSaleId: number } | { operatorSeq: number } | null;

/** The refund call of a payment provider (WeChat Pay v3 or the sandbox), as refunds need it. */
export interface RefundProvider {
  refund(input: { outTradeNo: string; outRefundNo: string; refundAmount: number; totalAmount: number; reason: string }): Promise<{ status: string; refundId: string }>;
}

/** Backoff between attempts: 5 s, 10 s, 20 s … capped at 10 minutes. */
export function refundBackoffMs(attempts: number): number {
  return Math.min(600_000, 5000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Refunds are records with their own lifecycle, retried until the provider confirms. The refund
 * number is fixed at creation and reused on every attempt, so the provider never refunds twice.
 * An order may have several refunds (after-sales, operators); a unique `refund_key` makes creating
 * the same one twice create it once, and a guarded counter on the order (`refunded_amount`) keeps
 * their sum at or below what was paid, whichever processes race.
 */
export class RefundService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly provider: RefundProvider,
    private readonly describeError: (err: unknown) => string = (err) => (err as Error).message,
  ) {}

  /**
   * Inside the caller's transaction, which should hold the order's row lock. Returns the refund id,
   * new or existing. A new refund adds its amount to `orders.refunded_amount` with a guarded update
   * (`refunded_amount + amount <= paid_amount`, affected rows checked), so two refunds decided at
   * once in two processes never take back more than was paid: the second gets 409
   * REFUND_EXCEEDS_PAID and its transaction writes nothing. A new refund writes `refund.created`,
   * whose subscriber queues the first attempt (the sweeper retries the rest).
   */
  async create(tx: ServiceContext, orderId: number, amount: number, reason: RefundReason, part: RefundKeyPart = null): Promise<number> {
    const refundNo = `R${Date.now()}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
    const refundKey = !part ? `${orderId}:${reason}` : 'afterSaleId' in part ? `${orderId}:after_sale:${part.afterSaleId}` : `${orderId}:operator:${part.operatorSeq}`;
    const now = new Date();
    const res = await tx.manager
      .createQueryBuilder()
      .insert()
      .into(RefundEntity)
      .values({ refundNo, refundKey, orderId, amount, reason, afterSaleId: part && 'afterSaleId' in part ? part.afterSaleId : null, status: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now })
      .orIgnore()
      .execute();
    const inserted = affectedRows(res.raw) === 1;
    if (!inserted) {
      const existing = await tx.manager.findOneOrFail(RefundEntity, { where: { refundKey }, select: { id: true } });
      return existing.id;
    }
    const counted = await tx.manager
      .createQueryBuilder()
      .update(OrderEntity)
      .set({ refundedAmount: () => 'refunded_amount + :amount' })
      .where('id = :orderId AND paid_amount IS NOT NULL AND refunded_amount + :amount <= paid_amount', { orderId, amount })
      .execute();
    if (counted.affected !== 1) throw new DomainError(ErrorCode.REFUND_EXCEEDS_PAID, 'The refunds would exceed what was paid', { amount });
    const id = insertId(res.raw);
    await recordCreated(tx, refundLifecycle, id, 'pending');
    await emit(tx, { type: 'refund.created', aggregateType: 'order', aggregateId: orderId, payload: { refundId: id, orderId, amount, reason } });
    return id;
  }

  /** Refunds whose next attempt is due (pending or failed), oldest first. */
  async due(ctx: ServiceContext, limit = 100): Promise<number[]> {
    const rows = await ctx.manager
      .createQueryBuilder(RefundEntity, 'r')
      .select('r.id', 'id')
      .where(`r.status IN ('pending', 'failed') AND r.next_attempt_at <= UTC_TIMESTAMP(3)`)
      .orderBy('r.next_attempt_at')
      .limit(limit)
      .getRawMany<{ id: number }>();
    return rows.map((r) => Number(r.id));
  }

  /**
   * One attempt. Safe to run concurrently from several workers: the provider call is idempotent by
   * refund number and the success transition is a guarded update. A failure of one refund never
   * touches any other.
   */
  async process(ctx: ServiceContext, refundId: number): Promise<'succeeded' | 'processing' | 'failed' | 'noop'> {
    const refund = await ctx.manager.findOne(RefundEntity, { where: { id: refundId } });
    if (!refund || refund.status === 'succeeded') return 'noop';
    const order = await ctx.manager.findOne(OrderEntity, { where: { id: refund.orderId }, select: { id: true, orderNo: true, paidAmount: true } });
    if (!order?.paidAmount) return 'noop';
    try {
      const result = await this.provider.refund({ outTradeNo: order.orderNo, outRefundNo: refund.refundNo, refundAmount: refund.amount, totalAmount: order.paidAmount, reason: reasonText(refund.reason) });
      if (result.status === 'SUCCESS') {
        await this.markSucceeded(ctx, refund, result.refundId);
        return 'succeeded';
      }
      if (result.status === 'PROCESSING') {
        // Not a status change: the provider is still working; look again in 30 s.
        await ctx.manager
          .createQueryBuilder()
          .update(RefundEntity)
          .set({ providerRefundId: result.refundId, nextAttemptAt: () => 'UTC_TIMESTAMP(3) + INTERVAL 30 SECOND', updatedAt: () => 'UTC_TIMESTAMP(3)' })
          .where(`id = :id AND status <> 'succeeded'`, { id: refund.id })
          .execute();
        return 'processing';
      }
      await this.markFailed(ctx, refund, `provider status ${result.status}`);
      return 'failed';
    } catch (err) {
      const message = this.describeError(err);
      ctx.log.warn({ refundId: refund.id, err: message }, 'refund attempt failed');
      await this.markFailed(ctx, refund, message);
      return 'failed';
    }
  }

  /** Applies a refund the provider confirmed (by answer or by REFUND.SUCCESS notification). */
  async confirmByNumber(ctx: ServiceContext, refundNo: string, providerRefundId: string): Promise<void> {
    const refund = await ctx.manager.findOne(RefundEntity, { where: { refundNo } });
    if (refund) await this.markSucceeded(ctx, refund, providerRefundId);
  }

  private async markSucceeded(ctx: ServiceContext, refund: RefundEntity, providerRefundId: string): Promise<void> {
    await withTransaction(this.dataSource, ctx, async (tx) => {
      const set = { providerRefundId, succeededAt: new Date(), lastError: null };
      // pending → succeeded, or failed → succeeded: exactly one of them can apply.
      const moved = (await move(tx, refundLifecycle, refund.id, 'pending', 'succeeded', { set })) || (await move(tx, refundLifecycle, refund.id, 'failed', 'succeeded', { set }));
      if (!moved) return;
      // The order ends `refunded` only when it is `refunding` (everything paid is coming back) and
      // this was the last of its refunds to go through.
      const full = await move(tx, orderLifecycle, refund.orderId, 'refunding', 'refunded', {
        note: `退款成功 ${refund.refundNo}`,
        guard: `refunded_amount >= paid_amount AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = :orderId AND r.status <> 'succeeded')`,
        params: { orderId: refund.orderId },
      });
      const order = await tx.manager.findOneOrFail(OrderEntity, { where: { id: refund.orderId }, select: { id: true, userId: true, groupId: true } });
      await emit(tx, {
        type: 'order.refunded', aggregateType: 'order', aggregateId: refund.orderId,
        payload: { orderId: refund.orderId, userId: order.userId, refundId: refund.id, amount: refund.amount, reason: refund.reason, fullyRefunded: !!full, groupId: order.groupId },
      });
      if (refund.afterSaleId) await this.closeAfterSale(tx, refund.afterSaleId);
    });
  }

  /** The after-sale behind a refund that went through: `refunding → refunded`, closed (the order may take a new request). */
  private async closeAfterSale(tx: ServiceContext, afterSaleId: number): Promise<void> {
    const a = await tx.manager.findOne(AfterSaleEntity, { where: { id: afterSaleId } });
    if (!a) return;
    await move(tx, afterSaleLifecycle, a.id, 'refunding', 'refunded', {
      set: { openOrderId: null, closedAt: new Date() },
      note: '退款成功',
      events: [{ type: 'after_sale.closed', aggregateType: 'order', aggregateId: a.orderId, payload: { afterSaleId: a.id, orderId: a.orderId, userId: a.userId, status: 'refunded', amount: a.amount } }],
    });
  }

  private async markFailed(ctx: ServiceContext, refund: RefundEntity, error: string): Promise<void> {
    const attempts = refund.attempts + 1;
    const set = { attempts, lastError: error.slice(0, 255), nextAttemptAt: new Date(Date.now() + refundBackoffMs(attempts)) };
    await withTransaction(this.dataSource, ctx, async (tx) => {
      // Whichever status it is in now (pending or failed); a concurrent success wins.
      if (!(await move(tx, refundLifecycle, refund.id, 'pending', 'failed', { set }))) await move(tx, refundLifecycle, refund.id, 'failed', 'failed', { set });
    });
  }
}

function reasonText(reason: RefundReason): string {
  return { group_failed: '拼团失败自动退款', late_payment: '订单已关闭，支付自动退回', opener_free: '团长免单返还', after_sale: '售后退款', operator: '客服退款', pickup_shortage: '自提点到货缺货退款' }[reason];
}
