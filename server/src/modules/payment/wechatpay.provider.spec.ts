import { createVerify, generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { startFakeWechatpay, type FakeWechatpay } from '../../../test/support/fake-wechatpay.server';
import { createPaymentProvider, notificationReply, type PaymentConfig } from './payment.provider';
import { PaymentProviderError, WechatpayProvider } from './wechatpay.provider';

const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (k: typeof merchant.privateKey) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
const spki = (k: typeof merchant.publicKey) => k.export({ type: 'spki', format: 'pem' }).toString();

const MCH_ID = '1900000109';
const APP_ID = 'wx1234567890abcdef';
const MERCHANT_SERIAL = '3775B6A45ACD588826D15E583A95F5DD00000001';
const PLATFORM_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
const API_V3_KEY = 'Tuan0123456789abcdefghijklmnopqr';

let fake: FakeWechatpay;

function config(over: Partial<PaymentConfig> = {}): PaymentConfig {
  return {
    provider: 'wechatpay',
    appId: APP_ID,
    mchId: MCH_ID,
    merchantSerialNo: MERCHANT_SERIAL,
    merchantPrivateKeyPem: pem(merchant.privateKey),
    platformCerts: [{ serial: PLATFORM_SERIAL, publicKeyPem: spki(platform.publicKey) }],
    apiV3Key: API_V3_KEY,
    baseUrl: fake.baseUrl,
    notifyUrl: 'https://tuan.example.com/api/payments/wechatpay/notify',
    refundNotifyUrl: 'https://tuan.example.com/api/payments/wechatpay/refund-notify',
    sandboxKeyDir: '',
    timeoutMs: 2000,
    ...over,
  };
}

async function providerError(p: Promise<unknown>): Promise<PaymentProviderError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PaymentProviderError) return err;
    throw err;
  }
  throw new Error('expected a PaymentProviderError');
}

const prepayInput = (outTradeNo: string) => ({
  outTradeNo,
  description: '团购-有机草莓 2 盒',
  amountTotal: 3990,
  openid: 'o-payer-001',
  expiresAt: new Date(Date.now() + 15 * 60_000),
  attach: 'g:1',
});

let seq = 0;
const no = (p: string) => `${p}${Date.now()}${++seq}`;

beforeAll(async () => {
  fake = await startFakeWechatpay({
    mchId: MCH_ID,
    merchantSerialNo: MERCHANT_SERIAL,
    merchantPublicKey: merchant.publicKey,
    platformSerial: PLATFORM_SERIAL,
    platformPrivateKey: platform.privateKey,
    apiV3Key: API_V3_KEY,
  });
});

afterAll(async () => {
  await fake.close();
});

