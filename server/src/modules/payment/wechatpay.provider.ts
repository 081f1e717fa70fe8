import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { assertPayable } from '@tuan/shared';
import type {
  PaymentConfig,
  PaymentProvider,
  PrepayInput,
  PrepayResult,
  RefundInput,
  RefundNotice,
  RefundResult,
  TransactionNotice,
  TransactionStatus,
} from './payment.provider';
import {
  buildAuthorization,
  buildJsapiPayParams,
  decryptResource,
  formatRfc3339,
  PaymentNotificationError,
  PlatformKeyring,
  toApiV3Key,
  toPrivateKey,
  verifyWechatpaySignature,
  type HeaderBag,
  type PlatformCert,
} from './wechatpay.crypto';

/**
 * A provider call that did not give a trustworthy answer. `code` is WeChat's own code when WeChat
 * answered (`PARAM_ERROR`, `ORDERPAID`, `NOT_ENOUGH`, …) or one of ours (`NETWORK_ERROR`, `TIMEOUT`,
 * `INVALID_RESPONSE`, `RESPONSE_SIGNATURE_INVALID`, `RESPONSE_SERIAL_UNKNOWN`,
 * `RESPONSE_TIMESTAMP_SKEW`). `retryable` means "the same request, with the same out_trade_no /
 * out_refund_no, may succeed later": 5xx, network failures, SYSTEM_ERROR and FREQUENCY_LIMITED.
 * A non-retryable refund error needs a person (or a query), not a loop.
 */
export class PaymentProviderError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    /** HTTP status WeChat answered with, when it answered. */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'PaymentProviderError';
  }
}

/** WeChat codes that mean "busy, try again" even when the HTTP status is not 5xx. */
const RETRYABLE_CODES = new Set(['SYSTEM_ERROR', 'FREQUENCY_LIMITED']);

const OUT_NO = /^[A-Za-z0-9_|*-]{6,64}$/;

/**
 * Rejects inputs WeChat would reject anyway, before a network round trip and identically for both
 * providers, so the sandbox cannot accept what production refuses.
 */
export function validatePrepayInput(input: PrepayInput, nowMs: number = Date.now()): void {
  const bad = (message: string) => new PaymentProviderError('PARAM_ERROR', message, false);
  if (!/^[A-Za-z0-9_|*-]{6,32}$/.test(input.outTradeNo)) throw bad('outTradeNo must be 6–32 of [A-Za-z0-9_|*-]');
  if (!Number.isSafeInteger(input.amountTotal) || input.amountTotal < 1) throw bad('amountTotal must be an integer number of fen ≥ 1');
  // More than `amount.total` (an int32) can carry is the payer's order being too large, not a
  // provider failure: AMOUNT_TOO_LARGE, which the API answers with a 422.
  assertPayable(input.amountTotal);
  if (!input.description || [...input.description].length > 127) throw bad('description must be 1–127 characters');
  if (!input.openid) throw bad('openid is required');
  if (!(input.expiresAt instanceof Date) || Number.isNaN(input.expiresAt.getTime())) throw bad('expiresAt must be a Date');
  if (input.expiresAt.getTime() <= nowMs) throw bad('expiresAt is already past');
  if (input.attach !== undefined && [...input.attach].length > 128) throw bad('attach must be ≤ 128 characters');
}

/** Same idea for refunds: amounts in whole fen, refund ≤ total, well-formed numbers. */
export function validateRefundInput(input: RefundInput): void {
  const bad = (message: string) => new PaymentProviderError('PARAM_ERROR', message, false);
  if (!/^[A-Za-z0-9_|*-]{6,32}$/.test(input.outTradeNo)) throw bad('outTradeNo must be 6–32 of [A-Za-z0-9_|*-]');
  if (!OUT_NO.test(input.outRefundNo)) throw bad('outRefundNo must be 6–64 of [A-Za-z0-9_|*-]');
  if (!Number.isSafeInteger(input.totalAmount) || input.totalAmount < 1) throw bad('totalAmount must be an integer number of fen ≥ 1');
  if (!Number.isSafeInteger(input.refundAmount) || input.refundAmount < 1 || input.refundAmount > input.totalAmount) {
    throw bad('refundAmount must be an integer number of fen in 1..totalAmount');
  }
  if (input.reason !== undefined && [...input.reason].length > 80) throw bad('reason must be ≤ 80 characters');
}

