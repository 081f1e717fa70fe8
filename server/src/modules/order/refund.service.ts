import { randomInt } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ServiceContext } from '../../core/context';
import { affectedRows, insertId, withTransaction } from '../../core/transaction';
import type { PaymentProvider } from '../payment/payment.provider';
import { PaymentProviderError } from '../payment/payment.provider';
import type { OrderService } from './order.service';

/** Why money goes back. Full refunds end the order in `refunded`; `opener_free` does not. */
export type RefundReason = 'group_failed' | 'late_payment' | 'opener_free';
const FULL_REFUNDS: ReadonlySet<string> = new Set(['group_failed', 'late_payment']);

interface RefundRow {
  id: number;
  refund_no: string;
  order_id: number;
  amount: number;
  reason: RefundReason;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
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
    private readonly provider: PaymentProvider,
    private readonly orders: OrderService,
  ) {}

  /** Inside the caller's transaction. Returns the refund id, new or existing. */
  async create(tx: ServiceContext, orderId: number, amount: number, reason: RefundReason): Promise<number> {
    const refundNo = `R${Date.now()}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
    const res = await tx.manager.query(
      `INSERT IGNORE INTO refunds (refund_no, order_id, amount, reason, status, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'pending', 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
      [refundNo, orderId, amount, reason],
    );
    if (affectedRows(res) === 1) return insertId(res);
    const [row] = await tx.manager.query(`SELECT id FROM refunds WHERE order_id = ? AND reason = ?`, [orderId, reason]);
    return Number(row.id);
  }

  /** Refunds whose next attempt is due (pending or failed), oldest first. */
  async due(ctx: ServiceContext, limit = 100): Promise<number[]> {
    const rows = await ctx.manager.query(
      `SELECT id FROM refunds WHERE status IN ('pending', 'failed') AND next_attempt_at <= UTC_TIMESTAMP(3) ORDER BY next_attempt_at LIMIT ?`,
      [limit],
    );
    return rows.map((r: { id: number }) => Number(r.id));
  }

  /**
   * One attempt. Safe to run concurrently from several workers: the provider call is idempotent by
   * refund number and the success transition is a guarded update. A failure of one refund never
   * touches any other.
   */
  async process(ctx: ServiceContext, refundId: number): Promise<'succeeded' | 'processing' | 'failed' | 'noop'> {
    const [raw] = await ctx.manager.query(`SELECT * FROM refunds WHERE id = ?`, [refundId]);
    if (!raw || raw.status === 'succeeded') return 'noop';
    const refund: RefundRow = { ...raw, id: Number(raw.id), order_id: Number(raw.order_id), amount: Number(raw.amount), attempts: Number(raw.attempts) };
    const order = await this.orders.row(ctx, refund.order_id);
    if (!order || !order.paid_amount) return 'noop';
    try {
      const result = await this.provider.refund({
        outTradeNo: order.order_no,
        outRefundNo: refund.refund_no,
        refundAmount: refund.amount,
        totalAmount: order.paid_amount,
        reason: reasonText(refund.reason),
      });
      if (result.status === 'SUCCESS') {
        await this.markSucceeded(ctx, refund, result.refundId);
        return 'succeeded';
      }
      if (result.status === 'PROCESSING') {
        await ctx.manager.query(`UPDATE refunds SET provider_refund_id = ?, next_attempt_at = UTC_TIMESTAMP(3) + INTERVAL 30 SECOND, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status <> 'succeeded'`, [result.refundId, refund.id]);
        return 'processing';
      }
      await this.markFailed(ctx, refund, `provider status ${result.status}`);
      return 'failed';
    } catch (err) {
      const message = err instanceof PaymentProviderError ? `${err.code}: ${err.message}` : (err as Error).message;
      ctx.log.warn({ refundId: refund.id, err: message }, 'refund attempt failed');
      await this.markFailed(ctx, refund, message);
      return 'failed';
    }
  }

  /** Applies a refund the provider confirmed (by answer or by REFUND.SUCCESS notification). */
  async confirmByNumber(ctx: ServiceContext, refundNo: string, providerRefundId: string): Promise<void> {
    const [raw] = await ctx.manager.query(`SELECT * FROM refunds WHERE refund_no = ?`, [refundNo]);
    if (!raw) return;
    await this.markSucceeded(ctx, { ...raw, id: Number(raw.id), order_id: Number(raw.order_id) }, providerRefundId);
  }

  private async markSucceeded(ctx: ServiceContext, refund: RefundRow, providerRefundId: string): Promise<void> {
    await withTransaction(this.dataSource, ctx, async (tx) => {
      const res = await tx.manager.query(
        `UPDATE refunds SET status = 'succeeded', provider_refund_id = ?, succeeded_at = UTC_TIMESTAMP(3), updated_at = UTC_TIMESTAMP(3), last_error = NULL
          WHERE id = ? AND status IN ('pending', 'failed')`,
        [providerRefundId, refund.id],
      );
      if (affectedRows(res) === 1 && FULL_REFUNDS.has(refund.reason)) {
        await this.orders.transition(tx, refund.order_id, 'refunding', 'refunded', `退款成功 ${refund.refund_no}`);
      }
    });
  }

  private async markFailed(ctx: ServiceContext, refund: RefundRow, error: string): Promise<void> {
    const attempts = refund.attempts + 1;
    await ctx.manager.query(
      `UPDATE refunds SET status = 'failed', attempts = ?, last_error = ?, next_attempt_at = ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status IN ('pending', 'failed')`,
      [attempts, error.slice(0, 255), new Date(Date.now() + refundBackoffMs(attempts)), refund.id],
    );
  }
}

function reasonText(reason: RefundReason): string {
  return { group_failed: '拼团失败自动退款', late_payment: '订单已关闭，支付自动退回', opener_free: '团长免单返还' }[reason];
}
