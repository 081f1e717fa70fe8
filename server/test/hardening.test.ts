import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import { ErrorCode } from '@tuan/shared';
import { createLogger } from '../src/core/logger';
import { createSystemContext } from '../src/core/system';
import { loginAdmin, loginUser, productBody, startTestApp, uniq, type TestApp, type TestUser } from './support/harness';
import { createCampaign, createCouponTemplate, pay } from './support/groupbuy.factory';

// Issue 14 ("what a hostile client found"): one test per finding, over HTTP against the real MariaDB
// and Redis. The limits are written out as numbers on purpose: they are the contract with WeChat Pay
// (an int32 of fen) and with the database, not whatever the code happens to export.
const INT32_MAX = 2_147_483_647;
const H5_ORIGIN = 'https://h5.tuan.example';

/** Everything the app logs, as parsed JSON lines (the logger writes to this sink instead of stdout). */
const logLines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

let t: TestApp;
let op: Awaited<ReturnType<typeof loginAdmin>>;
let shopper: TestUser;
beforeAll(async () => {
  t = await startTestApp({ CORS_ORIGINS: H5_ORIGIN }, { log: createLogger({ LOG_LEVEL: 'info', NODE_ENV: 'test' }, {}, sink) });
  op = await loginAdmin(t, 'operator');
  shopper = await loginUser(t);
});
afterAll(() => t.close());

const secret = () => new TextEncoder().encode(t.infra.config.JWT_SECRET);
const expectEnvelope = (res: { status: number; body: { error?: { code?: unknown; message?: unknown } } }, status: number, code: string) => {
  expect({ status: res.status, code: res.body.error?.code }).toEqual({ status, code });
  expect(typeof res.body.error?.message).toBe('string');
};

async function productWithSku(sku: { specLabel?: string; listPrice?: number; stock?: number } = {}) {
  const res = await t.http.post('/admin/products').set(op.auth).send(productBody({ skus: [{ specLabel: '一份', listPrice: 2990, stock: 10, ...sku }] }));
  expect(res.status).toBe(201);
  return { productId: res.body.id as number, skuId: res.body.skus[0].id as number };
}

