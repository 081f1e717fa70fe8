import { ErrorCode, type PayResponse } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { DomainError, NotFoundError } from '../../http/errors';
import type { OrderService } from '../order/order.service';
import { PaymentProviderError, SandboxPaymentProvider, type PaymentProvider } from './payment.provider';

/** Starting a payment for an order, and the sandbox's "模拟支付" button. */
export class PaymentService {
  constructor(
    private readonly provider: PaymentProvider,
    private readonly orders: OrderService,
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
    const [user] = await ctx.manager.query(`SELECT openid FROM users WHERE id = ?`, [order.user_id]);
    try {
      const r = await this.provider.createJsapiPrepay({
        outTradeNo: order.order_no,
        description: order.title.slice(0, 120),
        amountTotal: order.payable_amount,
        openid: user.openid,
        expiresAt: order.pay_deadline_at!,
      });
      return {
        provider: this.provider.name,
        orderId: order.id,
        payableAmount: order.payable_amount,
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
    const [user] = await ctx.manager.query(`SELECT openid FROM users WHERE id = ?`, [order.user_id]);
    return this.provider.simulatePay(order.order_no, order.payable_amount, { openid: user.openid, notifyUrl: this.notifyUrl() });
  }

  private async payableOrder(ctx: ServiceContext, orderId: number) {
    const order = await this.orders.row(ctx, orderId);
    if (!order || order.user_id !== userIdOf(ctx)) throw new NotFoundError(ErrorCode.ORDER_NOT_FOUND, 'Order not found');
    if (order.status !== 'pending_payment' || !order.pay_deadline_at || order.pay_deadline_at.getTime() <= Date.now()) {
      throw new DomainError(ErrorCode.ORDER_NOT_PAYABLE, 'This order cannot be paid now', { status: order.status });
    }
    return order;
  }
}