// ---------------------------------------------------------------------------------------------
// Notification schemas. Unknown fields are stripped (WeChat adds fields over time); the fields we
// act on are required and typed, so a plaintext that lacks them is MALFORMED, never half-believed.
// ---------------------------------------------------------------------------------------------

const Fen = z.number().int().nonnegative();
const Rfc3339 = z.iso.datetime({ offset: true });

const NotificationEnvelope = z.object({
  id: z.string().min(1),
  create_time: z.string(),
  resource_type: z.literal('encrypt-resource'),
  event_type: z.string().min(1),
  summary: z.string().optional(),
  resource: z.object({
    algorithm: z.literal('AEAD_AES_256_GCM'),
    ciphertext: z.string().min(1),
    associated_data: z.string().optional(),
    nonce: z.string().min(1),
    original_type: z.string(),
  }),
});

const TradeStateSchema = z.enum(['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR']);
const RefundStatusSchema = z.enum(['SUCCESS', 'PROCESSING', 'ABNORMAL', 'CLOSED']);

const TransactionResource = z.object({
  appid: z.string().min(1),
  mchid: z.string().min(1),
  out_trade_no: z.string().min(1),
  transaction_id: z.string().min(1),
  trade_type: z.string().optional(),
  trade_state: TradeStateSchema,
  trade_state_desc: z.string().optional(),
  attach: z.string().optional(),
  success_time: Rfc3339,
  payer: z.object({ openid: z.string().min(1) }),
  amount: z.object({
    total: Fen,
    payer_total: Fen,
    currency: z.literal('CNY'),
    payer_currency: z.string().optional(),
  }),
});

const RefundResource = z.object({
  mchid: z.string().min(1),
  out_trade_no: z.string().min(1),
  transaction_id: z.string().min(1),
  out_refund_no: z.string().min(1),
  refund_id: z.string().min(1),
  refund_status: RefundStatusSchema,
  success_time: Rfc3339.optional(),
  user_received_account: z.string().optional(),
  amount: z.object({ total: Fen, refund: Fen, payer_total: Fen, payer_refund: Fen }),
});

// Response schemas of the HTTP API (only the fields we use).
const PrepayResponse = z.object({ prepay_id: z.string().min(1) });

const RefundResponse = z.object({
  refund_id: z.string().min(1),
  out_refund_no: z.string().min(1),
  out_trade_no: z.string().min(1),
  transaction_id: z.string().optional(),
  user_received_account: z.string().optional(),
  success_time: Rfc3339.nullish(),
  create_time: Rfc3339.nullish(),
  status: RefundStatusSchema,
  amount: z.object({ total: Fen, refund: Fen }),
});

const TransactionResponse = z.object({
  out_trade_no: z.string().min(1),
  transaction_id: z.string().nullish(),
  trade_state: TradeStateSchema,
  success_time: Rfc3339.nullish(),
  payer: z.object({ openid: z.string().nullish() }).nullish(),
  amount: z.object({ total: Fen.nullish(), payer_total: Fen.nullish() }).nullish(),
});

const ErrorResponse = z.object({ code: z.string().min(1), message: z.string().optional() });

/**
 * Maps a refund as WeChat's API writes it (snake_case wire JSON) to our result; the sandbox stores
 * its refunds in the same wire shape so both providers map them here.
 */
export function refundResultFromWire(json: unknown): RefundResult {
  const parsed = RefundResponse.safeParse(json);
  if (!parsed.success) throw new PaymentProviderError('INVALID_RESPONSE', 'stored refund record is malformed', false);
  return toRefundResult(parsed.data);
}