describe('1. money: 64-bit columns and one limit for what can be paid', () => {
  it('when the schema is migrated, then every money column is BIGINT', async () => {
    const money: Array<[string, string]> = [
      ['skus', 'list_price'],
      ['campaigns', 'list_price'], ['campaigns', 'group_price'], ['campaigns', 'opener_price'],
      ['orders', 'unit_price'], ['orders', 'goods_amount'], ['orders', 'discount_amount'], ['orders', 'payable_amount'], ['orders', 'paid_amount'],
      ['refunds', 'amount'], ['payment_notifications', 'amount'],
      ['coupon_templates', 'amount_off'], ['coupon_templates', 'threshold'], ['coupon_templates', 'max_discount'],
    ];
    const rows: Array<{ t: string; c: string; type: string }> = await t.infra.dataSource.query(
      `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, DATA_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND (${money.map(() => '(TABLE_NAME = ? AND COLUMN_NAME = ?)').join(' OR ')})`,
      money.flat(),
    );
    expect(rows.map((r) => `${r.t}.${r.c}:${r.type}`).sort()).toEqual(money.map(([tb, c]) => `${tb}.${c}:bigint`).sort());
  });

  it('when an order’s goods amount passes 2³¹−1 fen but its payable amount fits WeChat Pay, then it is created, shown to the fen and paid', async () => {
    // 99 × ¥217,000 = ¥21,483,000 of goods; a ¥100,000 coupon brings the payable just under the int32 limit.
    const { campaign } = await createCampaign(t, { listPrice: 21_700_000, groupPrice: 21_000_000, stock: 200, limits: { perOrder: 99, unitsPerUser: 999 } });
    const { template } = await createCouponTemplate(t, { amountOff: 10_000_000, threshold: 0, kind: 'amount_off' });
    const u = await loginUser(t);
    const coupon = await t.http.post(`/api/coupon-templates/${template.id}/claim`).set(u.auth);
    expect(coupon.status).toBe(201);
    const order = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, quantity: 99, couponId: coupon.body.id });
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ unitPrice: 21_700_000, quantity: 99, goodsAmount: 2_148_300_000, discountAmount: 10_000_000, payableAmount: 2_138_300_000 });
    expect(order.body.goodsAmount).toBeGreaterThan(INT32_MAX);
    await pay(t, u, order.body.id);
    const paid = await t.http.get(`/api/orders/${order.body.id}`).set(u.auth);
    expect(paid.body).toMatchObject({ status: 'to_fulfil', goodsAmount: 2_148_300_000, payableAmount: 2_138_300_000 });
    const [row] = await t.infra.dataSource.query(`SELECT paid_amount FROM orders WHERE id = ?`, [order.body.id]);
    expect(Number(row.paid_amount)).toBe(2_138_300_000);
  });

  it('when a payable amount exceeds what WeChat Pay accepts (an int32 of fen), then 422 AMOUNT_TOO_LARGE — never a 5xx', async () => {
    // The issue's case: ¥1,000,000 (the largest price validation allows) × 22 units.
    const { campaign } = await createCampaign(t, { listPrice: 100_000_000, groupPrice: 90_000_000, stock: 200, limits: { perOrder: 99, unitsPerUser: 999 } });
    const u = await loginUser(t);
    const preview = await t.http.post('/api/checkout/preview').set(u.auth).send({ kind: 'solo', campaignId: campaign.id, quantity: 99 });
    expectEnvelope(preview, 422, ErrorCode.AMOUNT_TOO_LARGE);
    const usage = async () => (await t.infra.dataSource.query('SELECT COUNT(*) AS n FROM orders WHERE user_id = ?', [u.id]))[0].n;
    expectEnvelope(await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, quantity: 22 }), 422, ErrorCode.AMOUNT_TOO_LARGE);
    // The opener pays the group price (¥900,000): 24 units pass the limit.
    expectEnvelope(await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id, quantity: 24 }), 422, ErrorCode.AMOUNT_TOO_LARGE);
    // Nothing half-written: no order, and the campaign's stock and the user's limits are untouched.
    expect(Number(await usage())).toBe(0);
    expect((await t.http.get(`/api/campaigns/${campaign.id}`)).body.stockLeft).toBe(200);
    expect((await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, quantity: 21 })).status).toBe(201);
  });

  it('when a price is above ¥1,000,000 per unit, then 400 VALIDATION_FAILED for SKU, group and opener prices alike', async () => {
    const tooDear = 100_000_001;
    expect((await t.http.post('/admin/products').set(op.auth).send(productBody({ skus: [{ specLabel: 'x', listPrice: tooDear, stock: 1 }] }))).status).toBe(400);
    const { skuId } = await productWithSku({ listPrice: 100_000_000, stock: 50 });
    const base = { skuId, groupSize: 2, groupDurationSec: 3600, startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString(), stock: 1 };
    expectEnvelope(await t.http.post('/admin/campaigns').set(op.auth).send({ ...base, groupPrice: tooDear }), 400, ErrorCode.VALIDATION_FAILED);
    expectEnvelope(await t.http.post('/admin/campaigns').set(op.auth).send({ ...base, groupPrice: 1000, openerMode: 'opener_price', openerPrice: 2 ** 53 }), 400, ErrorCode.VALIDATION_FAILED);
  });
});

