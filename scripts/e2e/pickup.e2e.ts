/**
 * Pickup end to end: a shopper chooses 到店自提 at checkout (their remembered point) and pays; an
 * operator forms the day's batches early and ships over the admin API; the leader opens 配送批次, sees
 * the pick list and confirms arrival with one unit short; the shopper's order shows 待自提 at the
 * point. Screenshots go to .tmp/e2e-shots/pickup-*.png.
 *
 * The leader and the point are written straight into the API's database (`tuan_e2e`, same server as
 * DATABASE_URL): the leader application and approval routes, and the point chooser, come from the
 * leaders branch; once merged this test can go through them instead.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { appUrl, browserSuite, expectText, screenshots } from './browser';
import { RUN, adminToken, api, createCampaign, devLogin, onScreen } from './admin-api';

const shot = screenshots('pickup-');
const requireServer = createRequire(join(__dirname, '..', '..', 'server', 'package.json'));

type Db = { query(sql: string, params?: unknown[]): Promise<[Array<Record<string, unknown>>, unknown]>; end(): Promise<void> };

async function e2eDb(): Promise<Db> {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = '/tuan_e2e';
  const mysql = requireServer('mysql2/promise') as { createConnection(o: object): Promise<Db> };
  return mysql.createConnection({ uri: url.toString(), timezone: 'Z' });
}

async function userIdOf(db: Db, name: string): Promise<number> {
  const [rows] = await db.query('SELECT id FROM users WHERE openid = ? OR nickname = ? ORDER BY id DESC LIMIT 1', [`dev:${name}`, name]);
  if (!rows.length) throw new Error(`no user ${name}`);
  return Number(rows[0].id);
}

describe('pickup orders in the h5 build', () => {
  const suite = browserSuite({ noPageErrors: true });

  it('when a shopper orders for pickup, the batch ships and the leader confirms arrival with a shortage, then the order is 待自提 at the point', async () => {
    const admin = await adminToken();
    const campaign = await createCampaign(admin, { label: '自提', groupSize: 2, groupDurationSec: 600, perOrder: 3 });
    const db = await e2eDb();
    try {
      // The leader signs in once (so the user exists), then becomes an approved leader with an open point.
      const leaderName = `tz${RUN}`;
      const leader = await suite.newPage();
      await devLogin(leader.page, leaderName, { withAddress: false });
      const leaderUserId = await userIdOf(db, leaderName);
      const now = new Date();
      const [l] = (await db.query(`INSERT INTO leaders (user_id, status, name, phone_enc, phone_masked, reviewed_at, created_at, updated_at) VALUES (?, 'approved', '王团长', 'enc:e2e', '138****5678', ?, ?, ?)`, [leaderUserId, now, now, now])) as unknown as [{ insertId: number }];
      const pointName = `幸福里便利店${RUN}`.slice(0, 40);
      const [p] = (await db.query(
        `INSERT INTO pickup_points (leader_id, status, name, kind, province, city, district, address, lat, lng, opening_hours, created_at, updated_at) VALUES (?, 'open', ?, 'store', '广东省', '深圳市', '南山区', '科技园路 8 号', 22.54, 113.95, '08:00-21:00', ?, ?)`,
        [l.insertId, pointName, now, now],
      )) as unknown as [{ insertId: number }];

      // The shopper chose that point before (the chooser's job); checkout offers 到店自提 with it.
      const shopperName = `zt${RUN}`;
      const shopper = await suite.newPage();
      await devLogin(shopper.page, shopperName);
      await db.query(`INSERT INTO user_pickup_points (user_id, point_id, via, updated_at) VALUES (?, ?, 'chosen', ?)`, [await userIdOf(db, shopperName), p.insertId, now]);
      const page = shopper.page;
      await page.goto(appUrl(`/packages/order/pages/checkout/index?kind=solo&campaignId=${campaign.id}&quantity=2`));
      await onScreen(page, '.co-mode-pickup').click();
      await expectText(onScreen(page, '.co-point-name'), `自提点：${pointName}`);
      await expectText(onScreen(page, '.co-point-hours'), /营业时间 08:00-21:00/);
      await shot(page, '1-checkout');
      await onScreen(page, '.btn-submit-order').click();
      await page.waitForURL(/packages\/order\/pages\/pay\/index\?id=\d+/);
      const orderId = Number(/id=(\d+)/.exec(page.url())![1]);
      await onScreen(page, '.btn-sandbox-pay').click();
      await expectText(onScreen(page, '.pay-result-title'), '支付成功', 15_000);
      await page.goto(appUrl(`/packages/order/pages/detail/index?id=${orderId}`));
      await expectText(onScreen(page, '.od-point-name'), pointName);
      await expectText(onScreen(page, '.od-pickup-hint'), /截单后统一配送到自提点/);
      await shot(page, '2-order-to-fulfil');

      // The operator cuts now and ships the point's batch.
      const formed = await api<{ formed: boolean }>('POST', '/admin/pickup-batches/form', { cutoffAt: new Date().toISOString() }, admin);
      expect(formed.formed).toBe(true);
      const { items } = await api<{ items: Array<{ id: number }> }>('GET', `/admin/pickup-batches?pointId=${p.insertId}`, undefined, admin);
      expect(items).toHaveLength(1);
      const batchId = items[0].id;
      await api('POST', `/admin/pickup-batches/${batchId}/ship`, undefined, admin);

      // The leader: 配送批次 → the batch → pick list → 有缺货 (1 of 2 units) → 确认到货.
      const lp = leader.page;
      await lp.goto(appUrl('/packages/leader/pages/batches/index'));
      await expectText(onScreen(lp, `.leader-batch-${batchId} .leader-batch-status`), /配送中/);
      await shot(lp, '3-leader-batches');
      await onScreen(lp, `.leader-batch-${batchId}`).click();
      await lp.waitForURL(/packages\/leader\/pages\/batch\/index\?id=\d+/);
      await expectText(onScreen(lp, '.pick-qty').first(), '×2');
      await expectText(onScreen(lp, `.batch-order-${orderId} .lp-status`), '待发货');
      await shot(lp, '4-leader-pick-list');
      await onScreen(lp, '.btn-count-shortage').click();
      await onScreen(lp, '.pick-minus').first().click();
      await expectText(onScreen(lp, '.pick-received').first(), '1');
      await expectText(onScreen(lp, '.btn-confirm-arrival'), '确认到货（缺 1 件）');
      await shot(lp, '5-leader-shortage');
      await onScreen(lp, '.btn-confirm-arrival').click();
      await lp.locator('.taro-model__confirm').click();
      await expectText(onScreen(lp, '.leader-batch-state'), '已到货');
      await expectText(onScreen(lp, `.batch-order-${orderId} .lp-short`), '缺 1 件已退款');
      await shot(lp, '6-leader-arrived');

      // The shopper: 待自提 at the point, half the money coming back.
      await page.goto(appUrl(`/packages/order/pages/detail/index?id=${orderId}`));
      await expectText(onScreen(page, '.od-status'), '待自提');
      await expectText(onScreen(page, '.od-pickup-hint'), /已到自提点/);
      await shot(page, '7-order-ready');
    } finally {
      await db.end();
    }
  });
});