describe('WechatpayProvider against a fake WeChat Pay', () => {
  it('when prepaying, then the client gets package prepay_id=… and a paySign the merchant key verifies', async () => {
    const provider = new WechatpayProvider(config());
    const outTradeNo = no('T');
    const result = await provider.createJsapiPrepay(prepayInput(outTradeNo));
    expect(result.package).toMatch(/^prepay_id=wx[0-9a-f]+$/);
    expect(result.package).toBe(`prepay_id=${result.prepayId}`);
    expect(result.signType).toBe('RSA');
    expect(result).not.toHaveProperty('sandbox');
    const message = `${APP_ID}\n${result.timeStamp}\n${result.nonceStr}\n${result.package}\n`;
    expect(createVerify('RSA-SHA256').update(message).verify(merchant.publicKey, result.paySign, 'base64')).toBe(true);

    const sent = fake.requests.at(-1)!;
    expect(sent).toMatchObject({ method: 'POST', url: '/v3/pay/transactions/jsapi', authorized: true });
    expect(sent.body).toMatchObject({
      appid: APP_ID,
      mchid: MCH_ID,
      out_trade_no: outTradeNo,
      notify_url: 'https://tuan.example.com/api/payments/wechatpay/notify',
      amount: { total: 3990, currency: 'CNY' },
      payer: { openid: 'o-payer-001' },
      attach: 'g:1',
    });
    expect((sent.body as { time_expire: string }).time_expire).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
  });

  it('when the answer carries a forged signature, then prepay fails and no prepay id is handed out', async () => {
    const provider = new WechatpayProvider(config());
    fake.forgeNextResponses(1);
    const err = await providerError(provider.createJsapiPrepay(prepayInput(no('T'))));
    expect(err.code).toBe('RESPONSE_SIGNATURE_INVALID');
    expect(err.retryable).toBe(false);
  });

  it('when the platform serial in the answer is not configured, then RESPONSE_SERIAL_UNKNOWN', async () => {
    const provider = new WechatpayProvider(config({ platformCerts: [{ serial: 'OTHER', publicKeyPem: spki(platform.publicKey) }] }));
    const err = await providerError(provider.createJsapiPrepay(prepayInput(no('T'))));
    expect(err.code).toBe('RESPONSE_SERIAL_UNKNOWN');
  });

  it('when the merchant signs with the wrong key, then WeChat answers 401 SIGN_ERROR, not retryable', async () => {
    const provider = new WechatpayProvider(config({ merchantPrivateKeyPem: pem(stranger.privateKey) }));
    const err = await providerError(provider.createJsapiPrepay(prepayInput(no('T'))));
    expect(err).toMatchObject({ code: 'SIGN_ERROR', retryable: false, httpStatus: 401 });
    expect(fake.requests.at(-1)!.authorized).toBe(false);
  });

  it('when the input is invalid, then PARAM_ERROR before any request', async () => {
    const provider = new WechatpayProvider(config());
    const before = fake.requests.length;
    const err = await providerError(provider.createJsapiPrepay({ ...prepayInput(no('T')), amountTotal: 0 }));
    expect(err).toMatchObject({ code: 'PARAM_ERROR', retryable: false });
    expect(fake.requests.length).toBe(before);
  });

  it('when refunding, then status SUCCESS with a refund id, and the request carries the refund notify URL', async () => {
    const provider = new WechatpayProvider(config());
    const outRefundNo = no('R');
    const r = await provider.refund({ outTradeNo: no('T'), outRefundNo, refundAmount: 500, totalAmount: 3990, reason: '拼团失败自动退款' });
    expect(r).toMatchObject({ outRefundNo, status: 'SUCCESS', amountRefund: 500, amountTotal: 3990 });
    expect(r.refundId).toMatch(/^50/);
    expect(r.successTime).toBeInstanceOf(Date);
    expect(fake.requests.at(-1)!.body).toMatchObject({
      out_refund_no: outRefundNo,
      reason: '拼团失败自动退款',
      notify_url: 'https://tuan.example.com/api/payments/wechatpay/refund-notify',
      amount: { refund: 500, total: 3990, currency: 'CNY' },
    });
  });

  it('when the same refund number is sent twice, then the same refund comes back and only one refund exists', async () => {
    const provider = new WechatpayProvider(config());
    const input = { outTradeNo: no('T'), outRefundNo: no('R'), refundAmount: 100, totalAmount: 100 };
    const before = fake.refundsCreated();
    const [a, b] = await Promise.all([provider.refund(input), provider.refund(input)]);
    const c = await provider.refund(input);
    expect(b.refundId).toBe(a.refundId);
    expect(c.refundId).toBe(a.refundId);
    expect(fake.refundsCreated() - before).toBe(1);
  });

  it('when WeChat fails a refund with 500 SYSTEM_ERROR, then a retryable error, and a retry with the same number succeeds', async () => {
    const provider = new WechatpayProvider(config());
    const input = { outTradeNo: no('T'), outRefundNo: no('R'), refundAmount: 100, totalAmount: 200 };
    fake.failNextRefunds(1, 'SYSTEM_ERROR');
    const err = await providerError(provider.refund(input));
    expect(err).toMatchObject({ code: 'SYSTEM_ERROR', retryable: true, httpStatus: 500 });
    expect((await provider.refund(input)).status).toBe('SUCCESS');
  });

  it('when a refund is PROCESSING, then a later query sees SUCCESS', async () => {
    const provider = new WechatpayProvider(config());
    const input = { outTradeNo: no('T'), outRefundNo: no('R'), refundAmount: 100, totalAmount: 200 };
    fake.failNextRefunds(1, 'PROCESSING');
    const first = await provider.refund(input);
    expect(first).toMatchObject({ status: 'PROCESSING', successTime: null });
    fake.completeRefund(input.outRefundNo);
    const later = await provider.queryRefund(input.outRefundNo);
    expect(later).toMatchObject({ status: 'SUCCESS', refundId: first.refundId });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', url: `/v3/refund/domestic/refunds/${input.outRefundNo}` });
  });

  it('when querying a refund that does not exist, then RESOURCE_NOT_EXISTS, not retryable', async () => {
    const provider = new WechatpayProvider(config());
    const err = await providerError(provider.queryRefund(no('R')));
    expect(err).toMatchObject({ code: 'RESOURCE_NOT_EXISTS', retryable: false, httpStatus: 404 });
  });

  it('when an unpaid order is closed, then it succeeds; when a paid one is, then ORDERPAID', async () => {
    const provider = new WechatpayProvider(config());
    const unpaid = no('T');
    await provider.createJsapiPrepay(prepayInput(unpaid));
    await expect(provider.closeOrder(unpaid)).resolves.toBeUndefined();
    expect((await provider.queryTransaction(unpaid)).tradeState).toBe('CLOSED');

    const paid = no('T');
    await provider.createJsapiPrepay(prepayInput(paid));
    fake.markPaid(paid, 'o-payer-001');
    const status = await provider.queryTransaction(paid);
    expect(status).toMatchObject({ tradeState: 'SUCCESS', amountTotal: 3990, payerTotal: 3990, openid: 'o-payer-001' });
    expect(fake.requests.at(-1)!.url).toBe(`/v3/pay/transactions/out-trade-no/${paid}?mchid=${MCH_ID}`);
    const err = await providerError(provider.closeOrder(paid));
    expect(err).toMatchObject({ code: 'ORDERPAID', retryable: false });
  });

  it('when WeChat does not answer in time, then TIMEOUT, retryable', async () => {
    const provider = new WechatpayProvider(config({ timeoutMs: 150 }));
    fake.delayNextResponse(600);
    const err = await providerError(provider.queryRefund(no('R')));
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true });
  });

  it('when WeChat is unreachable, then NETWORK_ERROR, retryable', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    const provider = new WechatpayProvider(config({ baseUrl: `http://127.0.0.1:${port}` }));
    const err = await providerError(provider.refund({ outTradeNo: no('T'), outRefundNo: no('R'), refundAmount: 1, totalAmount: 1 }));
    expect(err).toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
  });

  it('when the fake WeChat notifies a payment, then parseTransactionNotification accepts it', async () => {
    const provider = await createPaymentProvider(config());
    expect(provider.name).toBe('wechatpay');
    const outTradeNo = no('T');
    await provider.createJsapiPrepay(prepayInput(outTradeNo));
    const txn = fake.markPaid(outTradeNo, 'o-payer-001');

    const received: Array<{ headers: http.IncomingHttpHeaders; body: Buffer }> = [];
    const target = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        received.push({ headers: req.headers, body });
        try {
          await provider.parseTransactionNotification(req.headers, body);
          res.writeHead(notificationReply().status).end();
        } catch (err) {
          const reply = notificationReply(err);
          res.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply.body));
        }
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/notify`;
    try {
      expect(await fake.sendNotification(url, { eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', plaintext: txn })).toBe(204);
      const notice = await provider.parseTransactionNotification(received[0]!.headers, received[0]!.body);
      expect(notice).toMatchObject({ outTradeNo, tradeState: 'SUCCESS', amountTotal: 3990, openid: 'o-payer-001', mchid: MCH_ID, appid: APP_ID });
      // A notification sealed with an APIv3 key we do not hold is refused with a 4xx.
      const wrongKeyFake = await startFakeWechatpay({
        mchId: MCH_ID,
        merchantSerialNo: MERCHANT_SERIAL,
        merchantPublicKey: merchant.publicKey,
        platformSerial: PLATFORM_SERIAL,
        platformPrivateKey: platform.privateKey,
        apiV3Key: 'x'.repeat(32),
      });
      try {
        expect(await wrongKeyFake.sendNotification(url, { eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', plaintext: txn })).toBe(400);
      } finally {
        await wrongKeyFake.close();
      }
    } finally {
      await new Promise<void>((r) => target.close(() => r()));
    }
  });

  it('when the provider object is inspected or serialised, then no key material shows', () => {
    const provider = new WechatpayProvider(config());
    const shown = JSON.stringify(provider) + inspect(provider, { depth: 5, showHidden: true });
    expect(shown).not.toContain(API_V3_KEY);
    expect(shown).not.toContain('PRIVATE KEY');
  });
});