function toRefundResult(r: z.infer<typeof RefundResponse>): RefundResult {
  return {
    outRefundNo: r.out_refund_no,
    outTradeNo: r.out_trade_no,
    refundId: r.refund_id,
    status: r.status,
    amountRefund: r.amount.refund,
    amountTotal: r.amount.total,
    successTime: r.success_time ? new Date(r.success_time) : null,
    createTime: r.create_time ? new Date(r.create_time) : null,
    userReceivedAccount: r.user_received_account ?? null,
  };
}

/** Same for a transaction query answer (also the sandbox's stored shape). */
export function transactionStatusFromWire(json: unknown): TransactionStatus {
  const parsed = TransactionResponse.safeParse(json);
  if (!parsed.success) throw new PaymentProviderError('INVALID_RESPONSE', 'stored transaction record is malformed', false);
  return toTransactionStatus(parsed.data);
}

function toTransactionStatus(t: z.infer<typeof TransactionResponse>): TransactionStatus {
  return {
    outTradeNo: t.out_trade_no,
    tradeState: t.trade_state,
    transactionId: t.transaction_id ?? null,
    amountTotal: t.amount?.total ?? null,
    payerTotal: t.amount?.payer_total ?? null,
    successTime: t.success_time ? new Date(t.success_time) : null,
    openid: t.payer?.openid ?? null,
  };
}

export interface NotificationParserOptions {
  platformCerts: ReadonlyArray<PlatformCert | { serial: string; publicKey: KeyObject }>;
  apiV3Key: string | Buffer;
  /** Clock for the five-minute timestamp window (tests). */
  now?: () => number;
}

/**
 * THE notification path, shared by the WeChat Pay and sandbox providers (they differ only in which
 * platform keys and APIv3 key they hand it): verify the signature over the raw bytes → parse the
 * envelope → check event and resource types → decrypt → schema-check the plaintext → typed result.
 * Each step fails with its own {@link PaymentNotificationError} reason.
 */
export class WechatpayNotificationParser {
  readonly #keyring: PlatformKeyring;
  readonly #apiV3Key: Buffer;
  readonly #now: () => number;

  constructor(opts: NotificationParserOptions) {
    this.#keyring = new PlatformKeyring(opts.platformCerts);
    this.#apiV3Key = toApiV3Key(opts.apiV3Key);
    this.#now = opts.now ?? Date.now;
  }

  async parseTransaction(headers: HeaderBag, rawBody: string | Buffer): Promise<TransactionNotice> {
    const { envelope, plaintext } = this.open(headers, rawBody, 'TRANSACTION.', 'transaction');
    const t = schemaCheck(TransactionResource, plaintext, 'transaction');
    return {
      notificationId: envelope.id,
      eventType: envelope.event_type,
      outTradeNo: t.out_trade_no,
      transactionId: t.transaction_id,
      tradeState: t.trade_state,
      amountTotal: t.amount.total,
      payerTotal: t.amount.payer_total,
      successTime: new Date(t.success_time),
      openid: t.payer.openid,
      mchid: t.mchid,
      appid: t.appid,
      attach: t.attach ?? null,
    };
  }

  async parseRefund(headers: HeaderBag, rawBody: string | Buffer): Promise<RefundNotice> {
    const { envelope, plaintext } = this.open(headers, rawBody, 'REFUND.', 'refund');
    const r = schemaCheck(RefundResource, plaintext, 'refund');
    return {
      notificationId: envelope.id,
      eventType: envelope.event_type,
      mchid: r.mchid,
      outTradeNo: r.out_trade_no,
      transactionId: r.transaction_id,
      outRefundNo: r.out_refund_no,
      refundId: r.refund_id,
      refundStatus: r.refund_status,
      successTime: r.success_time ? new Date(r.success_time) : null,
      amountTotal: r.amount.total,
      amountRefund: r.amount.refund,
      payerTotal: r.amount.payer_total,
      payerRefund: r.amount.payer_refund,
      userReceivedAccount: r.user_received_account ?? null,
    };
  }