describe('2. unreleased campaigns are not readable', () => {
  it('when a campaign is a draft, then shoppers and anonymous callers get 404 on its page and its preview; operators still see it', async () => {
    const { campaign, op: owner } = await createCampaign(t, { status: 'draft' });
    expectEnvelope(await t.http.get(`/api/campaigns/${campaign.id}`), 404, ErrorCode.CAMPAIGN_NOT_FOUND);
    expectEnvelope(await t.http.get(`/api/campaigns/${campaign.id}`).set(shopper.auth), 404, ErrorCode.CAMPAIGN_NOT_FOUND);
    expectEnvelope(await t.http.post('/api/checkout/preview').set(shopper.auth).send({ kind: 'launch', campaignId: campaign.id, quantity: 1 }), 404, ErrorCode.CAMPAIGN_NOT_FOUND);
    expectEnvelope(await t.http.post('/api/groups').set(shopper.auth).send({ campaignId: campaign.id }), 404, ErrorCode.CAMPAIGN_NOT_FOUND);
    // Same answer as an id that does not exist: nothing tells a draft from a gap.
    expectEnvelope(await t.http.get(`/api/campaigns/${campaign.id + 1_000_000}`), 404, ErrorCode.CAMPAIGN_NOT_FOUND);
    expect((await t.http.get(`/admin/campaigns/${campaign.id}`).set(owner.auth)).status).toBe(200);
  });

  it('when its product is unpublished or archived, then the campaign is hidden and takes no orders, not even joins of open groups', async () => {
    const { campaign, productId, op: owner } = await createCampaign(t, { groupSize: 3 });
    const opener = await loginUser(t);
    const launched = await t.http.post('/api/groups').set(opener.auth).send({ campaignId: campaign.id });
    await pay(t, opener, launched.body.id);
    expect((await t.http.post(`/admin/products/${productId}/unpublish`).set(owner.auth)).status).toBe(200);
    expectEnvelope(await t.http.get(`/api/campaigns/${campaign.id}`), 404, ErrorCode.CAMPAIGN_NOT_FOUND);
    expect((await t.http.get('/api/campaigns?pageSize=50')).body.items.map((c: { id: number }) => c.id)).not.toContain(campaign.id);
    expectEnvelope(await t.http.post('/api/orders/solo').set(shopper.auth).send({ campaignId: campaign.id }), 404, ErrorCode.CAMPAIGN_NOT_FOUND);
    expectEnvelope(await t.http.post(`/api/groups/${launched.body.groupId}/join`).set(shopper.auth).send({}), 404, ErrorCode.CAMPAIGN_NOT_FOUND);
    expectEnvelope(await t.http.post('/api/checkout/preview').set(shopper.auth).send({ kind: 'join', groupId: launched.body.groupId, quantity: 1 }), 404, ErrorCode.CAMPAIGN_NOT_FOUND);
    expect((await t.http.post(`/admin/products/${productId}/archive`).set(owner.auth)).status).toBe(200);
    expectEnvelope(await t.http.get(`/api/campaigns/${campaign.id}`).set(shopper.auth), 404, ErrorCode.CAMPAIGN_NOT_FOUND);
  });
});

describe('3. lone UTF-16 surrogates', () => {
  it('when operator or shopper text holds a lone surrogate, then 400 VALIDATION_FAILED and nothing is written; a real emoji is fine', async () => {
    const { skuId } = await productWithSku();
    expectEnvelope(await t.http.post('/admin/products').set(op.auth).send(productBody({ skus: [{ specLabel: '\ud800', listPrice: 100, stock: 1 }] })), 400, ErrorCode.VALIDATION_FAILED);
    expectEnvelope(await t.http.patch(`/admin/skus/${skuId}`).set(op.auth).send({ specLabel: 'a\udc00b' }), 400, ErrorCode.VALIDATION_FAILED);
    expectEnvelope(await t.http.post(`/admin/skus/${skuId}/stock-adjustments`).set(op.auth).send({ delta: 1, reason: '\ud800' }), 400, ErrorCode.VALIDATION_FAILED);
    expectEnvelope(await t.http.patch('/api/me').set(shopper.auth).send({ nickname: '\ud83d' }), 400, ErrorCode.VALIDATION_FAILED);
    expectEnvelope(await t.http.post('/admin/coupon-templates').set(op.auth).send({ name: '\udfff' }), 400, ErrorCode.VALIDATION_FAILED);
    const [sku] = await t.infra.dataSource.query(`SELECT spec_label, stock FROM skus WHERE id = ?`, [skuId]);
    expect(sku).toMatchObject({ spec_label: '一份', stock: 10 });

    const emoji = await t.http.patch(`/admin/skus/${skuId}`).set(op.auth).send({ specLabel: '🍊 五斤装' });
    expect(emoji.status).toBe(200);
    expect(emoji.body.specLabel).toBe('🍊 五斤装');
  });
});

