import {
  createCipheriv,
  createSign,
  createVerify,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for WeChat Pay API v3, for tests. It is written straight on node:crypto, not on
 * the code under test, so a mistake in our signing or sealing cannot hide by being made twice.
 *
 * It checks the merchant `Authorization` signature on every request (401 SIGN_ERROR otherwise),
 * answers JSAPI prepay, order query/close and refunds (idempotent per out_refund_no), signs every
 * response with its platform key, and can be told to fail or delay, or to forge the next answers.
 */
export interface FakeWechatpayOptions {
  mchId: string;
  merchantSerialNo: string;
  merchantPublicKey: KeyObject;
  platformSerial: string;
  platformPrivateKey: KeyObject;
  /** 32-byte APIv3 key, for the notifications the fake sends. */
  apiV3Key: string | Buffer;
}

export interface FakeRequest {
  method: string;
  url: string;
  body: unknown;
  authorized: boolean;
}

type Wire = Record<string, unknown>;

export interface FakeWechatpay {
  readonly baseUrl: string;
  /** Every request received, in order. */
  readonly requests: FakeRequest[];
  /** Refunds by out_refund_no, in WeChat's wire shape. */
  readonly refunds: Map<string, Wire>;
  /** How many refunds were actually created (a replay of a refund number does not count). */
  refundsCreated(): number;
  /** The next `n` refund requests fail with HTTP 500 SYSTEM_ERROR, or are accepted as PROCESSING. */
  failNextRefunds(n: number, mode: 'SYSTEM_ERROR' | 'PROCESSING'): void;
  /** Moves a PROCESSING refund to SUCCESS (as WeChat does later). */
  completeRefund(outRefundNo: string): void;
  /** The next `n` answers are signed with a key that is not the platform key. */
  forgeNextResponses(n: number): void;
  /** The next answer is held back `ms` milliseconds. */
  delayNextResponse(ms: number): void;
  /** Marks an order paid, as if the payer had paid. */
  markPaid(outTradeNo: string, openid?: string): Wire;
  /** POSTs a signed, sealed notification to `url`; resolves with the HTTP status answered. */
  sendNotification(
    url: string,
    n: { eventType: string; originalType: 'transaction' | 'refund'; plaintext: unknown; summary?: string },
  ): Promise<number>;
  close(): Promise<void>;
}

const AUTH = /^WECHATPAY2-SHA256-RSA2048 (.+)$/;

export function chinaTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19) + '+08:00';
}

function signWith(key: KeyObject, message: string | Buffer): string {
  return createSign('RSA-SHA256').update(message).sign(key, 'base64');
}

/** A loopback HTTP server handing each request, body read whole, to `route`; for the WeChat fakes. */
export async function serveFake(
  route: (req: http.IncomingMessage, res: http.ServerResponse, raw: string) => Promise<void>,
): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      route(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Checks a merchant's v3 `Authorization` as WeChat does; null when it is good, else why not. */
export function checkMerchantAuthorization(
  req: http.IncomingMessage,
  body: string,
  merchant: { mchId: string; merchantSerialNo: string; merchantPublicKey: KeyObject },
): string | null {
  const m = AUTH.exec(req.headers.authorization ?? '');
  if (!m) return 'missing or non-v3 Authorization';
  const f: Record<string, string> = {};
  for (const kv of m[1]!.matchAll(/(\w+)="([^"]*)"/g)) f[kv[1]!] = kv[2]!;
  if (f.mchid !== merchant.mchId) return 'mchid mismatch';
  if (f.serial_no !== merchant.merchantSerialNo) return 'serial_no mismatch';
  if (!f.timestamp || Math.abs(Date.now() / 1000 - Number(f.timestamp)) > 300) return 'timestamp out of range';
  if (!f.nonce_str || !f.signature) return 'nonce_str/signature missing';
  const message = `${req.method}\n${req.url}\n${f.timestamp}\n${f.nonce_str}\n${body}\n`;
  const ok = createVerify('RSA-SHA256').update(message).verify(merchant.merchantPublicKey, f.signature, 'base64');
  return ok ? null : 'signature mismatch';
}

/** The `Wechatpay-*` headers of a platform-signed answer or notification. */
export function platformSignatureHeaders(key: KeyObject, serial: string, body: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const nonce = randomBytes(16).toString('hex');
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Serial': serial,
    'Wechatpay-Signature': signWith(key, `${timestamp}\n${nonce}\n${body}\n`),
  };
}

