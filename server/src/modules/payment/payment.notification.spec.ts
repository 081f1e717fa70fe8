import { generateKeyPairSync } from 'node:crypto';
import { notificationReply, PaymentNotificationError } from './payment.provider';
import {
  buildWechatpaySignatureHeaders,
  encryptResource,
  sealNotification,
  toApiV3Key,
  unixSeconds,
  type SealedNotification,
} from './wechatpay.crypto';
import { WechatpayNotificationParser } from './wechatpay.provider';

const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const SERIAL = 'PLATFORMSERIAL0001';
const API_V3_KEY = 'abcdefghijklmnopqrstuvwxyz012345';
const apiV3Key = toApiV3Key(API_V3_KEY);
const parser = new WechatpayNotificationParser({ platformCerts: [{ serial: SERIAL, publicKey: platform.publicKey }], apiV3Key: API_V3_KEY });

const transaction = {
  appid: 'wxd678efh567hg6787',
  mchid: '1230000109',
  out_trade_no: 'T1217752501201407033233368018',
  transaction_id: '1217752501201407033233368018',
  trade_type: 'JSAPI',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  bank_type: 'CMC',
  attach: 'group:42',
  success_time: '2018-06-08T10:34:56+08:00',
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  amount: { total: 100, payer_total: 90, currency: 'CNY', payer_currency: 'CNY' },
};

function seal(plaintext: unknown, over: Partial<Parameters<typeof sealNotification>[0]> = {}): SealedNotification {
  return sealNotification({
    eventType: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    originalType: 'transaction',
    plaintext,
    apiV3Key,
    platformSerial: SERIAL,
    platformPrivateKey: platform.privateKey,
    ...over,
  });
}

/** Re-signs an edited body, so a test reaches the step after signature verification. */
function resign(body: string): SealedNotification['headers'] {
  return { ...buildWechatpaySignatureHeaders({ serial: SERIAL, privateKey: platform.privateKey, body }), 'Content-Type': 'application/json' };
}

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PaymentNotificationError) return err.reason;
    throw err;
  }
  throw new Error('expected a PaymentNotificationError');
}

