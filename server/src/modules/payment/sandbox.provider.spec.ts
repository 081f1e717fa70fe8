import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createVerify } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { createPaymentProvider, PaymentNotificationError, type PaymentConfig } from './payment.provider';
import { ensureSandboxKeys, loadSandboxKeys, SandboxPaymentProvider, type SandboxKeys } from './sandbox.provider';
import { PaymentProviderError } from './wechatpay.provider';

// ---- Redis: REDIS_URL if given, else a private throw-away redis-server -------------------------

let redisProcess: ChildProcess | undefined;
let redis: Redis;
const PREFIX = `tuan-test-${process.pid}-${Date.now()}:`;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function startRedis(): Promise<string> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const port = await freePort();
  redisProcess = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  return `redis://127.0.0.1:${port}`;
}

// ---- Notify target: a local HTTP server that hands each POST to a handler ----------------------

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

async function notifyTarget(handle: (r: Received) => Promise<number>): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      handle(r).then(
        (status) => res.writeHead(status).end(),
        () => res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"code":"FAIL","message":"error"}'),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/payments/notify`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let tmpRoot: string;
let keyDir: string;
let keys: SandboxKeys;

function sandbox(over: Partial<ConstructorParameters<typeof SandboxPaymentProvider>[0]> = {}): SandboxPaymentProvider {
  return new SandboxPaymentProvider({
    keys,
    appId: 'wxsandbox0000001',
    mchId: '1900000001',
    notifyUrl: 'http://127.0.0.1:1/unused',
    refundNotifyUrl: 'http://127.0.0.1:1/unused',
    timeoutMs: 3000,
    redis,
    redisPrefix: PREFIX,
    ...over,
  });
}

let seq = 0;
const no = (p: string) => `${p}${Date.now()}${++seq}`;

beforeAll(async () => {
  tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'tuan-sandbox-'));
  keyDir = path.join(tmpRoot, 'keys');
  const url = await startRedis();
  // redis-server needs a moment to listen: retry the connection for up to ~5 s.
  redis = new Redis(url, { maxRetriesPerRequest: 100, retryStrategy: (n) => (n > 100 ? null : 50) });
  await redis.ping();
  keys = await ensureSandboxKeys(keyDir);
});

afterAll(async () => {
  if (process.env.REDIS_URL) {
    const stale = await redis.keys(`${PREFIX}*`);
    if (stale.length) await redis.del(...stale);
  }
  redis.disconnect();
  if (redisProcess) {
    redisProcess.kill('SIGTERM');
    await new Promise((r) => redisProcess!.once('exit', r));
  }
  await fs.rm(tmpRoot, { recursive: true, force: true });
});

