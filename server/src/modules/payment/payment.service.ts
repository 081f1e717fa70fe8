import type { DataSource } from 'typeorm';
import { ErrorCode, type PayResponse } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { withTransaction } from '../../core/transaction';
import { DomainError } from '../../http/errors';
import type { UserDirectory } from '../auth';
import type { AppliedPayment, OrderOutcomes, OrderRecord, OrderService } from '../order';
import { PaymentNotificationEntity } from './payment.entity';
import { PaymentProviderError, SandboxPaymentProvider, type PaymentProvider, type TransactionNotice } from './payment.provider';

/**
 * Payments: starting one for an order, the sandbox's "模拟支付" button, and applying verified
 * notifications. The payment module owns the notification log; what a payment does to the order is
 * the order module's decision (`OrderOutcomes.applyPayment`), taken in the same transaction.
 */
export class PaymentService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly provider: PaymentProvider,
    private readonly orders: OrderService,
    private readonly outcomes: OrderOutcomes,
    private readonly users: UserDirectory,
    private readonly notifyUrl: () => string,
    /** The mini-program's app id, which Taro.requestPayment needs beside the signed parameters. */
    private readonly appId: string,
  ) {}

  /**
   * JSAPI prepay for the owner's unpaid order. The client's word that it paid is never trusted: the
   * order moves only on the provider's signed notification.
   */
  async pay(ctx: ServiceContext, orderId: number): Promise<PayResponse> {
    const order = await this.payableOrder(ctx, orderId);
    try {
      const r = await this.provider.createJsapiPrepay({
        outTradeNo: order.orderNo,
        description: order.title.slice(0, 120),
        amountTotal: order.payableAmount,
        openid: (await this.users.openidOf(ctx, order.userId)) ?? '',
        expiresAt: order.payDeadlineAt!,
      });
      return {
        provider: this.provider.name,
        orderId: order.id,
        payableAmount: order.payableAmount,
        params: { appId: this.appId, timeStamp: r.timeStamp, nonceStr: r.nonceStr, package: r.package, signType: 'RSA', paySign: r.paySign },
        serverTime: new Date().toISOString(),
      };
    } catch (err) {
      if (err instanceof PaymentProviderError) throw new DomainError(ErrorCode.PAYMENT_PROVIDER_ERROR, 'Payment service is unavailable; retry shortly', { retryable: err.retryable });
      throw err;
    }
  }

  /** Development/test only: the sandbox pays the order by sending itself a signed notification. */
  async sandboxPay(ctx: ServiceContext, orderId: number): Promise<number> {
    if (!(this.provider instanceof SandboxPaymentProvider)) throw new DomainError(ErrorCode.SANDBOX_ONLY, 'Simulated payment exists only with the sandbox provider');
    const order = await this.payableOrder(ctx, orderId);
    try {
      // ifOpen: like a real payer, the sandbox cannot pay an order that was closed for cancelling.
      return await this.provider.simulatePay(order.orderNo, order.payableAmount, { openid: (await this.users.openidOf(ctx, order.userId)) ?? '', notifyUrl: this.notifyUrl(), ifOpen: true });
    } catch (err) {
      if (err instanceof PaymentProviderError && err.code === 'ORDER_CLOSED') throw new DomainError(ErrorCode.ORDER_NOT_PAYABLE, 'This order was closed and cannot be paid', { status: 'cancelled' });
      // The sandbox's own notification timed out or failed (an overloaded server): the same answer as
      // an unreachable WeChat Pay, never a 500. Paying again is safe: the notification is idempotent.
      if (err instanceof PaymentProviderError) throw new DomainError(ErrorCode.PAYMENT_PROVIDER_ERROR, 'Payment service is unavailable; retry shortly', { retryable: err.retryable });
      throw err;
    }
  }

  /**
   * Before an unpaid order is cancelled, the payment is closed with the provider, so it can no
   * longer be paid: the cancel then wins cleanly (no charge, no refund). If the provider says the
   * order was paid meanwhile, the payment wins: it is applied now from the provider's own answer
   * (the notification that follows is a duplicate) and the caller must not cancel. A provider that
   * cannot be reached makes the cancel fail (retryable), never half-happen.
   */
  async closeBeforeCancel(ctx: ServiceContext, order: OrderRecord): Promise<'closed' | 'paid'> {
    try {
      await this.provider.closeOrder(order.orderNo);
      return 'closed';
    } catch (err) {
      if (!(err instanceof PaymentProviderError)) throw err;
      if (err.code !== 'ORDERPAID') throw new DomainError(ErrorCode.PAYMENT_PROVIDER_ERROR, 'Payment service is unavailable; retry shortly', { retryable: err.retryable });
    }
    const t = await this.provider.queryTransaction(order.orderNo);
    if (t.tradeState === 'SUCCESS' && t.transactionId && t.amountTotal !== null && t.successTime) {
      await this.applyNotification(ctx, {
        notificationId: `query-${t.transactionId}`.slice(0, 64), eventType: 'TRANSACTION.SUCCESS', outTradeNo: order.orderNo, transactionId: t.transactionId,
        tradeState: 'SUCCESS', amountTotal: t.amountTotal, payerTotal: t.payerTotal ?? t.amountTotal, successTime: t.successTime,
      } as TransactionNotice);
    }
    return 'paid';
  }

  /**
   * A verified SUCCESS notification: the order module applies it and the outcome is logged in the
   * same transaction (a replay logs nothing new).
   */
  async applyNotification(ctx: ServiceContext, n: TransactionNotice): Promise<AppliedPayment> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const applied = await this.outcomes.applyPayment(tx, n);
      if (applied.log) {
        await tx.manager.insert(PaymentNotificationEntity, { notificationId: n.notificationId, outTradeNo: n.outTradeNo, transactionId: n.transactionId, amount: n.amountTotal, outcome: applied.log, createdAt: new Date() });
      }
      return applied;
    });
  }

  private async payableOrder(ctx: ServiceContext, orderId: number): Promise<OrderRecord> {
    const order = await this.orders.mine(ctx, orderId);
    if (order.status !== 'pending_payment' || !order.payDeadlineAt || order.payDeadlineAt.getTime() <= Date.now()) {
      throw new DomainError(ErrorCode.ORDER_NOT_PAYABLE, 'This order cannot be paid now', { status: order.status });
    }
    return order;
  }
}

