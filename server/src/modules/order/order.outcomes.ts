import { In, type DataSource } from 'typeorm';
import { ErrorCode, type OrderView } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { move } from '../../core/lifecycle';
import { withTransaction } from '../../core/transaction';
import { DomainError } from '../../http/errors';
import { OrderEntity, type RefundReason } from './order.entity';
import type { OrderParticipant, PaymentDecision } from './order.participant';
import type { OrderRecord, OrderService } from './order.service';
import { orderLifecycle } from './order.state';
import type { RefundService } from './refund.service';

/** What the order module needs of coupons (implemented by the coupon module). */
export interface OrderCoupons {
  markUsed(tx: ServiceContext, orderId: number): Promise<void>;
  release(tx: ServiceContext, orderId: number): Promise<void>;
  returnOnRefund(tx: ServiceContext, orderId: number): Promise<void>;
}

/** What cancelling needs of payments (the payment module implements it; see `closeBeforeCancel`). */
export interface OrderPaymentCloser {
  /** Closes the order's payment with the provider: 'closed' (it can no longer be paid) or 'paid' (it was, and that payment is applied). */
  closeBeforeCancel(ctx: ServiceContext, order: OrderRecord): Promise<'closed' | 'paid'>;
}

/** A payment the provider confirmed with a verified signature (the fields orders need of it). */
export interface CapturedPayment {
  outTradeNo: string;
  transactionId: string;
  amountTotal: number;
  successTime: Date;
}

export type PaymentOutcome = 'paid' | 'duplicate' | 'refunded' | 'amount_mismatch' | 'unknown_order';

/** `log`: the outcome to record in the payment log, or null when nothing new happened (a replay). */
export interface AppliedPayment {
  outcome: PaymentOutcome;
  orderId: number | null;
  log: string | null;
}

export type CancelReason = 'user_cancel' | 'payment_timeout' | 'group_ended';
const CANCEL_NOTES: Record<CancelReason, string> = {
  user_cancel: '用户取消',
  payment_timeout: '超时未支付，已自动取消',
  group_ended: '拼团已结束，未支付订单已取消',
};

/**
 * What happens to an order after it was created: payment outcomes, cancellation, fulfilment and
 * refunds — the order module owns all of them. Every status move goes through the one lifecycle
 * helper (`move`), so replays, timers that fire twice and concurrent duplicates change state once;
 * each move writes its timeline row and its domain event in the same transaction.
 */