describe('sandbox keys', () => {
  it('when created, then PEM files and a json land in the directory and a reload gives the same keys', async () => {
    const files = (await fs.readdir(keyDir)).sort();
    expect(files).toHaveLength(5);
    expect(files.filter((f) => f.endsWith('.pem'))).toHaveLength(4);
    expect(files).toContain('sandbox-keys.json');
    const again = await ensureSandboxKeys(keyDir);
    expect(again.platformSerialNo).toBe(keys.platformSerialNo);
    expect(again.merchantSerialNo).toBe(keys.merchantSerialNo);
    expect(again.apiV3Key.equals(keys.apiV3Key)).toBe(true);
    expect(keys.platformSerialNo).toMatch(/^[0-9A-F]{40}$/);
    expect(keys.apiV3Key).toHaveLength(32);
    const mode = (await fs.stat(path.join(keyDir, 'sandbox-keys.json'))).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('when several creators race on an empty directory, then all end up with the same keys and no leftovers', async () => {
    const dir = path.join(tmpRoot, 'race');
    const all = await Promise.all([1, 2, 3, 4].map(() => ensureSandboxKeys(dir)));
    for (const k of all) {
      expect(k.platformSerialNo).toBe(all[0]!.platformSerialNo);
      expect(k.apiV3Key.equals(all[0]!.apiV3Key)).toBe(true);
    }
    expect((await fs.readdir(dir)).sort()).toHaveLength(5);
  });

  it('when two OS processes start at once on an empty directory, then they share keys and verify each other’s notifications', async () => {
    // Compile this module to plain JS so real child processes can run it (no jest in between).
    const swc = require('@swc/core') as typeof import('@swc/core');
    const outDir = path.join(tmpRoot, 'compiled');
    await fs.mkdir(outDir);
    for (const f of ['wechatpay.crypto', 'wechatpay.provider', 'sandbox.provider', 'payment.provider']) {
      const { code } = swc.transformFileSync(path.join(__dirname, `${f}.ts`), {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      });
      await fs.writeFile(path.join(outDir, `${f}.js`), code);
    }
    const script = `
      const { ensureSandboxKeys, SandboxPaymentProvider } = require(${JSON.stringify(path.join(outDir, 'sandbox.provider.js'))});
      ensureSandboxKeys(process.argv[1]).then((keys) => {
        const p = new SandboxPaymentProvider({ keys, appId: 'wxsandbox0000001', mchId: '1900000001', notifyUrl: '', refundNotifyUrl: '', timeoutMs: 1000, redis: {} });
        process.stdout.write(JSON.stringify(p.buildTransactionNotification('T' + process.pid, 4321)));
      });`;
    const dir = path.join(tmpRoot, 'multi-process');
    const run = () =>
      promisify(execFile)(process.execPath, ['-e', script, dir], {
        env: { ...process.env, NODE_PATH: path.join(__dirname, '../../../node_modules') },
      });
    const outputs = await Promise.all([run(), run(), run()]);
    const mine = sandbox({ keys: await loadSandboxKeys(dir) });
    for (const { stdout } of outputs) {
      const note = JSON.parse(stdout) as { headers: Record<string, string>; body: string };
      expect((await mine.parseTransactionNotification(note.headers, note.body)).amountTotal).toBe(4321);
    }
    expect(await fs.readdir(dir)).toHaveLength(5);
  });

  it('when the key file is absent, then loadSandboxKeys fails with ENOENT', async () => {
    await expect(loadSandboxKeys(path.join(tmpRoot, 'nothing-here'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('SandboxPaymentProvider', () => {
  it('when prepaying, then it answers like WeChat (paySign verifiable with the sandbox merchant key) plus sandbox: true', async () => {
    const provider = sandbox();
    const r = await provider.createJsapiPrepay({
      outTradeNo: no('T'),
      description: '测试商品',
      amountTotal: 1,
      openid: 'dev_alice',
      expiresAt: new Date(Date.now() + 60_000),
    });
    expect(r.sandbox).toBe(true);
    expect(r.package).toBe(`prepay_id=${r.prepayId}`);
    const message = `wxsandbox0000001\n${r.timeStamp}\n${r.nonceStr}\n${r.package}\n`;
    expect(createVerify('RSA-SHA256').update(message).verify(keys.merchantPublicKey, r.paySign, 'base64')).toBe(true);
  });

  it('when simulatePay runs, then the notify URL receives a WeChat-shaped notification that parseTransactionNotification accepts', async () => {
    const provider = sandbox();
    const outTradeNo = no('T');
    const target = await notifyTarget(async (r) => {
      await provider.parseTransactionNotification(r.headers, r.body);
      return 204;
    });
    try {
      const status = await provider.simulatePay(outTradeNo, 2990, { openid: 'dev_bob', attach: 'g:7', notifyUrl: target.url });
      expect(status).toBe(204);
      const { headers, body } = target.received[0]!;
      expect(headers['content-type']).toBe('application/json');
      expect(headers['wechatpay-serial']).toBe(keys.platformSerialNo);
      for (const h of ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-signature']) expect(headers[h]).toBeTruthy();
      const envelope = JSON.parse(body.toString());
      expect(envelope).toMatchObject({
        resource_type: 'encrypt-resource',
        event_type: 'TRANSACTION.SUCCESS',
        summary: '支付成功',
        resource: { algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction', original_type: 'transaction' },
      });
      expect(Object.keys(envelope).sort()).toEqual(['create_time', 'event_type', 'id', 'resource', 'resource_type', 'summary']);

      const notice = await provider.parseTransactionNotification(headers, body);
      expect(notice).toMatchObject({
        outTradeNo,
        tradeState: 'SUCCESS',
        amountTotal: 2990,
        payerTotal: 2990,
        openid: 'dev_bob',
        mchid: '1900000001',
        appid: 'wxsandbox0000001',
        attach: 'g:7',
        transactionId: provider.transactionIdFor(outTradeNo),
      });
      expect(Math.abs(notice.successTime.getTime() - Date.now())).toBeLessThan(5000);
      expect(await provider.queryTransaction(outTradeNo)).toMatchObject({ tradeState: 'SUCCESS', amountTotal: 2990, openid: 'dev_bob' });
    } finally {
      await target.close();
    }
  });

  it('when the notify URL answers an error, then simulatePay returns that status', async () => {
    const provider = sandbox();
    const target = await notifyTarget(async () => {
      throw new Error('db down');
    });
    try {
      expect(await provider.simulatePay(no('T'), 100, { notifyUrl: target.url })).toBe(500);
    } finally {
      await target.close();
    }
  });

  it('when two providers load the same key directory, then each verifies the other’s notifications; a foreign sandbox is refused', async () => {
    const a = sandbox({ keys: await loadSandboxKeys(keyDir) });
    const b = sandbox({ keys: await ensureSandboxKeys(keyDir) });
    const fromA = a.buildTransactionNotification(no('T'), 100);
    const fromB = b.buildTransactionNotification(no('T'), 200);
    expect((await b.parseTransactionNotification(fromA.headers, fromA.body)).amountTotal).toBe(100);
    expect((await a.parseTransactionNotification(fromB.headers, fromB.body)).amountTotal).toBe(200);

    const foreign = sandbox({ keys: await ensureSandboxKeys(path.join(tmpRoot, 'other')) });
    const fromForeign = foreign.buildTransactionNotification(no('T'), 300);
    await expect(a.parseTransactionNotification(fromForeign.headers, fromForeign.body)).rejects.toMatchObject({ reason: 'SERIAL_UNKNOWN' });
    await expect(a.parseTransactionNotification(fromForeign.headers, fromForeign.body)).rejects.toBeInstanceOf(PaymentNotificationError);
  });

  it('when refunding, then SUCCESS with a refund id; the same refund number returns the same refund and never refunds twice', async () => {
    const provider = sandbox();
    const input = { outTradeNo: no('T'), outRefundNo: no('R'), refundAmount: 150, totalAmount: 300, reason: '拼团失败' };
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => provider.refund(input)));
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0]).toMatchObject({ status: 'SUCCESS', amountRefund: 150, amountTotal: 300, outRefundNo: input.outRefundNo });
    expect(results[0]!.refundId).toMatch(/^5030\d{25}$/);
    // Another process (another provider instance on the same Redis) sees the same refund.
    expect(await sandbox().refund(input)).toEqual(results[0]);
    expect(await provider.queryRefund(input.outRefundNo)).toEqual(results[0]);
    expect(await redis.exists(`${PREFIX}sandbox:refund:{${input.outRefundNo}}`)).toBe(1);

    const err = await provider.refund({ ...input, refundAmount: 151 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PaymentProviderError);
    expect(err).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    await expect(provider.queryRefund(no('R'))).rejects.toMatchObject({ code: 'RESOURCE_NOT_EXISTS' });
  });

  it('when a refund notification is simulated, then parseRefundNotification accepts it', async () => {
    const provider = sandbox();
    const input = { outTradeNo: no('T'), outRefundNo: no('R'), refundAmount: 300, totalAmount: 300 };
    const refund = await provider.refund(input);
    const target = await notifyTarget(async (r) => {
      await provider.parseRefundNotification(r.headers, r.body);
      return 200;
    });
    try {
      expect(await provider.simulateRefundNotification(input.outRefundNo, { notifyUrl: target.url })).toBe(200);
      const { headers, body } = target.received[0]!;
      expect(JSON.parse(body.toString())).toMatchObject({ event_type: 'REFUND.SUCCESS', resource: { original_type: 'refund', associated_data: 'refund' } });
      const notice = await provider.parseRefundNotification(headers, body);
      expect(notice).toMatchObject({
        eventType: 'REFUND.SUCCESS',
        refundStatus: 'SUCCESS',
        outRefundNo: input.outRefundNo,
        outTradeNo: input.outTradeNo,
        refundId: refund.refundId,
        amountRefund: 300,
      });
      // A payment notification is not a refund notification.
      await expect(provider.parseTransactionNotification(headers, body)).rejects.toMatchObject({ reason: 'MALFORMED' });
      const abnormal = await provider.buildRefundNotification(input.outRefundNo, { status: 'ABNORMAL' });
      expect(await provider.parseRefundNotification(abnormal.headers, abnormal.body)).toMatchObject({ refundStatus: 'ABNORMAL', eventType: 'REFUND.ABNORMAL', successTime: null });
    } finally {
      await target.close();
    }
  });

  it('when closing orders, then an unpaid one closes and a paid one answers ORDERPAID', async () => {
    const provider = sandbox();
    const target = await notifyTarget(async () => 204);
    try {
      const unpaid = no('T');
      await provider.closeOrder(unpaid);
      await provider.closeOrder(unpaid);
      expect((await provider.queryTransaction(unpaid)).tradeState).toBe('CLOSED');
      expect((await provider.queryTransaction(no('T'))).tradeState).toBe('NOTPAY');
      const paid = no('T');
      await provider.simulatePay(paid, 100, { notifyUrl: target.url });
      await expect(provider.closeOrder(paid)).rejects.toMatchObject({ code: 'ORDERPAID' });
    } finally {
      await target.close();
    }
  });

  it('when the factory is asked for the sandbox, then it creates the keys and a working provider', async () => {
    const config: PaymentConfig = {
      provider: 'sandbox',
      appId: '',
      mchId: '',
      merchantSerialNo: '',
      merchantPrivateKeyPem: '',
      platformCerts: [],
      apiV3Key: '',
      baseUrl: '',
      notifyUrl: 'http://127.0.0.1:1/unused',
      refundNotifyUrl: 'http://127.0.0.1:1/unused',
      sandboxKeyDir: path.join(tmpRoot, 'factory'),
      timeoutMs: 1000,
    };
    const p1 = await createPaymentProvider(config, { redis, redisPrefix: PREFIX });
    const p2 = await createPaymentProvider(config, { redis, redisPrefix: PREFIX });
    expect(p1.name).toBe('sandbox');
    const note = (p1 as SandboxPaymentProvider).buildTransactionNotification(no('T'), 1);
    expect((await p2.parseTransactionNotification(note.headers, note.body)).amountTotal).toBe(1);
    await expect(createPaymentProvider(config)).rejects.toThrow(/Redis/);
  });
});