describe('4. stock bounds', () => {
  it('when repeated valid adjustments would push SKU stock past its maximum, then 409 STOCK_LIMIT_EXCEEDED and the stock stays put', async () => {
    const { skuId } = await productWithSku({ stock: 0 });
    const add = (delta: number) => t.http.post(`/admin/skus/${skuId}/stock-adjustments`).set(op.auth).send({ delta, reason: '补货' });
    expect((await add(10_000_000)).body.stock).toBe(10_000_000);
    expectEnvelope(await add(10_000_000), 409, ErrorCode.STOCK_LIMIT_EXCEEDED);
    expectEnvelope(await add(1), 409, ErrorCode.STOCK_LIMIT_EXCEEDED);
    expect((await add(-5)).body.stock).toBe(9_999_995);
    expect((await add(5)).body.stock).toBe(10_000_000);
    const [sku] = await t.infra.dataSource.query(`SELECT stock FROM skus WHERE id = ?`, [skuId]);
    expect(Number(sku.stock)).toBe(10_000_000);
    // The movements log holds exactly the moves that happened.
    const [{ n }] = await t.infra.dataSource.query(`SELECT COUNT(*) AS n FROM stock_movements WHERE sku_id = ? AND ref_type = 'admin_adjustment'`, [skuId]);
    expect(Number(n)).toBe(3);
  });

  it('when 20 concurrent top-ups race to the maximum, then exactly the ones that fit succeed', async () => {
    const { skuId } = await productWithSku({ stock: 9_000_000 });
    const results = await Promise.all(Array.from({ length: 20 }, () => t.http.post(`/admin/skus/${skuId}/stock-adjustments`).set(op.auth).send({ delta: 100_000, reason: '补货' })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(10);
    expect(results.filter((r) => r.status === 409 && r.body.error.code === ErrorCode.STOCK_LIMIT_EXCEEDED)).toHaveLength(10);
    const [sku] = await t.infra.dataSource.query(`SELECT stock FROM skus WHERE id = ?`, [skuId]);
    expect(Number(sku.stock)).toBe(10_000_000);
  });
});

describe('5. router answers: envelope on 404 and 405, never 501', () => {
  it('when a known path is called with a method it does not take, then 405 METHOD_NOT_ALLOWED with Allow', async () => {
    const cases: Array<[string, string, string]> = [
      ['get', '/api/auth/login', 'POST'],
      ['put', '/api/me', 'HEAD, GET, PATCH'],
      ['get', '/api/groups/', 'POST'],
      ['delete', '/api/products', 'HEAD, GET'],
      ['get', '/api/payments/wechatpay/notify', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await (t.http as unknown as Record<string, (p: string) => Promise<{ status: number; headers: Record<string, string>; body: never }>>)[method]!(path);
      expectEnvelope(res, 405, ErrorCode.METHOD_NOT_ALLOWED);
      expect(res.headers.allow!.split(', ').sort()).toEqual(allow.split(', ').sort());
    }
  });

  it('when an unknown method such as TRACE or PROPFIND is used, then 405 on a known path and 404 elsewhere — never 501', async () => {
    const trace = await t.http.trace('/api/me').set(shopper.auth);
    expectEnvelope(trace, 405, ErrorCode.METHOD_NOT_ALLOWED);
    expect(trace.headers.allow).toContain('GET');
    const propfind = await fetch(`${t.url}/api/auth/login`, { method: 'PROPFIND' });
    expect(propfind.status).toBe(405);
    expect(propfind.headers.get('allow')).toBe('POST');
    expect((await propfind.json()).error.code).toBe(ErrorCode.METHOD_NOT_ALLOWED);
    expectEnvelope(await t.http.trace('/api/nowhere'), 404, ErrorCode.ROUTE_NOT_FOUND);
    expectEnvelope(await t.http.get('/api/nowhere'), 404, ErrorCode.ROUTE_NOT_FOUND);
    // OPTIONS is answered (200 with Allow), not an error.
    const opts = await t.http.options('/api/me');
    expect(opts.status).toBe(200);
    expect(opts.headers.allow).toContain('PATCH');
  });
});

describe('6. caching and framing', () => {
  it('when an answer carries tokens or personal data, then Cache-Control is no-store', async () => {
    const name = uniq('cache');
    const login = await t.http.post('/api/auth/login').send({ code: `dev:${name}` });
    const u = { auth: { Authorization: `Bearer ${login.body.accessToken}` } };
    const answers: Array<[string, { headers: Record<string, string> }]> = [
      ['login', login],
      ['refresh', await t.http.post('/api/auth/refresh').send({ refreshToken: login.body.refreshToken })],
      ['admin login (401)', await t.http.post('/admin/auth/login').send({ username: 'nobody', password: 'wrong-password' })],
      ['me', await t.http.get('/api/me').set(u.auth)],
      ['me (401)', await t.http.get('/api/me')],
      ['orders', await t.http.get('/api/orders').set(u.auth)],
      ['order (404)', await t.http.get('/api/orders/999999999').set(u.auth)],
      ['my coupons', await t.http.get('/api/my/coupons').set(u.auth)],
      ['coupon centre', await t.http.get('/api/coupon-center')],
      ['admin me', await t.http.get('/admin/me').set(op.auth)],
      ['admin products', await t.http.get('/admin/products').set(op.auth)],
    ];
    for (const [what, res] of answers) expect(`${what}: ${res.headers['cache-control']}`).toBe(`${what}: no-store`);
    // Public catalogue reads are not personal and stay cacheable by default.
    expect((await t.http.get('/api/products')).headers['cache-control']).toBeUndefined();
  });

  it('when the docs page is loaded, then it has a CSP that forbids framing, X-Frame-Options DENY and a Referrer-Policy', async () => {
    for (const path of ['/docs', '/docs/init.js', '/openapi.json', '/api/products']) {
      const res = await t.http.get(path);
      expect(res.status).toBe(200);
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    const csp = (await t.http.get('/docs')).headers['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("script-src 'self' 'unsafe-inline'");
    expect((await t.http.get('/api/products')).headers['content-security-policy']).toContain("default-src 'none'");
  });
});

describe('7. access tokens: exp, iat and a canonical subject', () => {
  const sign = (sub: string, aud: string, opts: { exp?: boolean; iat?: boolean } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    let jwt = new SignJWT(aud === 'tuan-admin' ? { role: 'admin' } : {}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer(t.infra.config.JWT_ISSUER).setAudience(aud);
    if (opts.iat !== false) jwt = jwt.setIssuedAt(now);
    if (opts.exp !== false) jwt = jwt.setExpirationTime(now + 600);
    return jwt.sign(secret());
  };
  const me = async (token: string, path = '/api/me') => t.http.get(path).set('Authorization', `Bearer ${token}`);

  it('when a correctly signed token has no exp or no iat, then 401 TOKEN_INVALID', async () => {
    expect((await me(await sign(String(shopper.id), 'tuan-app'))).status).toBe(200);
    expectEnvelope(await me(await sign(String(shopper.id), 'tuan-app', { exp: false })), 401, ErrorCode.TOKEN_INVALID);
    expectEnvelope(await me(await sign(String(shopper.id), 'tuan-app', { iat: false })), 401, ErrorCode.TOKEN_INVALID);
  });

  it('when the subject is not the canonical decimal id, then 401 TOKEN_INVALID for shopper and operator tokens', async () => {
    const admin = await loginAdmin(t, 'admin');
    for (const [id, aud, path] of [[shopper.id, 'tuan-app', '/api/me'], [admin.id, 'tuan-admin', '/admin/me']] as const) {
      expect((await me(await sign(String(id), aud), path)).status).toBe(200);
      for (const sub of [` ${id}`, `${id} `, `0x${id.toString(16)}`, `${id}e0`, `0${id}`, `+${id}`, `${id}.0`, `${id}.`, '0', '-1', '9007199254740993', '1'.repeat(17)]) {
        expectEnvelope(await me(await sign(sub, aud), path), 401, ErrorCode.TOKEN_INVALID);
      }
    }
  });
});

describe('8. logs carry the statement shape, never its values', () => {
  const trigger = `tuan_test_boom_${process.pid}`;
  const marker = uniq('boom');
  afterAll(() => t.infra.dataSource.query(`DROP TRIGGER IF EXISTS ${trigger}`));

  it('when a statement fails with personal data bound to it, then the error line has the SQL shape and none of the values', async () => {
    // A trigger makes exactly this user's profile update fail inside MariaDB, like any failing statement would.
    await t.infra.dataSource.query(`DROP TRIGGER IF EXISTS ${trigger}`);
    await t.infra.dataSource.query(
      `CREATE TRIGGER ${trigger} BEFORE UPDATE ON users FOR EACH ROW BEGIN IF NEW.nickname = '${marker}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'simulated failure'; END IF; END`,
    );
    const avatar = `https://img.example.com/${uniq('private')}.png`;
    const res = await t.http.patch('/api/me').set(shopper.auth).send({ nickname: marker, avatarUrl: avatar });
    expectEnvelope(res, 500, ErrorCode.INTERNAL);
    const line = logLines.find((l) => l.msg === 'unhandled error' && l.requestId === res.body.error.requestId);
    expect(line).toBeDefined();
    const text = JSON.stringify(line);
    expect(text).not.toContain(marker);
    expect(text).not.toContain(avatar);
    const err = line!.err as Record<string, unknown>;
    expect(err.parameters).toBeUndefined();
    expect(err.query).toMatch(/^UPDATE `users` SET .*`nickname` = \?/);
    expect(err.message).toContain('simulated failure');
  });
});

describe('9. a cancel racing a payment', () => {
  const sandbox = () => t.services.provider as unknown as { simulatePay(no: string, amount: number, o: object): Promise<number>; queryTransaction(no: string): Promise<{ tradeState: string }> };

  it('when shoppers cancel while paying, 30 times at once, then each order is either cancelled and never charged, or paid and kept — never charged and refunded', async () => {
    const { campaign } = await createCampaign(t, { stock: 100, limits: { perOrder: 1, unitsPerUser: 10 } });
    const runs = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const u = await loginUser(t);
        const o = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id });
        const [cancel, paid] = await Promise.all([
          t.http.post(`/api/orders/${o.body.id}/cancel`).set(u.auth),
          t.http.post(`/api/orders/${o.body.id}/sandbox-pay`).set(u.auth),
        ]);
        return { id: o.body.id as number, orderNo: o.body.orderNo as string, cancel: cancel.status, pay: paid.status, auth: u.auth };
      }),
    );
    let cancelled = 0;
    for (const r of runs) {
      const view = (await t.http.get(`/api/orders/${r.id}`).set(r.auth)).body;
      expect(view.refunds).toEqual([]);
      if (view.status === 'cancelled') {
        cancelled++;
        expect(r.pay).toBe(409);
        expect((await sandbox().queryTransaction(r.orderNo)).tradeState).toBe('CLOSED');
      } else {
        expect(view.status).toBe('to_fulfil');
        expect([200, 409]).toContain(r.cancel);
        expect((await sandbox().queryTransaction(r.orderNo)).tradeState).toBe('SUCCESS');
      }
    }
    const ids = runs.map((r) => r.id);
    const [{ n }] = await t.infra.dataSource.query(`SELECT COUNT(*) AS n FROM refunds WHERE order_id IN (${ids.map(() => '?').join(',')})`, ids);
    expect(Number(n)).toBe(0);
    // Both outcomes happen in a race; what never happens is charged-and-refunded (checked above).
    t.infra.log.info({ cancelled, paid: runs.length - cancelled }, 'cancel/pay race outcomes');
  });

  it('when the money was taken but its notification has not arrived, then a cancel loses to the payment: 409 ORDER_ALREADY_PAID and the order is paid', async () => {
    const { campaign } = await createCampaign(t);
    const u = await loginUser(t);
    const o = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id });
    // WeChat charged the payer; its notification went nowhere (it will be retried later).
    await sandbox().simulatePay(o.body.orderNo, o.body.payableAmount, { notifyUrl: 'http://127.0.0.1:9/unreachable' }).catch(() => undefined);
    expectEnvelope(await t.http.post(`/api/orders/${o.body.id}/cancel`).set(u.auth), 409, ErrorCode.ORDER_ALREADY_PAID);
    const view = (await t.http.get(`/api/orders/${o.body.id}`).set(u.auth)).body;
    expect(view.status).toBe('to_fulfil');
    expect(view.refunds).toEqual([]);
  });

  it('when an unpaid order times out, then its payment is closed too, so a late payer cannot be charged', async () => {
    const { campaign } = await createCampaign(t, { paymentTimeoutSec: 2 });
    const u = await loginUser(t);
    const o = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id });
    await new Promise((r) => setTimeout(r, 2200));
    const ctx = createSystemContext(t.infra, 'test');
    expect(await t.services.outcomes.expireOrder(ctx, o.body.id)).toBe(true);
    expect((await sandbox().queryTransaction(o.body.orderNo)).tradeState).toBe('CLOSED');
  });
});

