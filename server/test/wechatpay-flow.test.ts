import { createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { startFakeWechatpay, type FakeWechatpay } from './support/fake-wechatpay.server';
import { loginUser, startTestApp, type TestApp } from './support/harness';
import { createCampaign, sleep, sysCtx } from './support/groupbuy.factory';

/**
 * The real WeChat Pay v3 provider, end to end, against a local server that plays WeChat Pay:
 * signed JSAPI prepay, a platform-signed and sealed notification, an automatic refund that fails
 * once and is retried with the same refund number.
 */
const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const apiV3Key = randomBytes(16).toString('hex'); // 32 characters
const MCH = '1230000109';
const APP = 'wx-flow-test-app';
let fake: FakeWechatpay;
let t: TestApp;

beforeAll(async () => {
  fake = await startFakeWechatpay({ mchId: MCH, merchantSerialNo: 'MERCHANT-SERIAL-1', merchantPublicKey: merchant.publicKey, platformSerial: 'PLATFORM-SERIAL-1', platformPrivateKey: platform.privateKey, apiV3Key });
  t = await startTestApp({
    PAYMENT_PROVIDER: 'wechatpay',
    WECHAT_APP_ID: APP,
    WECHATPAY_MCH_ID: MCH,
    WECHATPAY_SERIAL_NO: 'MERCHANT-SERIAL-1',
    WECHATPAY_PRIVATE_KEY_PEM: merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    WECHATPAY_PLATFORM_CERTS: JSON.stringify([{ serial: 'PLATFORM-SERIAL-1', publicKeyPem: platform.publicKey.export({ type: 'spki', format: 'pem' }).toString() }]),
    WECHATPAY_API_V3_KEY: apiV3Key,
    WECHATPAY_BASE_URL: fake.baseUrl,
  });
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

const q = (sql: string, p: unknown[] = []) => t.infra.dataSource.query(sql, p);
const notifyUrl = () => `${t.url}/api/payments/wechatpay/notify`;

describe('WeChat Pay v3 provider, end to end', () => {
  it('when the opener pays through WeChat and the group fails, then the refund is retried after a failure and goes through once', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2, groupDurationSec: 2 });
    const u = await loginUser(t);
    const o = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    const pay = await t.http.post(`/api/orders/${o.body.id}/pay`).set(u.auth);
    expect(pay.status).toBe(200);
    expect(pay.body.provider).toBe('wechatpay');
    expect(pay.body.params.package).toMatch(/^prepay_id=/);
    const p = pay.body.params;
    const signed = `${APP}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`;
    expect(createVerify('RSA-SHA256').update(signed).verify(merchant.publicKey, p.paySign, 'base64')).toBe(true);
    // The client's word is never trusted: only the platform's notification moves the order.
    expect((await t.http.get(`/api/orders/${o.body.id}`).set(u.auth)).body.status).toBe('pending_payment');

    const paid = fake.markPaid(o.body.orderNo);
    expect(await fake.sendNotification(notifyUrl(), { eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', plaintext: paid })).toBe(204);
    expect((await t.http.get(`/api/orders/${o.body.id}`).set(u.auth)).body.status).toBe('paid');
    expect((await t.http.get(`/api/groups/${o.body.groupId}`)).body.status).toBe('open');

    await sleep(2200);
    expect(await t.services.deadlines.expireGroup(sysCtx(t), o.body.groupId)).toBe('failed');
    const [refund] = await q(`SELECT id, refund_no FROM refunds WHERE order_id = ?`, [o.body.id]);

    fake.failNextRefunds(1, 'SYSTEM_ERROR');
    expect(await t.services.refunds.process(sysCtx(t), refund.id)).toBe('failed');
    const [failed] = await q(`SELECT status, attempts, next_attempt_at, last_error FROM refunds WHERE id = ?`, [refund.id]);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.last_error).toMatch(/SYSTEM_ERROR/);
    expect(failed.next_attempt_at.getTime()).toBeGreaterThan(Date.now()); // backoff: not due yet
    expect(await t.services.refunds.due(sysCtx(t))).not.toContain(refund.id);

    expect(await t.services.refunds.process(sysCtx(t), refund.id)).toBe('succeeded');
    expect(await t.services.refunds.process(sysCtx(t), refund.id)).toBe('noop');
    expect(fake.refundsCreated()).toBe(1);
    const created = fake.refunds.get(refund.refund_no) as { out_trade_no: string; amount: { refund: number; total: number } };
    expect(created).toMatchObject({ out_trade_no: o.body.orderNo, amount: { refund: 2990, total: 2990 } });
    const view = await t.http.get(`/api/orders/${o.body.id}`).set(u.auth);
    expect(view.body.status).toBe('refunded');
  });

  it('when a platform-signed notification names another merchant or app, then it is acknowledged and changes nothing', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2 });
    const u = await loginUser(t);
    const o = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    await t.http.post(`/api/orders/${o.body.id}/pay`).set(u.auth).expect(200);
    const paid = { ...fake.markPaid(o.body.orderNo), mchid: '9999999999' };
    expect(await fake.sendNotification(notifyUrl(), { eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', plaintext: paid })).toBe(204);
    expect((await t.http.get(`/api/orders/${o.body.id}`).set(u.auth)).body.status).toBe('pending_payment');
  });
});