  /**
   * Verified and decrypted, not yet schema-checked: for other v3 notifications (the payout module's
   * MCHTRANSFER.BILL.FINISHED), which check their own plaintext with {@link schemaCheck}.
   */
  open(
    headers: HeaderBag,
    rawBody: string | Buffer,
    eventPrefix: string,
    originalType: string,
  ): { envelope: z.infer<typeof NotificationEnvelope>; plaintext: unknown } {
    // Signature first, over the exact bytes received: nothing in an unverified body is looked at.
    verifyWechatpaySignature(headers, rawBody, this.#keyring, { nowMs: this.#now() });
    let json: unknown;
    try {
      json = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
    } catch {
      throw new PaymentNotificationError('MALFORMED', 'notification body is not JSON');
    }
    const envelope = schemaCheck(NotificationEnvelope, json, 'notification envelope');
    if (!envelope.event_type.startsWith(eventPrefix) || envelope.resource.original_type !== originalType) {
      throw new PaymentNotificationError(
        'MALFORMED',
        `expected a ${eventPrefix}* ${originalType} notification, got ${envelope.event_type.slice(0, 64)}`,
      );
    }
    const plainBytes = decryptResource(envelope.resource, this.#apiV3Key);
    let plaintext: unknown;
    try {
      plaintext = JSON.parse(plainBytes.toString('utf8'));
    } catch {
      throw new PaymentNotificationError('MALFORMED', 'decrypted resource is not JSON');
    }
    return { envelope, plaintext };
  }
}

/** Schema-checks a decrypted plaintext; MALFORMED naming the failing paths, never the values. */
export function schemaCheck<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    // Paths only, never values: the plaintext carries openids and amounts we do not want in logs.
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new PaymentNotificationError('MALFORMED', `${what} failed schema check at: ${fields}`);
  }
  return parsed.data;
}

export type WechatpayProviderOptions = Pick<
  PaymentConfig,
  | 'appId'
  | 'mchId'
  | 'merchantSerialNo'
  | 'merchantPrivateKeyPem'
  | 'platformCerts'
  | 'apiV3Key'
  | 'baseUrl'
  | 'notifyUrl'
  | 'refundNotifyUrl'
  | 'timeoutMs'
> & {
  /** Clock (tests). */
  now?: () => number;
};

const USER_AGENT = 'tuan-server/0.1 (WeChatPay-APIv3; node)';

/**
 * The real WeChat Pay API v3 provider over HTTPS. Every request carries the merchant signature;
 * every 2xx answer is believed only after its platform signature verified, because a prepay id or a
 * refund status we did not verify could be a forgery steering money.
 */
export class WechatpayProvider implements PaymentProvider {
  readonly name = 'wechatpay' as const;
  readonly #opts: Omit<WechatpayProviderOptions, 'merchantPrivateKeyPem' | 'apiV3Key' | 'platformCerts'>;
  readonly #merchantKey: KeyObject;
  readonly #client: WechatpayClient;
  readonly #parser: WechatpayNotificationParser;
  readonly #now: () => number;