describe('10. HTTP plumbing from well-kept middleware', () => {
  it('when any answer goes out, then helmet’s security headers are on it', async () => {
    const res = await t.http.get('/api/products');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-permitted-cross-domain-policies']).toBe('none');
  });

  it('when an allowed origin sends a preflight, then @koa/cors answers it; other origins get no CORS headers', async () => {
    const pre = await t.http.options('/api/orders').set('Origin', H5_ORIGIN).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(H5_ORIGIN);
    expect(pre.headers['access-control-allow-headers']).toContain('Idempotency-Key');
    const simple = await t.http.get('/api/products').set('Origin', H5_ORIGIN);
    expect(simple.headers['access-control-allow-origin']).toBe(H5_ORIGIN);
    expect(simple.headers.vary).toContain('Origin');
    const other = await t.http.get('/api/products').set('Origin', 'https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('when static files are fetched, then they are served with type, length and Last-Modified; escapes are 404', async () => {
    const svg = await t.http.get('/static/products/orange.svg');
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    expect(svg.headers['last-modified']).toBeTruthy();
    expect(svg.headers['cache-control']).toContain('max-age=86400');
    for (const path of ['/static/..%2f..%2fpackage.json', '/static/%2e%2e/%2e%2e/package.json', '/static/products/nope.svg', '/static/%E0%A4%A']) {
      expectEnvelope(await t.http.get(path), 404, ErrorCode.ROUTE_NOT_FOUND);
    }
  });

  it('when bodies are too large, not JSON or malformed, then the same envelopes as before', async () => {
    expectEnvelope(await t.http.post('/api/auth/login').set('content-type', 'text/plain').send('code=dev:x'), 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    expectEnvelope(await t.http.post('/api/auth/login').set('content-type', 'application/json').send('{"code":'), 400, ErrorCode.MALFORMED_JSON);
    expectEnvelope(await t.http.post('/api/auth/login').send({ code: 'x'.repeat(300_000) }), 413, ErrorCode.PAYLOAD_TOO_LARGE);
    // +json media types are JSON too.
    const vendor = await t.http.post('/api/auth/login').set('content-type', 'application/vnd.tuan+json').send(JSON.stringify({ code: `dev:${uniq('v')}` }));
    expect(vendor.status).toBe(200);
  });
});
