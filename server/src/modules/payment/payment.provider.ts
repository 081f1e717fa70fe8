import type Redis from 'ioredis';
import type { HeaderBag, JsapiPayParams, PlatformCert } from './wechatpay.crypto';
import { ensureSandboxKeys, SandboxPaymentProvider } from './sandbox.provider';
import { PaymentNotificationError } from './wechatpay.crypto';
import { WechatpayProvider } from './wechatpay.provider';

/**
 * The payment provider seam. The order module talks only to {@link PaymentProvider}; which one runs
 * is configuration. Both implementations speak WeChat Pay API v3 on the notification side and share
 * one parser, so the sandbox exercises the same verification path as production and "the client
 * says it paid" is never a way in.
 *
 * Implementations import only types from this file, and this file imports them for the factory, so
 * there is no runtime import cycle.
 */

export type { HeaderBag, JsapiPayParams, PlatformCert } from './wechatpay.crypto';
export { PaymentNotificationError, type NotificationFailureReason } from './wechatpay.crypto';
export { PaymentProviderError, schemaCheck, WechatpayClient, WechatpayNotificationParser, WechatpayProvider } from './wechatpay.provider';
export {
  deliverNotification,
  digits,
  ensureSandboxKeys,
  loadSandboxKeys,
  SandboxPaymentProvider,
  type SandboxKeys,
  type SandboxProviderOptions,
  type SimulatePayOptions,
  type SimulateRefundNotificationOptions,
} from './sandbox.provider';

export type PaymentProviderName = 'sandbox' | 'wechatpay';

/**
 * Everything a provider needs. Secrets (merchant key, APIv3 key) live only here and in the provider's
 * private fields; nothing in this module logs or returns them.
 */
export interface PaymentConfig {
  provider: PaymentProviderName;
  /** Mini-program appid the payer pays in. */
  appId: string;
  mchId: string;
  /** Serial number of the merchant API certificate (goes into `Authorization`). */
  merchantSerialNo: string;
  merchantPrivateKeyPem: string;
  /** Platform keys WeChat signs with; several during a rotation. */
  platformCerts: PlatformCert[];
  /** 32-character APIv3 key. */
  apiV3Key: string;
  /** `https://api.mch.weixin.qq.com` in production; a local fake in tests. */
  baseUrl: string;
  /** Where WeChat POSTs TRANSACTION.SUCCESS (must be https and public in production). */
  notifyUrl: string;
  /** Where WeChat POSTs REFUND.* notifications. */
  refundNotifyUrl: string;
  /** Sandbox only: directory holding the sandbox's merchant/platform keys (created on first use). */
  sandboxKeyDir: string;
  /** Per-request HTTP timeout (and for the sandbox, the timeout of its notification POSTs). */
  timeoutMs: number;
}

/** Input of a JSAPI prepay: one per order payment attempt; WeChat dedupes on `outTradeNo`. */
export interface PrepayInput {
  /** Our order number, 6–32 of `[A-Za-z0-9_|*-]`, unique per merchant. */
  outTradeNo: string;
  /** What the payer sees in the WeChat bill (≤ 127 characters). */
  description: string;
  /** Amount in fen, ≥ 1. */
  amountTotal: number;
  /** The payer's openid under `appId`. */
  openid: string;
  /** After this instant WeChat refuses to take the money; set it to the order's payment deadline. */
  expiresAt: Date;
  /** Echoed back in the notification (≤ 128 characters); never trusted for amounts. */
  attach?: string;
}

/** What the mini-program passes to `Taro.requestPayment`; `sandbox` marks simulated payments. */
export interface PrepayResult extends JsapiPayParams {
  prepayId: string;
  sandbox?: true;
}

export type ProviderRefundStatus = 'SUCCESS' | 'PROCESSING' | 'ABNORMAL' | 'CLOSED';

export interface RefundInput {
  outTradeNo: string;
  /**
   * Our refund number: the idempotency key. Retrying with the same number never refunds twice, so a
   * refund record keeps its number for its whole life and every retry reuses it.
   */
  outRefundNo: string;
  /** Fen to give back, 1..totalAmount. */
  refundAmount: number;
  /** The original order amount in fen (WeChat checks it). */
  totalAmount: number;
  /** Shown to the payer (≤ 80 characters). */
  reason?: string;
}

export interface RefundResult {
  outRefundNo: string;
  outTradeNo: string;
  refundId: string;
  /** SUCCESS and CLOSED/ABNORMAL are final; PROCESSING waits for a notification or a query. */
  status: ProviderRefundStatus;
  amountRefund: number;
  amountTotal: number;
  /** Set once the money reached the payer. */
  successTime: Date | null;
  createTime: Date | null;
  /** e.g. '支付用户零钱'; informational. */
  userReceivedAccount: string | null;
}

export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

