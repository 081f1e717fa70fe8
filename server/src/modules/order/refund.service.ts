import { randomInt } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ServiceContext } from '../../core/context';
import { move, recordCreated } from '../../core/lifecycle';
import { emit } from '../../core/outbox';
import { withTransaction } from '../../core/transaction';
import { OrderEntity, RefundEntity, type RefundReason } from './order.entity';
import { orderLifecycle, refundLifecycle } from './order.state';

const FULL_REFUNDS: ReadonlySet<RefundReason> = new Set(['group_failed', 'late_payment']);

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
 * number is fixed at creation and reused on every attempt, so the provider never refunds twice;
 * one refund per (order, reason) is a unique key, so creating one twice creates it once.
 */
export class RefundService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly provider: RefundProvider,
    private readonly describeError: (err: unknown) => string = (err) => (err as Error).message,
  ) {}

  /**
   * Inside the caller's transaction. Returns the refund id, new or existing. A new refund writes
   * `refund.created`, whose subscriber queues the first attempt (the sweeper retries the rest).
   */
  async create(tx: ServiceContext, orderId: number, amount: number, reason: RefundReason): Promise<number> {
    const refundNo = `R${Date.now()}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
    const now = new Date();
    const res = await tx.manager
      .createQueryBuilder()
      .insert()
      .into(RefundEntity)
      .values({ refundNo, orderId, amount, reason, status: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now })
      .orIgnore()
      .execute();
    const inserted = (res.raw as { affectedRows?: number }).affectedRows === 1;
    if (!inserted) {
      const existing = await tx.manager.findOneOrFail(RefundEntity, { where: { orderId, reason }, select: { id: true } });
      return existing.id;
    }
    const id = Number((res.raw as { insertId: number }).insertId);
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
      const full = FULL_REFUNDS.has(refund.reason) && (await move(tx, orderLifecycle, refund.orderId, 'refunding', 'refunded', { note: `退款成功 ${refund.refundNo}` }));
      const order = await tx.manager.findOneOrFail(OrderEntity, { where: { id: refund.orderId }, select: { id: true, userId: true } });
      await emit(tx, {
        type: 'order.refunded', aggregateType: 'order', aggregateId: refund.orderId,
        payload: { orderId: refund.orderId, userId: order.userId, refundId: refund.id, amount: refund.amount, reason: refund.reason, fullyRefunded: !!full },
      });
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
  return { group_failed: '拼团失败自动退款', late_payment: '订单已关闭，支付自动退回', opener_free: '团长免单返还' }[reason];
}