describe('parseTransactionNotification (the one notification path)', () => {
  it('when WeChat sends a valid TRANSACTION.SUCCESS, then it returns the typed transaction', async () => {
    const n = seal(transaction);
    const koaHeaders = Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const notice = await parser.parseTransaction(koaHeaders, Buffer.from(n.body));
    expect(notice).toEqual({
      notificationId: n.id,
      eventType: 'TRANSACTION.SUCCESS',
      outTradeNo: 'T1217752501201407033233368018',
      transactionId: '1217752501201407033233368018',
      tradeState: 'SUCCESS',
      amountTotal: 100,
      payerTotal: 90,
      successTime: new Date('2018-06-08T02:34:56.000Z'),
      openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      mchid: '1230000109',
      appid: 'wxd678efh567hg6787',
      attach: 'group:42',
    });
  });

  it('when the body is tampered with after signing, then SIGNATURE_INVALID', async () => {
    const n = seal(transaction);
    const tampered = n.body.replace('"summary":"支付成功"', '"summary":"支付成功!"');
    expect(tampered).not.toBe(n.body);
    expect(await reasonOf(parser.parseTransaction(n.headers, tampered))).toBe('SIGNATURE_INVALID');
  });

  it('when the platform serial is unknown, then SERIAL_UNKNOWN', async () => {
    const n = seal(transaction, { platformSerial: 'SOMEONEELSE' });
    expect(await reasonOf(parser.parseTransaction(n.headers, n.body))).toBe('SERIAL_UNKNOWN');
  });

  it('when the notification is older than five minutes (a replay), then TIMESTAMP_SKEW', async () => {
    const n = seal(transaction, { nowMs: Date.now() - 6 * 60_000 });
    expect(await reasonOf(parser.parseTransaction(n.headers, n.body))).toBe('TIMESTAMP_SKEW');
  });

  it('when the ciphertext is tampered with (and the body re-signed), then DECRYPT_FAILED', async () => {
    const n = seal(transaction);
    const envelope = JSON.parse(n.body) as { resource: { ciphertext: string } };
    const bytes = Buffer.from(envelope.resource.ciphertext, 'base64');
    bytes[3] = bytes[3]! ^ 0x80;
    envelope.resource.ciphertext = bytes.toString('base64');
    const body = JSON.stringify(envelope);
    expect(await reasonOf(parser.parseTransaction(resign(body), body))).toBe('DECRYPT_FAILED');
  });

  it('when the resource was sealed with another APIv3 key, then DECRYPT_FAILED', async () => {
    const n = seal(transaction, { apiV3Key: toApiV3Key('z'.repeat(32)) });
    expect(await reasonOf(parser.parseTransaction(n.headers, n.body))).toBe('DECRYPT_FAILED');
  });

  it('when the plaintext lacks a field we act on, then MALFORMED', async () => {
    const { amount: _amount, ...noAmount } = transaction;
    for (const bad of [noAmount, { ...transaction, amount: { ...transaction.amount, total: 1.5 } }, { ...transaction, amount: { ...transaction.amount, currency: 'USD' } }]) {
      const n = seal(bad);
      expect(await reasonOf(parser.parseTransaction(n.headers, n.body))).toBe('MALFORMED');
    }
  });

  it('when the signed body is not a notification envelope, then MALFORMED', async () => {
    for (const body of ['not json', '{"id":"x"}']) {
      expect(await reasonOf(parser.parseTransaction(resign(body), body))).toBe('MALFORMED');
    }
  });

  it('when the decrypted resource is not JSON, then MALFORMED', async () => {
    const resource = encryptResource('not json', apiV3Key, { associatedData: 'transaction', originalType: 'transaction' });
    const body = JSON.stringify({ id: 'n1', create_time: 'x', resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', resource });
    expect(await reasonOf(parser.parseTransaction(resign(body), body))).toBe('MALFORMED');
  });

  it('when a refund notification arrives at the transaction parser, then MALFORMED', async () => {
    const n = seal(transaction, { eventType: 'REFUND.SUCCESS', originalType: 'refund' });
    expect(await reasonOf(parser.parseTransaction(n.headers, n.body))).toBe('MALFORMED');
  });

  it('when the headers come as a fetch Headers object, then they are read the same way', async () => {
    const n = seal(transaction);
    const notice = await parser.parseTransaction(new Headers(n.headers as unknown as Record<string, string>), n.body);
    expect(notice.outTradeNo).toBe(transaction.out_trade_no);
    expect(unixSeconds()).toMatch(/^\d+$/);
  });
});

describe('parseRefundNotification', () => {
  const refund = {
    mchid: '1900000100',
    out_trade_no: 'T20150806125346',
    transaction_id: '1008450740201411110005820873',
    out_refund_no: 'R20150806125346',
    refund_id: '50200207182018070300011301001',
    refund_status: 'SUCCESS',
    success_time: '2018-06-08T10:34:56+08:00',
    user_received_account: '招商银行信用卡0403',
    amount: { total: 999, refund: 999, payer_total: 999, payer_refund: 999 },
  };

  it('when WeChat sends REFUND.SUCCESS, then it returns the typed refund', async () => {
    const n = seal(refund, { eventType: 'REFUND.SUCCESS', originalType: 'refund', summary: '退款成功' });
    const notice = await parser.parseRefund(n.headers, n.body);
    expect(notice).toMatchObject({
      eventType: 'REFUND.SUCCESS',
      outTradeNo: 'T20150806125346',
      outRefundNo: 'R20150806125346',
      refundId: '50200207182018070300011301001',
      refundStatus: 'SUCCESS',
      amountRefund: 999,
      amountTotal: 999,
      successTime: new Date('2018-06-08T02:34:56Z'),
    });
  });

  it('when REFUND.ABNORMAL comes without success_time, then it is accepted with a null success time', async () => {
    const { success_time: _t, ...abnormal } = { ...refund, refund_status: 'ABNORMAL' };
    const n = seal(abnormal, { eventType: 'REFUND.ABNORMAL', originalType: 'refund' });
    expect(await parser.parseRefund(n.headers, n.body)).toMatchObject({ refundStatus: 'ABNORMAL', successTime: null });
  });

  it('when a transaction notification arrives at the refund parser, then MALFORMED', async () => {
    const n = seal(transaction);
    expect(await reasonOf(parser.parseRefund(n.headers, n.body))).toBe('MALFORMED');
  });
});

describe('notificationReply', () => {
  it('when handling succeeded or failed, then WeChat gets 204, 401, 400 or 500 with code FAIL', () => {
    expect(notificationReply()).toEqual({ status: 204 });
    expect(notificationReply(new PaymentNotificationError('SIGNATURE_INVALID', 'x'))).toEqual({ status: 401, body: { code: 'FAIL', message: 'SIGNATURE_INVALID' } });
    expect(notificationReply(new PaymentNotificationError('MALFORMED', 'x')).status).toBe(400);
    expect(notificationReply(new Error('db down'))).toEqual({ status: 500, body: { code: 'FAIL', message: 'temporarily unable to process' } });
  });
});
