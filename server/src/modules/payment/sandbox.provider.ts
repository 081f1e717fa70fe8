import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type Redis from 'ioredis';
import { z } from 'zod';
import { assertPayable } from '@tuan/shared';
import type {
  PaymentProvider,
  PrepayInput,
  PrepayResult,
  RefundInput,
  RefundNotice,
  RefundResult,
  ProviderRefundStatus,
  TransactionNotice,
  TransactionStatus,
} from './payment.provider';
import {
  buildJsapiPayParams,
  formatRfc3339,
  randomAlphanumeric,
  sealNotification,
  signSha256Rsa,
  verifySha256Rsa,
  type HeaderBag,
  type SealedNotification,
} from './wechatpay.crypto';
import {
  PaymentProviderError,
  refundResultFromWire,
  transactionStatusFromWire,
  validatePrepayInput,
  validateRefundInput,
  WechatpayNotificationParser,
} from './wechatpay.provider';

const generateKeyPairAsync = promisify(generateKeyPair);

// ---------------------------------------------------------------------------------------------
// Sandbox keys
// ---------------------------------------------------------------------------------------------

/**
 * The sandbox's stand-ins for the merchant certificate, the WeChat platform certificate and the
 * APIv3 key. Development keys only — but still never logged or returned by the API.
 */
export interface SandboxKeys {
  merchantSerialNo: string;
  merchantPrivateKey: KeyObject;
  merchantPublicKey: KeyObject;
  platformSerialNo: string;
  platformPrivateKey: KeyObject;
  platformPublicKey: KeyObject;
  apiV3Key: Buffer;
}

const KEYS_FILE = 'sandbox-keys.json';

const KeysFile = z.object({
  version: z.literal(1),
  merchantSerialNo: z.string().regex(/^[0-9A-F]{40}$/),
  platformSerialNo: z.string().regex(/^[0-9A-F]{40}$/),
  apiV3Key: z.string().length(32),
  files: z.object({
    merchantPrivateKey: z.string(),
    merchantPublicKey: z.string(),
    platformPrivateKey: z.string(),
    platformPublicKey: z.string(),
  }),
  createdAt: z.string(),
});
type KeysFile = z.infer<typeof KeysFile>;

/**
 * Loads the sandbox keys written by {@link ensureSandboxKeys}. `sandbox-keys.json` is the commit
 * point: it only ever appears complete, and it names the PEM files of its own key set.
 */
export async function loadSandboxKeys(dir: string): Promise<SandboxKeys> {
  const raw = await fs.readFile(path.join(dir, KEYS_FILE), 'utf8');
  const parsed = KeysFile.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`${path.join(dir, KEYS_FILE)} is not a sandbox key file`);
  const meta = parsed.data;
  const read = (name: string) => {
    if (path.basename(name) !== name) throw new Error(`sandbox key file name ${name} is not a plain file name`);
    return fs.readFile(path.join(dir, name), 'utf8');
  };
  const [mPriv, mPub, pPriv, pPub] = await Promise.all([
    read(meta.files.merchantPrivateKey),
    read(meta.files.merchantPublicKey),
    read(meta.files.platformPrivateKey),
    read(meta.files.platformPublicKey),
  ]);
  const keys: SandboxKeys = {
    merchantSerialNo: meta.merchantSerialNo,
    merchantPrivateKey: createPrivateKey(mPriv),
    merchantPublicKey: createPublicKey(mPub),
    platformSerialNo: meta.platformSerialNo,
    platformPrivateKey: createPrivateKey(pPriv),
    platformPublicKey: createPublicKey(pPub),
    apiV3Key: Buffer.from(meta.apiV3Key, 'utf8'),
  };
  // A mismatched pair would only show up as "signature invalid" on the first payment; fail here.
  for (const [priv, pub, which] of [
    [keys.merchantPrivateKey, keys.merchantPublicKey, 'merchant'],
    [keys.platformPrivateKey, keys.platformPublicKey, 'platform'],
  ] as const) {
    if (!verifySha256Rsa('sandbox-key-check', signSha256Rsa('sandbox-key-check', priv), pub)) {
      throw new Error(`sandbox ${which} key pair in ${dir} does not match`);
    }
  }
  return keys;
}