/** POSTs a notification as WeChat does: envelope, AES-256-GCM resource, platform signature. */
export async function postSealedNotification(
  url: string,
  n: { eventType: string; originalType: string; plaintext: unknown; summary: string; id?: string },
  keys: { apiV3Key: Buffer; platformSerial: string; platformPrivateKey: KeyObject },
): Promise<number> {
  const nonce = randomBytes(9).toString('base64').replace(/[+/]/g, 'x').slice(0, 12);
  const cipher = createCipheriv('aes-256-gcm', keys.apiV3Key, Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(n.originalType, 'utf8'));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(n.plaintext), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const body = JSON.stringify({
    id: n.id ?? randomUUID(),
    create_time: chinaTime(Date.now()),
    resource_type: 'encrypt-resource',
    event_type: n.eventType,
    summary: n.summary,
    resource: {
      original_type: n.originalType,
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: sealed.toString('base64'),
      associated_data: n.originalType,
      nonce,
    },
  });
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...platformSignatureHeaders(keys.platformPrivateKey, keys.platformSerial, body) },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

export async function startFakeWechatpay(opts: FakeWechatpayOptions): Promise<FakeWechatpay> {
  const apiV3Key = Buffer.isBuffer(opts.apiV3Key) ? opts.apiV3Key : Buffer.from(opts.apiV3Key, 'utf8');
  const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const requests: FakeRequest[] = [];
  const refunds = new Map<string, Wire>();
  const orders = new Map<string, Wire>();
  const prepays = new Map<string, string>();
  let created = 0;
  let failNext = 0;
  let failMode: 'SYSTEM_ERROR' | 'PROCESSING' = 'SYSTEM_ERROR';
  let forgeNext = 0;
  let delayNext = 0;

  function checkAuthorization(req: http.IncomingMessage, body: string): string | null {
    return checkMerchantAuthorization(req, body, opts);
  }

  async function answer(res: http.ServerResponse, status: number, payload?: unknown): Promise<void> {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const key = forgeNext > 0 ? (forgeNext--, forger) : opts.platformPrivateKey;
    const headers: http.OutgoingHttpHeaders = { 'Request-ID': randomUUID(), ...platformSignatureHeaders(key, opts.platformSerial, body) };
    if (body) headers['Content-Type'] = 'application/json; charset=utf-8';
    if (delayNext > 0) {
      const ms = delayNext;
      delayNext = 0;
      await new Promise((r) => setTimeout(r, ms));
    }
    if (res.destroyed) return;
    res.writeHead(status, headers);
    res.end(body);
  }

  const paramError = (message: string) => ({ code: 'PARAM_ERROR', message });

  async function route(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    let body: Wire = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Wire;
      } catch {
        return answer(res, 400, paramError('body is not JSON'));
      }
    }
    const authError = checkAuthorization(req, raw);
    requests.push({ method: req.method ?? '', url: req.url ?? '', body: raw ? body : undefined, authorized: authError === null });
    if (authError) return answer(res, 401, { code: 'SIGN_ERROR', message: authError });

    const url = new URL(req.url ?? '/', 'http://fake');
    const p = url.pathname;
    let m: RegExpExecArray | null;

    if (req.method === 'POST' && p === '/v3/pay/transactions/jsapi') {
      const amount = body.amount as { total?: unknown; currency?: unknown } | undefined;
      const payer = body.payer as { openid?: unknown } | undefined;
      const outTradeNo = body.out_trade_no;
      if (body.mchid !== opts.mchId) return answer(res, 400, paramError('mchid'));
      for (const f of ['appid', 'description', 'out_trade_no', 'notify_url', 'time_expire']) {
        if (typeof body[f] !== 'string' || !body[f]) return answer(res, 400, paramError(`${f} is required`));
      }
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/.test(body.time_expire as string)) return answer(res, 400, paramError('time_expire'));
      if (!amount || !Number.isInteger(amount.total) || (amount.total as number) < 1 || amount.currency !== 'CNY') {
        return answer(res, 400, paramError('amount'));
      }
      if (!payer || typeof payer.openid !== 'string') return answer(res, 400, paramError('payer.openid'));
      const otn = outTradeNo as string;
      let prepayId = prepays.get(otn);
      if (!prepayId) {
        prepayId = `wx${randomBytes(14).toString('hex')}`;
        prepays.set(otn, prepayId);
        orders.set(otn, { appid: body.appid, mchid: opts.mchId, out_trade_no: otn, trade_state: 'NOTPAY', trade_state_desc: '未支付', amount: { total: amount.total, currency: 'CNY' } });
      }
      return answer(res, 200, { prepay_id: prepayId });
    }

    if (req.method === 'GET' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/.exec(p))) {
      if (url.searchParams.get('mchid') !== opts.mchId) return answer(res, 400, paramError('mchid'));
      const order = orders.get(decodeURIComponent(m[1]!));
      return order ? answer(res, 200, order) : answer(res, 404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' });
    }

    if (req.method === 'POST' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/.exec(p))) {
      if (body.mchid !== opts.mchId) return answer(res, 400, paramError('mchid'));
      const order = orders.get(decodeURIComponent(m[1]!));
      if (order?.trade_state === 'SUCCESS') return answer(res, 400, { code: 'ORDERPAID', message: '订单已支付' });
      if (order) order.trade_state = 'CLOSED';
      return answer(res, 204);
    }

    if (req.method === 'POST' && p === '/v3/refund/domestic/refunds') {
      const amount = body.amount as { refund?: unknown; total?: unknown; currency?: unknown } | undefined;
      const no = body.out_refund_no;
      if (typeof no !== 'string' || !no) return answer(res, 400, paramError('out_refund_no'));
      if (typeof body.out_trade_no !== 'string' && typeof body.transaction_id !== 'string') return answer(res, 400, paramError('out_trade_no'));
      if (!amount || !Number.isInteger(amount.refund) || !Number.isInteger(amount.total) || amount.currency !== 'CNY') {
        return answer(res, 400, paramError('amount'));
      }
      if ((amount.refund as number) > (amount.total as number)) return answer(res, 400, paramError('refund exceeds total'));
      const existing = refunds.get(no);
      if (existing) return answer(res, 200, existing);
      if (failNext > 0 && failMode === 'SYSTEM_ERROR') {
        failNext--;
        return answer(res, 500, { code: 'SYSTEM_ERROR', message: '系统繁忙，请稍后重试' });
      }
      const processing = failNext > 0 && failMode === 'PROCESSING';
      if (processing) failNext--;
      created++;
      const now = chinaTime(Date.now());
      const refund: Wire = {
        refund_id: `50${Date.now()}${randomBytes(6).toString('hex')}`,
        out_refund_no: no,
        transaction_id: `4200${randomBytes(10).toString('hex')}`,
        out_trade_no: body.out_trade_no,
        channel: 'ORIGINAL',
        user_received_account: '支付用户零钱',
        ...(processing ? {} : { success_time: now }),
        create_time: now,
        status: processing ? 'PROCESSING' : 'SUCCESS',
        funds_account: 'AVAILABLE',
        amount: {
          total: amount.total,
          refund: amount.refund,
          from: [],
          payer_total: amount.total,
          payer_refund: amount.refund,
          settlement_refund: amount.refund,
          settlement_total: amount.total,
          discount_refund: 0,
          currency: 'CNY',
        },
        promotion_detail: [],
      };
      refunds.set(no, refund);
      return answer(res, 200, refund);
    }

    if (req.method === 'GET' && (m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(p))) {
      const refund = refunds.get(decodeURIComponent(m[1]!));
      return refund ? answer(res, 200, refund) : answer(res, 404, { code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' });
    }

    return answer(res, 404, { code: 'NOT_FOUND', message: `no route ${req.method} ${p}` });
  }

  const served = await serveFake(route);

  return {
    baseUrl: served.baseUrl,
    requests,
    refunds,
    refundsCreated: () => created,
    failNextRefunds(n, mode) {
      failNext = n;
      failMode = mode;
    },
    completeRefund(no) {
      const r = refunds.get(no);
      if (!r) throw new Error(`no refund ${no}`);
      r.status = 'SUCCESS';
      r.success_time = chinaTime(Date.now());
    },
    forgeNextResponses(n) {
      forgeNext = n;
    },
    delayNextResponse(ms) {
      delayNext = ms;
    },
    markPaid(outTradeNo, openid = 'o-fake-payer') {
      const order = orders.get(outTradeNo);
      if (!order) throw new Error(`no order ${outTradeNo}`);
      const total = (order.amount as { total: number }).total;
      Object.assign(order, {
        transaction_id: `4200${randomBytes(10).toString('hex')}`,
        trade_type: 'JSAPI',
        trade_state: 'SUCCESS',
        trade_state_desc: '支付成功',
        bank_type: 'OTHERS',
        success_time: chinaTime(Date.now()),
        payer: { openid },
        amount: { total, payer_total: total, currency: 'CNY', payer_currency: 'CNY' },
      });
      return order;
    },
    sendNotification(url, n) {
      return postSealedNotification(url, { ...n, summary: n.summary ?? '支付成功' }, { apiV3Key, platformSerial: opts.platformSerial, platformPrivateKey: opts.platformPrivateKey });
    },
    close: served.close,
  };
}