export class OrderOutcomes {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrderService,
    private readonly refunds: RefundService,
    private readonly coupons: OrderCoupons,
    private readonly participant: () => OrderParticipant,
    private readonly payments: () => OrderPaymentCloser,
  ) {}

  /**
   * A verified SUCCESS notification, in the caller's transaction. Exactly-once: the order moves
   * `pending_payment → paid` with a guarded update, so replays and concurrent duplicates change
   * nothing. The amount must match to the fen. A payment for an order that can no longer take it
   * (cancelled, its group failed or full) is refunded automatically — the shopper never pays for nothing.
   */
  async applyPayment(tx: ServiceContext, p: CapturedPayment): Promise<AppliedPayment> {
    const o = await this.orders.getByNo(tx, p.outTradeNo, true);
    if (!o) {
      tx.log.error({ outTradeNo: p.outTradeNo }, 'payment for an unknown order');
      return { outcome: 'unknown_order', orderId: null, log: 'unknown_order' };
    }
    if (p.amountTotal !== o.payableAmount) {
      tx.log.error({ orderId: o.id, expected: o.payableAmount, got: p.amountTotal }, 'payment amount mismatch; order left unchanged');
      return { outcome: 'amount_mismatch', orderId: o.id, log: 'amount_mismatch' };
    }
    if (o.transactionId === p.transactionId || (o.paidAt && o.status !== 'pending_payment')) return { outcome: 'duplicate', orderId: o.id, log: null };
    const paid = { paidAt: p.successTime, paidAmount: p.amountTotal, transactionId: p.transactionId };
    if (o.status === 'cancelled') {
      // Captured after we gave the order up: record it and give the money back.
      if (!(await move(tx, orderLifecycle, o.id, 'cancelled', 'refunding', { set: paid, note: '订单已关闭，支付将原路退回' }))) return { outcome: 'duplicate', orderId: o.id, log: null };
      await this.refunds.create(tx, o.id, p.amountTotal, 'late_payment');
      return { outcome: 'refunded', orderId: o.id, log: 'late_payment_refund' };
    }
    const moved = await move(tx, orderLifecycle, o.id, 'pending_payment', 'paid', {
      set: paid,
      note: '支付成功',
      events: [{ type: 'order.paid', aggregateType: 'order', aggregateId: o.id, payload: { orderId: o.id, userId: o.userId, kind: o.kind, campaignId: o.campaignId, groupId: o.groupId, paidAmount: p.amountTotal, paidAt: p.successTime.toISOString() } }],
    });
    if (!moved) return { outcome: 'duplicate', orderId: o.id, log: null };
    await this.coupons.markUsed(tx, o.id);
    const now: OrderRecord = { ...o, ...paid, status: 'paid' };
    const decision = await this.participant().onOrderPaid(tx, now, p.successTime);
    if (!decision.accept) {
      await this.refundPaid(tx, now, 'late_payment', '支付未能成团，自动退款');
      return { outcome: 'refunded', orderId: o.id, log: 'paid' };
    }
    await this.applyDecision(tx, decision);
    return { outcome: 'paid', orderId: o.id, log: 'paid' };
  }

  /**
   * Moves the decided orders on to fulfilment (`paid → to_fulfil`, event `order.fulfilment_ready`)
   * and refunds the free opener, in the caller's transaction. Group-buy calls this too when a group
   * completes virtually at its deadline.
   */
  async applyDecision(tx: ServiceContext, d: Pick<PaymentDecision, 'fulfil' | 'refundOpenerFree'>): Promise<void> {
    const rows = d.fulfil.length ? await tx.manager.find(OrderEntity, { where: { id: In(d.fulfil.map((f) => f.orderId)) } }) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const f of d.fulfil) {
      const o = byId.get(f.orderId);
      if (!o) continue;
      await move(tx, orderLifecycle, o.id, 'paid', 'to_fulfil', {
        note: f.note,
        events: [{ type: 'order.fulfilment_ready', aggregateType: 'order', aggregateId: o.id, payload: { orderId: o.id, userId: o.userId, kind: o.kind, campaignId: o.campaignId, groupId: o.groupId } }],
      });
    }
    if (d.refundOpenerFree) {
      // 团长免单: the opener paid up front and gets it back once the group succeeded; the goods still ship.
      const o = byId.get(d.refundOpenerFree) ?? (await this.orders.get(tx, d.refundOpenerFree));
      if (o?.paidAmount) await this.refunds.create(tx, o.id, o.paidAmount, 'opener_free');
    }
  }

  /**
   * The shopper cancels an unpaid order; its seat, stock, limits and coupon come back. The payment is
   * closed with the provider first, so a cancel racing a payment either wins cleanly (nothing was
   * charged) or loses to it (409 ORDER_ALREADY_PAID, the order is paid) — never charged-then-refunded.
   */
  async cancelByUser(ctx: ServiceContext, orderId: number): Promise<OrderView> {
    const row = await this.orders.mine(ctx, orderId);
    if (row.status !== 'pending_payment') throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, 'Only unpaid orders can be cancelled', { status: row.status });
    if ((await this.payments().closeBeforeCancel(ctx, row)) === 'paid') throw new DomainError(ErrorCode.ORDER_ALREADY_PAID, 'The order was paid meanwhile and cannot be cancelled');
    await this.cancelUnpaid(ctx, orderId, 'user_cancel', false);
    return this.orders.view(ctx, orderId);
  }

  /**
   * An unpaid order's deadline. Fires from its timer and from the sweeper; only the first guarded
   * cancel acts. The payment is closed first (as for a shopper's cancel); a provider that cannot be
   * reached throws, and the timer (after backoff) or the sweeper tries again.
   */
  async expireOrder(ctx: ServiceContext, orderId: number): Promise<boolean> {
    const o = await this.orders.get(ctx, orderId);
    if (!o || o.status !== 'pending_payment' || (o.payDeadlineAt && o.payDeadlineAt.getTime() > Date.now())) return false;
    if ((await this.payments().closeBeforeCancel(ctx, o)) === 'paid') return false;
    return this.cancelUnpaid(ctx, orderId, 'payment_timeout', true);
  }

  /** Cancels an unpaid order of a group that ended (group-buy's deadline), in its transaction. */
  async cancelForGroup(tx: ServiceContext, orderId: number): Promise<boolean> {
    const o = await this.orders.get(tx, orderId, true);
    return !!o && o.status === 'pending_payment' && this.cancelUnpaidInTx(tx, o, 'group_ended');
  }

  /** Refunds a paid order of a group that failed (group-buy's deadline), in its transaction. */
  async refundForGroup(tx: ServiceContext, orderId: number): Promise<boolean> {
    const o = await this.orders.get(tx, orderId, true);
    return !!o && o.status === 'paid' && this.refundPaid(tx, o, 'group_failed', '拼团失败，自动退款');
  }

  /** Backstop for lost timers: unpaid orders past their deadline, and refunds whose attempt is due. */
  async sweep(ctx: ServiceContext): Promise<{ orders: number; refunds: number }> {
    let orders = 0;
    for (const id of await this.orders.overdueUnpaid(ctx)) {
      try {
        if (await this.expireOrder(ctx, id)) orders++;
      } catch (err) {
        // One order whose payment cannot be closed now must not hold back the others.
        ctx.log.warn({ orderId: id, err: (err as Error).message }, 'overdue order not cancelled yet');
      }
    }
    let refunds = 0;
    for (const id of await this.refunds.due(ctx)) if ((await this.refunds.process(ctx, id)) === 'succeeded') refunds++;
    return { orders, refunds };
  }

  private async cancelUnpaid(ctx: ServiceContext, orderId: number, reason: CancelReason, onlyIfDue: boolean): Promise<boolean> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const o = await this.orders.get(tx, orderId, true);
      if (!o || o.status !== 'pending_payment') return false;
      if (onlyIfDue && o.payDeadlineAt && o.payDeadlineAt.getTime() > Date.now()) return false;
      return this.cancelUnpaidInTx(tx, o, reason);
    });
  }

  private async cancelUnpaidInTx(tx: ServiceContext, o: OrderRecord, reason: CancelReason): Promise<boolean> {
    const moved = await move(tx, orderLifecycle, o.id, 'pending_payment', 'cancelled', {
      set: { cancelReason: reason },
      note: CANCEL_NOTES[reason],
      events: [{ type: 'order.cancelled', aggregateType: 'order', aggregateId: o.id, payload: { orderId: o.id, userId: o.userId, kind: o.kind, campaignId: o.campaignId, groupId: o.groupId, reason } }],
    });
    if (!moved) return false;
    await this.coupons.release(tx, o.id);
    await this.participant().onOrderReleased(tx, o, 'cancelled');
    return true;
  }

  /** A paid order that cannot be served: refund it in full and give back its stock, limits and coupon. */
  private async refundPaid(tx: ServiceContext, o: OrderRecord, reason: Extract<RefundReason, 'group_failed' | 'late_payment'>, note: string): Promise<boolean> {
    if (!(await move(tx, orderLifecycle, o.id, 'paid', 'refunding', { note }))) return false;
    await this.refunds.create(tx, o.id, o.paidAmount ?? o.payableAmount, reason);
    await this.coupons.returnOnRefund(tx, o.id);
    await this.participant().onOrderReleased(tx, o, 'refunded');
    return true;
  }
}