/** A verified, decrypted TRANSACTION.* notification. The caller still checks order and amount. */
export interface TransactionNotice {
  /** WeChat's notification id (the same across WeChat's retries of one notification). */
  notificationId: string;
  eventType: string;
  outTradeNo: string;
  transactionId: string;
  /** Only 'SUCCESS' means paid. */
  tradeState: TradeState;
  /** Order amount in fen as WeChat recorded it. */
  amountTotal: number;
  /** What the payer actually paid in fen (less than total when WeChat-side coupons applied). */
  payerTotal: number;
  successTime: Date;
  openid: string;
  mchid: string;
  appid: string;
  attach: string | null;
}

/** A verified, decrypted REFUND.* notification. */
export interface RefundNotice {
  notificationId: string;
  /** REFUND.SUCCESS | REFUND.ABNORMAL | REFUND.CLOSED */
  eventType: string;
  mchid: string;
  outTradeNo: string;
  transactionId: string;
  outRefundNo: string;
  refundId: string;
  refundStatus: ProviderRefundStatus;
  successTime: Date | null;
  amountTotal: number;
  amountRefund: number;
  payerTotal: number;
  payerRefund: number;
  userReceivedAccount: string | null;
}

/** Result of an active query, used before cancelling an unpaid order (a notification may be late). */
export interface TransactionStatus {
  outTradeNo: string;
  tradeState: TradeState;
  transactionId: string | null;
  amountTotal: number | null;
  payerTotal: number | null;
  successTime: Date | null;
  openid: string | null;
}

/**
 * One payment provider. Every method either returns a result WeChat (or the sandbox) vouched for, or
 * throws {@link PaymentProviderError} with `retryable` telling the caller whether trying again later
 * (with the same numbers) is the right move.
 */
export interface PaymentProvider {
  readonly name: PaymentProviderName;
  /** JSAPI prepay; the result goes to the client as-is. Repeating it for the same order is safe. */
  createJsapiPrepay(input: PrepayInput): Promise<PrepayResult>;
  /** Idempotent per `outRefundNo`. */
  refund(input: RefundInput): Promise<RefundResult>;
  queryRefund(outRefundNo: string): Promise<RefundResult>;
  queryTransaction(outTradeNo: string): Promise<TransactionStatus>;
  /**
   * Closes an unpaid order so it can no longer be paid; throws code 'ORDERPAID' if it was paid in the
   * meantime — the caller must then treat the order as paid, not cancel it.
   */
  closeOrder(outTradeNo: string): Promise<void>;
  /** Verify → decrypt → schema-check a payment notification. Throws PaymentNotificationError. */
  parseTransactionNotification(headers: HeaderBag, rawBody: string | Buffer): Promise<TransactionNotice>;
  /** Same for refund notifications. */
  parseRefundNotification(headers: HeaderBag, rawBody: string | Buffer): Promise<RefundNotice>;
}

/** Collaborators the config cannot carry. The sandbox keeps its refund ledger in Redis. */
export interface PaymentProviderDeps {
  redis?: Redis;
  /** Key prefix of the sandbox's Redis keys (default 'tuan:'). */
  redisPrefix?: string;
}

/**
 * Builds the configured provider. The sandbox is for development and tests: it creates its keys
 * under `sandboxKeyDir` on first start (shared by every process that uses the same directory) and
 * needs Redis; refusing it in production is the caller's configuration check.
 */
export async function createPaymentProvider(config: PaymentConfig, deps: PaymentProviderDeps = {}): Promise<PaymentProvider> {
  switch (config.provider) {
    case 'wechatpay':
      return new WechatpayProvider(config);
    case 'sandbox': {
      if (!deps.redis) throw new Error('the sandbox payment provider needs a Redis client');
      const keys = await ensureSandboxKeys(config.sandboxKeyDir);
      return new SandboxPaymentProvider({
        keys,
        appId: config.appId || 'wxsandbox0000000',
        mchId: config.mchId || '1900000000',
        notifyUrl: config.notifyUrl,
        refundNotifyUrl: config.refundNotifyUrl,
        timeoutMs: config.timeoutMs,
        redis: deps.redis,
        ...(deps.redisPrefix === undefined ? {} : { redisPrefix: deps.redisPrefix }),
      });
    }
    default: {
      const never: never = config.provider;
      throw new Error(`unknown payment provider ${String(never)}`);
    }
  }
}

/**
 * How to answer WeChat after handling a notification: 204 when done (including a harmless
 * duplicate), otherwise a 4xx/5xx with `{code:'FAIL'}` so WeChat retries later. Signature problems
 * are 401, undecryptable/malformed ones 400, anything else (our database down…) 500.
 */
export function notificationReply(error?: unknown): { status: number; body?: { code: 'FAIL'; message: string } } {
  if (error === undefined) return { status: 204 };
  const reason = error instanceof PaymentNotificationError ? error.reason : undefined;
  if (reason === 'SIGNATURE_INVALID' || reason === 'SERIAL_UNKNOWN' || reason === 'TIMESTAMP_SKEW') {
    return { status: 401, body: { code: 'FAIL', message: reason } };
  }
  if (reason === 'DECRYPT_FAILED' || reason === 'MALFORMED') return { status: 400, body: { code: 'FAIL', message: reason } };
  return { status: 500, body: { code: 'FAIL', message: 'temporarily unable to process' } };
}