  constructor(opts: WechatpayProviderOptions) {
    const { merchantPrivateKeyPem, apiV3Key, platformCerts, ...rest } = opts;
    if (!opts.appId || !opts.mchId || !opts.merchantSerialNo) throw new Error('wechatpay needs appId, mchId and merchantSerialNo');
    this.#opts = rest;
    this.#merchantKey = toPrivateKey(merchantPrivateKeyPem);
    this.#now = opts.now ?? Date.now;
    this.#client = new WechatpayClient({
      mchId: opts.mchId,
      merchantSerialNo: opts.merchantSerialNo,
      merchantPrivateKey: this.#merchantKey,
      keyring: new PlatformKeyring(platformCerts),
      baseUrl: opts.baseUrl,
      timeoutMs: opts.timeoutMs,
      now: this.#now,
    });
    this.#parser = new WechatpayNotificationParser({ platformCerts, apiV3Key, now: this.#now });
  }

  async createJsapiPrepay(input: PrepayInput): Promise<PrepayResult> {
    validatePrepayInput(input, this.#now());
    const body = {
      appid: this.#opts.appId,
      mchid: this.#opts.mchId,
      description: input.description,
      out_trade_no: input.outTradeNo,
      time_expire: formatRfc3339(input.expiresAt),
      ...(input.attach === undefined ? {} : { attach: input.attach }),
      notify_url: this.#opts.notifyUrl,
      amount: { total: input.amountTotal, currency: 'CNY' },
      payer: { openid: input.openid },
    };
    const res = await this.#client.request('POST', '/v3/pay/transactions/jsapi', body, PrepayResponse);
    const params = buildJsapiPayParams({
      appId: this.#opts.appId,
      prepayId: res.prepay_id,
      privateKey: this.#merchantKey,
      timeStamp: Math.floor(this.#now() / 1000).toString(),
    });
    return { ...params, prepayId: res.prepay_id };
  }

  async refund(input: RefundInput): Promise<RefundResult> {
    validateRefundInput(input);
    const body = {
      out_trade_no: input.outTradeNo,
      out_refund_no: input.outRefundNo,
      ...(input.reason ? { reason: input.reason } : {}),
      notify_url: this.#opts.refundNotifyUrl,
      amount: { refund: input.refundAmount, total: input.totalAmount, currency: 'CNY' },
    };
    return toRefundResult(await this.#client.request('POST', '/v3/refund/domestic/refunds', body, RefundResponse));
  }

  async queryRefund(outRefundNo: string): Promise<RefundResult> {
    if (!OUT_NO.test(outRefundNo)) throw new PaymentProviderError('PARAM_ERROR', 'malformed outRefundNo', false);
    const path = `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`;
    return toRefundResult(await this.#client.request('GET', path, undefined, RefundResponse));
  }

  async queryTransaction(outTradeNo: string): Promise<TransactionStatus> {
    if (!OUT_NO.test(outTradeNo)) throw new PaymentProviderError('PARAM_ERROR', 'malformed outTradeNo', false);
    const path = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(this.#opts.mchId)}`;
    return toTransactionStatus(await this.#client.request('GET', path, undefined, TransactionResponse));
  }

  async closeOrder(outTradeNo: string): Promise<void> {
    if (!OUT_NO.test(outTradeNo)) throw new PaymentProviderError('PARAM_ERROR', 'malformed outTradeNo', false);
    const path = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`;
    await this.#client.request('POST', path, { mchid: this.#opts.mchId }, null);
  }

  parseTransactionNotification(headers: HeaderBag, rawBody: string | Buffer): Promise<TransactionNotice> {
    return this.#parser.parseTransaction(headers, rawBody);
  }

  parseRefundNotification(headers: HeaderBag, rawBody: string | Buffer): Promise<RefundNotice> {
    return this.#parser.parseRefund(headers, rawBody);
  }
}

/**
 * One signed WeChat Pay v3 round trip, shared by the payment and payout providers: the merchant
 * `Authorization` over exactly the bytes sent, and every 2xx answer believed only after its platform
 * signature verified, because an answer we did not verify could be a forgery steering money.
 */
export class WechatpayClient {
  readonly #opts: { mchId: string; merchantSerialNo: string; baseUrl: string; timeoutMs: number };
  readonly #merchantKey: KeyObject;
  readonly #keyring: PlatformKeyring;
  readonly #now: () => number;

  constructor(opts: {
    mchId: string;
    merchantSerialNo: string;
    merchantPrivateKey: KeyObject;
    keyring: PlatformKeyring;
    baseUrl: string;
    timeoutMs: number;
    now?: () => number;
  }) {
    this.#opts = { mchId: opts.mchId, merchantSerialNo: opts.merchantSerialNo, baseUrl: opts.baseUrl.replace(/\/+$/, ''), timeoutMs: opts.timeoutMs };
    this.#merchantKey = opts.merchantPrivateKey;
    this.#keyring = opts.keyring;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * `schema` null means "no body expected" (204). `headers` adds request headers (e.g. `Wechatpay-Serial`
   * when a field is encrypted). Errors never include the request body or headers (they carry the
   * signature and personal data).
   */
  async request<T extends z.ZodType>(method: 'GET' | 'POST', path: string, body: unknown, schema: T, headers?: Record<string, string>): Promise<z.infer<T>>;
  async request(method: 'GET' | 'POST', path: string, body: unknown, schema: null, headers?: Record<string, string>): Promise<void>;
  async request(method: 'GET' | 'POST', path: string, body: unknown, schema: z.ZodType | null, headers: Record<string, string> = {}): Promise<unknown> {
    const url = `${this.#opts.baseUrl}${path}`;
    // WeChat signs over the absolute path and query exactly as the request line carries them.
    const parsedUrl = new URL(url);
    const signedUrl = parsedUrl.pathname + parsedUrl.search;
    const payload = body === undefined ? '' : JSON.stringify(body);
    const authorization = buildAuthorization({
      mchId: this.#opts.mchId,
      serialNo: this.#opts.merchantSerialNo,
      privateKey: this.#merchantKey,
      method,
      url: signedUrl,
      body: payload,
      timestamp: Math.floor(this.#now() / 1000).toString(),
    });
    const what = `${method} ${path.split('?')[0]}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#opts.timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: {
          Authorization: authorization,
          Accept: 'application/json',
          'User-Agent': USER_AGENT,
          ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}),
          ...headers,
        },
        ...(method === 'POST' ? { body: payload } : {}),
        signal: controller.signal,
      });
      text = await res.text();
    } catch (err) {
      if (controller.signal.aborted) {
        throw new PaymentProviderError('TIMEOUT', `WeChat Pay did not answer ${what} within ${this.#opts.timeoutMs} ms`, true);
      }
      throw new PaymentProviderError('NETWORK_ERROR', `WeChat Pay unreachable for ${what}: ${(err as Error).message}`, true);
    } finally {
      clearTimeout(timer);
    }

    if (res.status < 200 || res.status >= 300) throw errorFromResponse(res.status, text, what);

    try {
      verifyWechatpaySignature(res.headers, text, this.#keyring, { nowMs: this.#now() });
    } catch (err) {
      const reason = err instanceof PaymentNotificationError ? err.reason : 'SIGNATURE_INVALID';
      // Not retryable: a bad signature means misconfigured platform keys or tampering, which a loop
      // will not fix. The request may still have been accepted; the idempotent numbers make a
      // later retry or query safe once the keys are sorted out.
      throw new PaymentProviderError(`RESPONSE_${reason}`, `WeChat Pay answer to ${what} failed verification (${reason})`, false, res.status);
    }

    if (schema === null) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PaymentProviderError('INVALID_RESPONSE', `WeChat Pay answered ${what} with non-JSON`, false, res.status);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
      throw new PaymentProviderError('INVALID_RESPONSE', `WeChat Pay answer to ${what} lacks: ${fields}`, false, res.status);
    }
    return parsed.data;
  }
}

/** Maps a WeChat 4xx/5xx `{code, message}` to a typed error; retryable on 5xx and busy codes. */
function errorFromResponse(status: number, text: string, what: string): PaymentProviderError {
  let code = `HTTP_${status}`;
  let message = `WeChat Pay answered ${what} with HTTP ${status}`;
  try {
    const parsed = ErrorResponse.safeParse(JSON.parse(text));
    if (parsed.success) {
      code = parsed.data.code;
      if (parsed.data.message) message = `${what}: ${parsed.data.message.slice(0, 300)}`;
    }
  } catch {
    // Not JSON (a gateway page): keep the HTTP code.
  }
  const retryable = status >= 500 || status === 429 || RETRYABLE_CODES.has(code);
  return new PaymentProviderError(code, message, retryable, status);
}
