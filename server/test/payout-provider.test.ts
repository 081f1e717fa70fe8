import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { loadConfig } from '../src/core/config';
import { ensureSandboxKeys, PaymentNotificationError, type SandboxKeys } from '../src/modules/payment';
import {
  createPayoutProvider,
  PayoutRefusedError,
  PayoutUnclearError,
  SandboxPayoutProvider,
  type PayoutConfig,
  type PayoutNotice,
  type PayoutProvider,
  type PayoutRequest,
  type SandboxPayoutOptions,
} from '../src/modules/payout';
import { startFakeWechatTransfer, type FakeWechatTransfer } from './support/fake-wechat-transfer.server';

/**
 * The payout seam (issue 10): the sandbox 商家转账 over a real Redis, its callbacks POSTed to a local
 * notify target and parsed back through the provider's own (production) verification path.
 */

const PREFIX = `tuan-payout-test-${process.pid}:`;
let redis: Redis;
let tmp: string;
let keys: SandboxKeys;

/** A notify target that records each callback and parses it with `parser` (the provider under test). */
interface Target {
  url: string;
  notices: PayoutNotice[];
  raw: Array<{ headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}
async function notifyTarget(parser: () => PayoutProvider): Promise<Target> {
  const notices: PayoutNotice[] = [];
  const raw: Target['raw'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      raw.push({ headers: req.headers, body });
      parser()
        .parseNotification(req.headers, body)
        .then(
          (n) => {
            notices.push(n);
            res.writeHead(204).end();
          },
          () => res.writeHead(401).end(),
        );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/payouts/wechat/notify`,
    notices,
    raw,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let seq = 0;
const billNo = () => `T${Date.now()}${process.pid}${++seq}`.slice(0, 32);
const request = (over: Partial<PayoutRequest> = {}): PayoutRequest => ({
  outBillNo: billNo(),
  openid: 'o-payee-1',
  amount: 1234,
  remark: '团长佣金提现',
  report: { jobType: '团长', rewardDescription: '社区团购推广佣金' },
  ...over,
});

let target: Target;
let sandbox: SandboxPayoutProvider;
function makeSandbox(over: Partial<SandboxPayoutOptions> = {}): SandboxPayoutProvider {
  return new SandboxPayoutProvider({
    keys,
    appId: 'wxsandbox0000001',
    mchId: '1900000001',
    notifyUrl: () => target.url,
    timeoutMs: 3000,
    redis,
    redisPrefix: PREFIX,
    ...over,
  });
}

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tuan-payout-'));
  keys = await ensureSandboxKeys(tmp);
  target = await notifyTarget(() => sandbox);
  sandbox = makeSandbox();
});

afterAll(async () => {
  await sandbox.idle();
  const stale = await redis.keys(`${PREFIX}*`);
  if (stale.length) await redis.del(...stale);
  redis.disconnect();
  await target.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('sandbox payout provider', () => {
  it('when a transfer is asked, then it waits for the user with a package, and the same number always gives the same bill', async () => {
    const r = request();
    const first = await sandbox.transfer(r);
    expect(first).toMatchObject({ outBillNo: r.outBillNo, state: 'WAIT_USER_CONFIRM', amount: 1234, openid: 'o-payee-1', failReason: null });
    expect(first.packageInfo).toMatch(/^SANDBOX_/);
    expect(first.transferBillNo).toMatch(/^1330\d{36}$/);
    // Another process (another provider instance on the same Redis), many times at once.
    const other = makeSandbox();
    const again = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? sandbox : other).transfer(r)));
    for (const a of again) expect(a).toEqual(first);
    expect(await other.query(r.outBillNo)).toEqual(first);
    expect(await redis.keys(`${PREFIX}sandbox:payout:{${r.outBillNo}}`)).toHaveLength(1);
  });

  it('when the same number comes back with another amount or payee, then it is refused', async () => {
    const r = request();
    await sandbox.transfer(r);
    await expect(sandbox.transfer({ ...r, amount: 999 })).rejects.toMatchObject({ code: 'PAYOUT_REFUSED', providerCode: 'INVALID_REQUEST' });
    await expect(sandbox.transfer({ ...r, openid: 'o-someone-else' })).rejects.toBeInstanceOf(PayoutRefusedError);
  });

  it('when the input breaks WeChat’s rules, then it is refused before anything is stored', async () => {
    const cases: Array<Partial<PayoutRequest>> = [
      { amount: 9 },
      { amount: 12.5 },
      { amount: 200_000 }, // 2,000 yuan needs a real name
      { outBillNo: 'bad-no!' },
      { outBillNo: 'x'.repeat(33) },
      { remark: '' },
      { remark: '备'.repeat(33) },
      { report: { jobType: '', rewardDescription: '佣金' } },
      { openid: '' },
    ];
    for (const c of cases) {
      const r = request(c);
      await expect(sandbox.transfer(r)).rejects.toMatchObject({ providerCode: 'PARAM_ERROR' });
      if (/^[A-Za-z0-9]{5,32}$/.test(r.outBillNo)) expect(await sandbox.query(r.outBillNo)).toBeNull();
    }
    expect((await sandbox.transfer(request({ amount: 200_000, userName: '张三' }))).state).toBe('WAIT_USER_CONFIRM');
  });

  it('when the user confirms, then the bill goes TRANSFERING → SUCCESS and a WeChat-signed callback says so once', async () => {
    const r = request({ amount: 5000 });
    await sandbox.transfer(r);
    const held = await sandbox.confirm(r.outBillNo, { hold: true });
    expect(held).toMatchObject({ result: { state: 'TRANSFERING', packageInfo: null }, notifyStatus: null });
    expect((await sandbox.query(r.outBillNo))!.state).toBe('TRANSFERING');

    const before = target.notices.length;
    const done = await sandbox.confirm(r.outBillNo);
    expect(done.notifyStatus).toBe(204);
    expect(done.result.state).toBe('SUCCESS');
    const notice = target.notices.at(-1)!;
    expect(target.notices.length).toBe(before + 1);
    expect(notice).toMatchObject({ outBillNo: r.outBillNo, state: 'SUCCESS', amount: 5000, openid: 'o-payee-1', transferBillNo: done.result.transferBillNo });
    expect(notice.notificationId).toBeTruthy();
    // The body is WeChat's envelope with a sealed resource: nothing readable without the APIv3 key.
    const body = JSON.parse(target.raw.at(-1)!.body) as { event_type: string; resource: { original_type: string; ciphertext: string } };
    expect(body.event_type).toBe('MCHTRANSFER.BILL.FINISHED');
    expect(body.resource.original_type).toBe('mch_payment');
    expect(target.raw.at(-1)!.body).not.toContain(r.outBillNo);

    // Confirming again changes nothing and sends nothing; a replay carries the same notification id.
    expect(await sandbox.confirm(r.outBillNo)).toMatchObject({ result: { state: 'SUCCESS' }, notifyStatus: null });
    expect(target.notices.length).toBe(before + 1);
    expect(await sandbox.resendNotification(r.outBillNo)).toBe(204);
    expect(target.notices.at(-1)!.notificationId).toBe(notice.notificationId);
    // A paid bill can neither fail nor be cancelled.
    await expect(sandbox.fail(r.outBillNo, 'TRANSFER_RISK')).rejects.toMatchObject({ providerCode: 'INVALID_REQUEST' });
    await expect(sandbox.cancel(r.outBillNo)).rejects.toMatchObject({ providerCode: 'INVALID_REQUEST' });
  });

  it('when WeChat fails the transfer, then the bill is FAIL with its reason and the callback carries it', async () => {
    const r = request();
    await sandbox.transfer(r);
    const failed = await sandbox.fail(r.outBillNo, 'PAYEE_ACCOUNT_ABNORMAL');
    expect(failed.notifyStatus).toBe(204);
    expect(target.notices.at(-1)).toMatchObject({ outBillNo: r.outBillNo, state: 'FAIL', failReason: 'PAYEE_ACCOUNT_ABNORMAL' });
    expect(await sandbox.query(r.outBillNo)).toMatchObject({ state: 'FAIL', failReason: 'PAYEE_ACCOUNT_ABNORMAL' });
    await expect(sandbox.confirm(r.outBillNo)).rejects.toMatchObject({ providerCode: 'INVALID_REQUEST' });
  });

  it('when a transfer is cancelled, then WeChat’s CANCELING is answered, the bill ends CANCELLED and the callback follows', async () => {
    const r = request();
    await sandbox.transfer(r);
    expect((await sandbox.cancel(r.outBillNo)).state).toBe('CANCELING');
    expect((await sandbox.query(r.outBillNo))!.state).toBe('CANCELLED');
    await sandbox.idle();
    expect(target.notices.at(-1)).toMatchObject({ outBillNo: r.outBillNo, state: 'CANCELLED' });
    expect((await sandbox.cancel(r.outBillNo)).state).toBe('CANCELLED');
    await expect(sandbox.confirm(r.outBillNo)).rejects.toMatchObject({ providerCode: 'INVALID_REQUEST' });
    await expect(sandbox.cancel('NoSuchBill0001')).rejects.toMatchObject({ providerCode: 'NOT_FOUND' });
    expect(await sandbox.query('NoSuchBill0001')).toBeNull();
  });

  it('when the user confirms and the merchant cancels at the same moment, then exactly one of them wins', async () => {
    for (let i = 0; i < 5; i++) {
      const r = request();
      await sandbox.transfer(r);
      const other = makeSandbox();
      const [c, k] = await Promise.allSettled([sandbox.confirm(r.outBillNo), other.cancel(r.outBillNo)]);
      const final = (await sandbox.query(r.outBillNo))!.state;
      if (final === 'SUCCESS') {
        expect(c.status).toBe('fulfilled');
        expect(k.status).toBe('rejected');
      } else {
        expect(final).toBe('CANCELLED');
        expect(k.status).toBe('fulfilled');
        expect(c.status).toBe('rejected');
      }
      await other.idle();
    }
  });

  it('when the user never confirms, then the bill is closed after the confirmation window', async () => {
    let now = Date.now();
    const clocked = makeSandbox({ now: () => now, confirmWindowMs: 60_000 });
    const r = request();
    await clocked.transfer(r);
    now += 59_000;
    expect((await clocked.query(r.outBillNo))!.state).toBe('WAIT_USER_CONFIRM');
    now += 2_000;
    expect((await clocked.query(r.outBillNo))!.state).toBe('CANCELLED');
    await expect(clocked.confirm(r.outBillNo)).rejects.toMatchObject({ providerCode: 'INVALID_REQUEST' });
  });

  it('when a callback is tampered with or replayed from long ago, then parsing refuses it', async () => {
    const r = request();
    await sandbox.transfer(r);
    await sandbox.confirm(r.outBillNo);
    const { headers, body } = target.raw.at(-1)!;
    const tampered = body.replace('"MCHTRANSFER.BILL.FINISHED"', '"MCHTRANSFER.BILL.FINISHEd"');
    await expect(sandbox.parseNotification(headers, tampered)).rejects.toMatchObject({ reason: 'SIGNATURE_INVALID' });
    const later = makeSandbox({ now: () => Date.now() + 3600_000 });
    await expect(later.parseNotification(headers, body)).rejects.toBeInstanceOf(PaymentNotificationError);
    // A sandbox of another merchant (same keys) does not take this merchant's bill.
    const stranger = makeSandbox({ mchId: '1900000999' });
    await expect(stranger.parseNotification(headers, body)).rejects.toMatchObject({ reason: 'MALFORMED' });
  });

  it('when built from configuration, then the sandbox shares the payment sandbox’s keys', async () => {
    const built = await createPayoutProvider(
      { provider: 'sandbox', appId: '', mchId: '1900000001', merchantSerialNo: '', merchantPrivateKeyPem: '', platformCerts: [], apiV3Key: '', baseUrl: 'http://127.0.0.1:1', notifyUrl: target.url, sandboxKeyDir: tmp, timeoutMs: 3000 },
      { redis, redisPrefix: PREFIX },
    );
    expect(built.name).toBe('sandbox');
    const r = request();
    await built.transfer(r);
    await (built as SandboxPayoutProvider).confirm(r.outBillNo);
    // Verified by the other instance: same platform key and APIv3 key.
    expect(target.notices.at(-1)).toMatchObject({ outBillNo: r.outBillNo, state: 'SUCCESS' });
  });
});

describe('payout configuration', () => {
  const base = { DATABASE_URL: 'mysql://a:b@127.0.0.1:3306/x', REDIS_URL: 'redis://127.0.0.1:6379' };
  const prod = {
    ...base,
    NODE_ENV: 'production',
    JWT_SECRET: 'p'.repeat(40),
    DATA_KEY_HEX: 'ab'.repeat(32),
    LOGIN_PROVIDER: 'wechat',
    WECHAT_APP_ID: 'wxapp',
    WECHAT_APP_SECRET: 's',
    PAYMENT_PROVIDER: 'wechatpay',
    WECHATPAY_MCH_ID: '1900000001',
    WECHATPAY_PRIVATE_KEY_PEM: 'pem',
    WECHATPAY_API_V3_KEY: 'k'.repeat(32),
  };
  it('when production asks for the sandbox, a wechat payout without merchant keys, or an http callback URL, then the config is refused', () => {
    expect(loadConfig(base).PAYOUT_PROVIDER).toBe('sandbox');
    expect(() => loadConfig(prod)).toThrow(/PAYOUT_PROVIDER: the sandbox payout provider is refused in production/);
    expect(loadConfig({ ...prod, PAYOUT_PROVIDER: 'wechat' }).PAYOUT_PROVIDER).toBe('wechat');
    expect(() => loadConfig({ ...prod, PAYOUT_PROVIDER: 'wechat', WECHATPAY_MCH_ID: '' })).toThrow(/PAYOUT_PROVIDER/);
    expect(() => loadConfig({ ...prod, PAYOUT_PROVIDER: 'wechat', PAYOUT_NOTIFY_URL: 'http://x.example/n' })).toThrow(/PAYOUT_NOTIFY_URL/);
    expect(() => loadConfig({ ...base, PAYOUT_PROVIDER: 'paypal' })).toThrow(/PAYOUT_PROVIDER/);
  });
});

describe('WeChat Pay 商家转账 provider against a local fake of WeChat Pay', () => {
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const apiV3Key = randomBytes(16).toString('hex');
  const pem = (k: KeyObject, type: 'pkcs8' | 'spki') => k.export({ type, format: 'pem' }).toString();
  const MCH = '1230000109';
  const APP = 'wx-payout-test-app';
  let fake: FakeWechatTransfer;
  let wechatTarget: Target;
  let wechat: PayoutProvider;
  const config = (over: Partial<PayoutConfig> = {}): PayoutConfig => ({
    provider: 'wechat',
    appId: APP,
    mchId: MCH,
    merchantSerialNo: 'MERCHANT-SERIAL-1',
    merchantPrivateKeyPem: pem(merchant.privateKey, 'pkcs8'),
    platformCerts: [{ serial: 'PLATFORM-SERIAL-1', publicKeyPem: pem(platform.publicKey, 'spki') }],
    apiV3Key,
    baseUrl: fake.baseUrl,
    notifyUrl: () => wechatTarget.url,
    sandboxKeyDir: '/nonexistent',
    timeoutMs: 400,
    ...over,
  });

  beforeAll(async () => {
    fake = await startFakeWechatTransfer({
      mchId: MCH,
      appId: APP,
      merchantSerialNo: 'MERCHANT-SERIAL-1',
      merchantPublicKey: merchant.publicKey,
      platformSerial: 'PLATFORM-SERIAL-1',
      platformPrivateKey: platform.privateKey,
      apiV3Key,
    });
    wechatTarget = await notifyTarget(() => wechat);
    wechat = await createPayoutProvider(config());
  });
  afterAll(async () => {
    await wechatTarget.close();
    await fake.close();
  });

  it('when a transfer is sent, then it is signed, carries scene 1005 and its report, and WAIT_USER_CONFIRM comes back with the package', async () => {
    expect(wechat.name).toBe('wechat');
    const r = request({ amount: 888 });
    const result = await wechat.transfer(r);
    expect(result).toMatchObject({ outBillNo: r.outBillNo, state: 'WAIT_USER_CONFIRM', amount: 888, openid: 'o-payee-1', failReason: null });
    expect(result.packageInfo).toBe(fake.bills.get(r.outBillNo)!.package_info);
    expect(result.transferBillNo).toBe(fake.bills.get(r.outBillNo)!.transfer_bill_no);
    const sent = fake.requests.at(-1)!;
    expect(sent).toMatchObject({ method: 'POST', url: '/v3/fund-app/mch-transfer/transfer-bills', authorized: true });
    expect(sent.body).toEqual({
      appid: APP,
      out_bill_no: r.outBillNo,
      transfer_scene_id: '1005',
      openid: 'o-payee-1',
      transfer_amount: 888,
      transfer_remark: '团长佣金提现',
      notify_url: wechatTarget.url,
      transfer_scene_report_infos: [
        { info_type: '岗位类型', info_content: '团长' },
        { info_type: '报酬说明', info_content: '社区团购推广佣金' },
      ],
    });
    // The same number again: the same bill, nothing new at WeChat.
    const before = fake.billsCreated();
    expect(await wechat.transfer(r)).toEqual(result);
    expect(fake.billsCreated()).toBe(before);
    expect(await wechat.query(r.outBillNo)).toMatchObject({ state: 'WAIT_USER_CONFIRM', packageInfo: result.packageInfo, amount: 888 });
    expect(await wechat.query('NoSuchBill0001')).toBeNull();
  });

  it('when a real name is given, then it travels encrypted with the platform key named in Wechatpay-Serial', async () => {
    const r = request({ amount: 250_000, userName: '张三' });
    await wechat.transfer(r);
    const sent = fake.requests.at(-1)!;
    expect(sent.headers['wechatpay-serial']).toBe('PLATFORM-SERIAL-1');
    expect(JSON.stringify(sent.body)).not.toContain('张三');
    expect(fake.bills.get(r.outBillNo)!.user_name).toBe('张三');
  });

  it('when WeChat takes the transfer but the answer times out, then the provider says unclear and a query finds the bill — never a second one', async () => {
    const r = request();
    const before = fake.billsCreated();
    fake.stallNextTransfers(1, 1500);
    await expect(wechat.transfer(r)).rejects.toBeInstanceOf(PayoutUnclearError);
    const found = await wechat.query(r.outBillNo);
    expect(found).toMatchObject({ outBillNo: r.outBillNo, state: 'WAIT_USER_CONFIRM', amount: r.amount });
    // Retrying with the same number is safe: the same bill comes back.
    expect((await wechat.transfer(r)).transferBillNo).toBe(found!.transferBillNo);
    expect(fake.billsCreated()).toBe(before + 1);
  });

  it('when WeChat answers SYSTEM_ERROR, then it is unclear; a 4xx business error is a refusal with WeChat’s code', async () => {
    const r = request();
    fake.failNext(1);
    await expect(wechat.transfer(r)).rejects.toMatchObject({ code: 'PAYOUT_UNCLEAR' });
    expect((await wechat.transfer(r)).state).toBe('WAIT_USER_CONFIRM');
    await expect(wechat.transfer({ ...r, amount: r.amount + 1 })).rejects.toMatchObject({ code: 'PAYOUT_REFUSED', providerCode: 'INVALID_REQUEST' });
    // Signed with a key WeChat does not know: 401 SIGN_ERROR, refused.
    const wrongKey = await createPayoutProvider(config({ merchantPrivateKeyPem: pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'pkcs8') }));
    await expect(wrongKey.transfer(request())).rejects.toMatchObject({ code: 'PAYOUT_REFUSED', providerCode: 'SIGN_ERROR' });
  });

  it('when an answer does not verify against our platform key, then it is unclear, because the bill may exist', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const misconfigured = await createPayoutProvider(config({ platformCerts: [{ serial: 'PLATFORM-SERIAL-1', publicKeyPem: pem(other.publicKey, 'spki') }] }));
    const r = request();
    await expect(misconfigured.transfer(r)).rejects.toBeInstanceOf(PayoutUnclearError);
    expect(fake.bills.has(r.outBillNo)).toBe(true);
  });

  it('when the user confirms or WeChat fails the bill, then the signed, sealed callback is verified and decrypted into the final state', async () => {
    const ok = request({ amount: 4321 });
    await wechat.transfer(ok);
    expect(await fake.confirm(ok.outBillNo)).toBe(204);
    expect(wechatTarget.notices.at(-1)).toMatchObject({ outBillNo: ok.outBillNo, state: 'SUCCESS', amount: 4321, openid: 'o-payee-1', packageInfo: null });
    expect(await wechat.query(ok.outBillNo)).toMatchObject({ state: 'SUCCESS', packageInfo: null });

    const bad = request();
    await wechat.transfer(bad);
    expect(await fake.fail(bad.outBillNo, 'PAYEE_ACCOUNT_ABNORMAL')).toBe(204);
    expect(wechatTarget.notices.at(-1)).toMatchObject({ outBillNo: bad.outBillNo, state: 'FAIL', failReason: 'PAYEE_ACCOUNT_ABNORMAL' });

    // A callback made with the sandbox's keys is not WeChat's: refused by the production parser.
    const { headers, body } = target.raw.at(-1)!;
    await expect(wechat.parseNotification(headers, body)).rejects.toMatchObject({ reason: 'SERIAL_UNKNOWN' });
  });

  it('when a waiting transfer is cancelled, then CANCELING comes back, and CANCELLED arrives by callback and query', async () => {
    const r = request();
    await wechat.transfer(r);
    expect((await wechat.cancel(r.outBillNo)).state).toBe('CANCELING');
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', url: `/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/${r.outBillNo}/cancel`, authorized: true });
    expect(await fake.finishCancel(r.outBillNo)).toBe(204);
    expect(wechatTarget.notices.at(-1)).toMatchObject({ outBillNo: r.outBillNo, state: 'CANCELLED' });
    expect((await wechat.query(r.outBillNo))!.state).toBe('CANCELLED');
    const paid = request();
    await wechat.transfer(paid);
    await fake.confirm(paid.outBillNo);
    await expect(wechat.cancel(paid.outBillNo)).rejects.toMatchObject({ providerCode: 'INVALID_REQUEST' });
    await expect(wechat.cancel('NoSuchBill0002')).rejects.toMatchObject({ providerCode: 'NOT_FOUND' });
  });
});