/**
 * Returns the sandbox keys under `dir`, creating them the first time. Several processes may start
 * at once with the same directory: each writes its candidate PEMs under serial-numbered names, then
 * publishes its `sandbox-keys.json` with a hard link from a temp file, which (unlike rename) never
 * overwrites. Exactly one candidate wins; the others delete their files and load the winner's, so all
 * processes sign and verify with the same keys.
 */
export async function ensureSandboxKeys(dir: string): Promise<SandboxKeys> {
  try {
    return await loadSandboxKeys(dir);
  } catch (err) {
    // Create only when the key file itself is missing; a key file naming a missing PEM is damage
    // to report, not something to paper over with new keys other processes would not share.
    const keyFileExists = await fs.access(path.join(dir, KEYS_FILE)).then(() => true, () => false);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || keyFileExists) throw err;
  }
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });

  const rsa = () =>
    generateKeyPairAsync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
  const [merchant, platform] = await Promise.all([rsa(), rsa()]);
  const merchantSerialNo = randomBytes(20).toString('hex').toUpperCase();
  const platformSerialNo = randomBytes(20).toString('hex').toUpperCase();
  const meta: KeysFile = {
    version: 1,
    merchantSerialNo,
    platformSerialNo,
    apiV3Key: randomAlphanumeric(32),
    files: {
      merchantPrivateKey: `merchant-${merchantSerialNo}.key.pem`,
      merchantPublicKey: `merchant-${merchantSerialNo}.pub.pem`,
      platformPrivateKey: `platform-${platformSerialNo}.key.pem`,
      platformPublicKey: `platform-${platformSerialNo}.pub.pem`,
    },
    createdAt: new Date().toISOString(),
  };
  const contents: Array<[string, string]> = [
    [meta.files.merchantPrivateKey, merchant.privateKey],
    [meta.files.merchantPublicKey, merchant.publicKey],
    [meta.files.platformPrivateKey, platform.privateKey],
    [meta.files.platformPublicKey, platform.publicKey],
  ];
  const ours = contents.map(([name]) => path.join(dir, name));
  for (const [name, pem] of contents) await writeAtomically(path.join(dir, name), pem);

  const tmp = path.join(dir, `.${KEYS_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFileSynced(tmp, JSON.stringify(meta, null, 2) + '\n');
  let won = false;
  try {
    await fs.link(tmp, path.join(dir, KEYS_FILE));
    won = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await fs.rm(tmp, { force: true });
    if (!won) await Promise.all(ours.map((f) => fs.rm(f, { force: true })));
  }
  return loadSandboxKeys(dir);
}

async function writeFileSynced(file: string, data: string): Promise<void> {
  const handle = await fs.open(file, 'wx', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** temp + rename: a reader never sees half a PEM. */
async function writeAtomically(file: string, data: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFileSynced(tmp, data);
  await fs.rename(tmp, file);
}

// ---------------------------------------------------------------------------------------------
// Sandbox provider
// ---------------------------------------------------------------------------------------------

export interface SandboxProviderOptions {
  keys: SandboxKeys;
  appId: string;
  mchId: string;
  notifyUrl: string;
  refundNotifyUrl: string;
  /** Timeout of the notification POSTs. */
  timeoutMs: number;
  redis: Redis;
  /** Prefix of every Redis key (default 'tuan:'); keys are `<prefix>sandbox:refund:{<out_refund_no>}`. */
  redisPrefix?: string;
  now?: () => number;
}

export interface SimulatePayOptions {
  openid?: string;
  /** What the payer paid, if WeChat-side discounts applied (default: amount). */
  payerTotal?: number;
  /** Default: a transaction id derived from mchid + out_trade_no, so a replay repeats it. */
  transactionId?: string;
  attach?: string;
  successTime?: Date;
  /** Default: the configured notify URL. */
  notifyUrl?: string;
  /**
   * Like a real payer: refuse (ORDER_CLOSED) if the order was closed first — atomically, so a close
   * and a payment racing each other end with exactly one of them. Off by default so tests can still
   * play stray payments for closed orders.
   */
  ifOpen?: boolean;
}

// Records the payment unless the order was closed: one atomic step against closeOrder's SET NX.
const PAY_IF_OPEN = `
local v = redis.call('GET', KEYS[1])
if v and string.find(v, '"trade_state":"CLOSED"', 1, true) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
`;

export interface SimulateRefundNotificationOptions {
  /** REFUND.SUCCESS by default; ABNORMAL/CLOSED exercise the failure paths. */
  status?: Exclude<ProviderRefundStatus, 'PROCESSING'>;
  notifyUrl?: string;
}

/** Refunds and simulated payments are remembered for 30 days — long enough for any test or demo. */
const STATE_TTL_SEC = 30 * 24 * 3600;

/**
 * Development/test provider. Prepay answers in the same shape as WeChat (signed with the sandbox
 * merchant key) plus `sandbox: true`; payment only happens when something calls {@link simulatePay},
 * which POSTs a notification built exactly like WeChat's to the server's own notify URL — so the
 * order module's one notification path is what marks orders paid, in development as in production.
 */
export class SandboxPaymentProvider implements PaymentProvider {
  readonly name = 'sandbox' as const;
  readonly #keys: SandboxKeys;
  readonly #opts: Omit<SandboxProviderOptions, 'keys' | 'redis'>;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #parser: WechatpayNotificationParser;

  constructor(opts: SandboxProviderOptions) {
    const { keys, redis, ...rest } = opts;
    this.#keys = keys;
    this.#redis = redis;
    this.#opts = rest;
    this.#prefix = opts.redisPrefix ?? 'tuan:';
    this.#now = opts.now ?? Date.now;
    this.#parser = new WechatpayNotificationParser({
      platformCerts: [{ serial: keys.platformSerialNo, publicKey: keys.platformPublicKey }],
      apiV3Key: keys.apiV3Key,
      now: this.#now,
    });
  }

  /** The platform serial this sandbox signs with (public information, like WeChat's). */
  get platformSerialNo(): string {
    return this.#keys.platformSerialNo;
  }

  async createJsapiPrepay(input: PrepayInput): Promise<PrepayResult> {
    validatePrepayInput(input, this.#now());
    const prepayId = `sbx${randomBytes(16).toString('hex')}`;
    const params = buildJsapiPayParams({
      appId: this.#opts.appId,
      prepayId,
      privateKey: this.#keys.merchantPrivateKey,
      timeStamp: Math.floor(this.#now() / 1000).toString(),
    });
    return { ...params, prepayId, sandbox: true };
  }

  /** Deterministic per merchant and order, like WeChat's one transaction per paid order. */
  transactionIdFor(outTradeNo: string): string {
    return `4200${digits(`${this.#opts.mchId}:txn:${outTradeNo}`, 24)}`;
  }

  /** A TRANSACTION.SUCCESS notification, signed and sealed exactly like WeChat's (not sent). */
  buildTransactionNotification(outTradeNo: string, amount: number, opts: SimulatePayOptions = {}): SealedNotification {
    const nowMs = this.#now();
    const plaintext = {
      appid: this.#opts.appId,
      mchid: this.#opts.mchId,
      out_trade_no: outTradeNo,
      transaction_id: opts.transactionId ?? this.transactionIdFor(outTradeNo),
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      ...(opts.attach === undefined ? {} : { attach: opts.attach }),
      success_time: formatRfc3339(opts.successTime ?? new Date(nowMs)),
      payer: { openid: opts.openid ?? 'sandbox-openid' },
      amount: { total: amount, payer_total: opts.payerTotal ?? amount, currency: 'CNY', payer_currency: 'CNY' },
    };
    return sealNotification({
      eventType: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      originalType: 'transaction',
      plaintext,
      apiV3Key: this.#keys.apiV3Key,
      platformSerial: this.#keys.platformSerialNo,
      platformPrivateKey: this.#keys.platformPrivateKey,
      nowMs,
    });
  }

  /**
   * Pretends the payer paid: records the payment (so queryTransaction sees it) and POSTs the
   * notification to the notify URL. Returns the HTTP status the server answered with. It does not
   * refuse closed or unknown orders on purpose, so tests can play late and stray payments.
   */
  async simulatePay(outTradeNo: string, amount: number, opts: SimulatePayOptions = {}): Promise<number> {
    if (!Number.isSafeInteger(amount) || amount < 1) throw new PaymentProviderError('PARAM_ERROR', 'amount must be fen ≥ 1', false);
    assertPayable(amount); // WeChat's `amount.total` is an int32 of fen; the sandbox pays no more than it would
    // One success time for both the record and the notification.
    const successTime = opts.successTime ?? new Date(this.#now());
    const note = this.buildTransactionNotification(outTradeNo, amount, { ...opts, successTime });
    const record = {
      out_trade_no: outTradeNo,
      transaction_id: opts.transactionId ?? this.transactionIdFor(outTradeNo),
      trade_state: 'SUCCESS',
      success_time: formatRfc3339(successTime),
      payer: { openid: opts.openid ?? 'sandbox-openid' },
      amount: { total: amount, payer_total: opts.payerTotal ?? amount },
    };
    if (opts.ifOpen) {
      const paid = Number(await this.#redis.eval(PAY_IF_OPEN, 1, this.#txnKey(outTradeNo), JSON.stringify(record), String(STATE_TTL_SEC)));
      if (paid !== 1) throw new PaymentProviderError('ORDER_CLOSED', 'order closed', false, 400);
    } else {
      await this.#redis.set(this.#txnKey(outTradeNo), JSON.stringify(record), 'EX', STATE_TTL_SEC);
    }
    return this.#post(opts.notifyUrl ?? this.#opts.notifyUrl, note);
  }

  /**
   * Refunds at once with status SUCCESS. The refund number is the idempotency key: the first call
   * stores the refund (SET NX — atomic across processes), later calls return the stored one; the
   * same number with different amounts is refused like WeChat does. Does not track the sum refunded
   * per order (the order module's refund records own that rule).
   */
  async refund(input: RefundInput): Promise<RefundResult> {
    validateRefundInput(input);
    const key = this.#refundKey(input.outRefundNo);
    const nowIso = formatRfc3339(new Date(this.#now()));
    const record = {
      refund_id: `5030${digits(`${this.#opts.mchId}:refund:${input.outRefundNo}`, 25)}`,
      out_refund_no: input.outRefundNo,
      out_trade_no: input.outTradeNo,
      transaction_id: this.transactionIdFor(input.outTradeNo),
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      create_time: nowIso,
      success_time: nowIso,
      status: 'SUCCESS',
      amount: {
        total: input.totalAmount,
        refund: input.refundAmount,
        payer_total: input.totalAmount,
        payer_refund: input.refundAmount,
        currency: 'CNY',
      },
    };
    const created = await this.#redis.set(key, JSON.stringify(record), 'EX', STATE_TTL_SEC, 'NX');
    if (created === 'OK') return refundResultFromWire(record);
    const existing = await this.#redis.get(key);
    if (existing === null) throw new PaymentProviderError('SYSTEM_ERROR', 'sandbox refund vanished; retry', true);
    const stored = refundResultFromWire(JSON.parse(existing));
    if (
      stored.outTradeNo !== input.outTradeNo ||
      stored.amountRefund !== input.refundAmount ||
      stored.amountTotal !== input.totalAmount
    ) {
      throw new PaymentProviderError('INVALID_REQUEST', 'out_refund_no already used with different parameters', false, 400);
    }
    return stored;
  }

  async queryRefund(outRefundNo: string): Promise<RefundResult> {
    const stored = await this.#redis.get(this.#refundKey(outRefundNo));
    if (stored === null) throw new PaymentProviderError('RESOURCE_NOT_EXISTS', 'no such refund', false, 404);
    return refundResultFromWire(JSON.parse(stored));
  }

  async queryTransaction(outTradeNo: string): Promise<TransactionStatus> {
    const stored = await this.#redis.get(this.#txnKey(outTradeNo));
    if (stored === null) {
      return { outTradeNo, tradeState: 'NOTPAY', transactionId: null, amountTotal: null, payerTotal: null, successTime: null, openid: null };
    }
    return transactionStatusFromWire(JSON.parse(stored));
  }

  /** Like WeChat: closing a paid order fails with ORDERPAID; closing twice is fine. */
  async closeOrder(outTradeNo: string): Promise<void> {
    const key = this.#txnKey(outTradeNo);
    const closed = JSON.stringify({ out_trade_no: outTradeNo, trade_state: 'CLOSED' });
    if ((await this.#redis.set(key, closed, 'EX', STATE_TTL_SEC, 'NX')) === 'OK') return;
    const stored = await this.#redis.get(key);
    if (stored !== null && transactionStatusFromWire(JSON.parse(stored)).tradeState === 'SUCCESS') {
      throw new PaymentProviderError('ORDERPAID', 'order already paid', false, 400);
    }
  }

  /** A REFUND.* notification for a refund this sandbox made, signed and sealed like WeChat's. */
  async buildRefundNotification(outRefundNo: string, opts: SimulateRefundNotificationOptions = {}): Promise<SealedNotification> {
    const refund = await this.queryRefund(outRefundNo);
    const status = opts.status ?? 'SUCCESS';
    const plaintext = {
      mchid: this.#opts.mchId,
      out_trade_no: refund.outTradeNo,
      transaction_id: this.transactionIdFor(refund.outTradeNo),
      out_refund_no: refund.outRefundNo,
      refund_id: refund.refundId,
      refund_status: status,
      ...(status === 'SUCCESS' ? { success_time: formatRfc3339(refund.successTime ?? new Date(this.#now())) } : {}),
      user_received_account: refund.userReceivedAccount ?? '支付用户零钱',
      amount: { total: refund.amountTotal, refund: refund.amountRefund, payer_total: refund.amountTotal, payer_refund: refund.amountRefund },
    };
    return sealNotification({
      eventType: `REFUND.${status}`,
      summary: status === 'SUCCESS' ? '退款成功' : status === 'CLOSED' ? '退款关闭' : '退款异常',
      originalType: 'refund',
      plaintext,
      apiV3Key: this.#keys.apiV3Key,
      platformSerial: this.#keys.platformSerialNo,
      platformPrivateKey: this.#keys.platformPrivateKey,
      nowMs: this.#now(),
    });
  }

  /** POSTs the refund notification to the refund notify URL; returns the HTTP status. */
  async simulateRefundNotification(outRefundNo: string, opts: SimulateRefundNotificationOptions = {}): Promise<number> {
    const note = await this.buildRefundNotification(outRefundNo, opts);
    return this.#post(opts.notifyUrl ?? this.#opts.refundNotifyUrl, note);
  }

  parseTransactionNotification(headers: HeaderBag, rawBody: string | Buffer): Promise<TransactionNotice> {
    return this.#parser.parseTransaction(headers, rawBody);
  }

  parseRefundNotification(headers: HeaderBag, rawBody: string | Buffer): Promise<RefundNotice> {
    return this.#parser.parseRefund(headers, rawBody);
  }

  #refundKey(outRefundNo: string): string {
    return `${this.#prefix}sandbox:refund:{${outRefundNo}}`;
  }

  #txnKey(outTradeNo: string): string {
    return `${this.#prefix}sandbox:txn:{${outTradeNo}}`;
  }

  #post(url: string, note: SealedNotification): Promise<number> {
    return deliverNotification(url, note, this.#opts.timeoutMs);
  }
}

/**
 * POSTs a sealed notification the way WeChat does and returns the HTTP status answered; used by the
 * sandboxes of payments and payouts. Throws PaymentProviderError TIMEOUT/NETWORK_ERROR (retryable).
 */
export async function deliverNotification(url: string, note: SealedNotification, timeoutMs: number): Promise<number> {
  if (!url) throw new PaymentProviderError('PARAM_ERROR', 'no notify URL configured', false);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...note.headers, 'User-Agent': 'Mozilla/4.0 (sandbox; WechatPay notification)' },
      body: note.body,
      signal: controller.signal,
    });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    const code = controller.signal.aborted ? 'TIMEOUT' : 'NETWORK_ERROR';
    throw new PaymentProviderError(code, `sandbox notification to the notify URL failed: ${(err as Error).message}`, true);
  } finally {
    clearTimeout(timer);
  }
}

/** `n` decimal digits derived from a hash: stable ids that look like WeChat's numeric ones. */
export function digits(seed: string, n: number): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return BigInt(`0x${hex}`).toString().padStart(n, '0').slice(0, n);
}
