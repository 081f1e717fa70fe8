/**
 * Pickup codes and 核销 end to end. A shopper pays an order; it becomes a pickup order waiting at a
 * leader's point the way the pickup branch's arrival confirmation does it (the fulfilment row, then
 * `to_fulfil → ready_for_pickup` through `move()` with `order.ready_for_pickup`, written straight to the
 * e2e database until the arrival page exists); the running worker gives it its code. The shopper sees
 * 待提货 with the code and its QR; the leader types a wrong code (refused), then the right one, sees the
 * order, confirms; both see 已提货, and the leader's 团长收益 shows the commission held (冻结中).
 * Screenshots go to .tmp/e2e-shots/pickup-*.png.
 */
import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../server/src/core/data-source';
import { move } from '../../server/src/core/lifecycle';
import { withTransaction } from '../../server/src/core/transaction';
import { createLogger } from '../../server/src/core/logger';
import { LeaderEntity, PickupPointEntity } from '../../server/src/modules/leader/leader.entity';
import { FulfilmentEntity } from '../../server/src/modules/order/order.entity';
import { orderLifecycle } from '../../server/src/modules/order/order.state';
import { appUrl, browserSuite, collectPageErrors, expectText, screenshots } from './browser';
import { RUN, adminToken, api, createCampaign, devLogin, onScreen, shopperWithAddress } from './admin-api';

const shot = screenshots('pickup-');
let db: DataSource;

beforeAll(async () => {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error('E2E_DATABASE_URL is not set (scripts/test.mjs passes the e2e database)');
  db = createDataSource(url, 2);
  await db.initialize();
});
afterAll(async () => {
  await db?.destroy();
});

/** An approved leader with an open point (the leader branch's approval does this over its admin routes). */
async function leaderOf(userId: number): Promise<{ leaderId: number; pointId: number; pointName: string }> {
  const now = new Date();
  const l = await db.manager.insert(LeaderEntity, {
    userId, status: 'approved', name: '王团长', phoneEnc: 'e2e', phoneMasked: '139****1111', commissionBps: null, rejectReason: null, reviewedAt: now, createdAt: now, updatedAt: now,
  });
  const leaderId = Number(l.identifiers[0]!.id);
  const pointName = `幸福里${RUN.slice(-4)}自提点`;
  const p = await db.manager.insert(PickupPointEntity, {
    leaderId, status: 'open', name: pointName, kind: 'store', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 100 号',
    lat: 30.28, lng: 120.13, openingHours: '08:00-21:00', photoUrl: null, createdAt: now, updatedAt: now,
  });
  return { leaderId, pointId: Number(p.identifiers[0]!.id), pointName };
}

/** The arrival of the order's goods at the point, as the pickup branch's confirmation writes it. */
async function arrive(orderId: number, userId: number, leader: { leaderId: number; pointId: number; pointName: string }): Promise<void> {
  const ctx = { actor: { kind: 'system' as const, name: 'e2e' }, requestId: 'e2e-arrival', log: createLogger({ LOG_LEVEL: 'silent', NODE_ENV: 'test' }), manager: db.manager };
  await withTransaction(db, ctx, async (tx) => {
    const readyAt = new Date();
    await tx.manager.update(FulfilmentEntity, { orderId }, { mode: 'pickup', pickupPointId: leader.pointId, leaderId: leader.leaderId, pickupPointName: leader.pointName, readyAt, updatedAt: readyAt });
    const moved = await move(tx, orderLifecycle, orderId, 'to_fulfil', 'ready_for_pickup', {
      note: '已到达自提点',
      events: [{ type: 'order.ready_for_pickup', aggregateType: 'order', aggregateId: orderId, payload: { orderId, userId, pointId: leader.pointId, leaderId: leader.leaderId, readyAt: readyAt.toISOString() } }],
    });
    if (!moved) throw new Error(`order ${orderId} was not to_fulfil`);
  });
}

async function until<T>(fn: () => Promise<T | null | undefined | false>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('pickup code and verification in the h5 build', () => {
  const suite = browserSuite();

  it('when a paid order waits at a point, then the shopper shows 提货码 + QR, the leader verifies it on the 核销 page, both see 已提货 and the commission is held', async () => {
    const admin = await adminToken();
    const campaign = await createCampaign(admin, { label: '自提', groupSize: 2, groupDurationSec: 600 });

    // The shopper buys alone and pays (over the API: checkout with a point is the pickup branch's page).
    const shopperName = `pk${RUN}`;
    const shopperToken = await shopperWithAddress(shopperName);
    const order = await api<{ id: number }>('POST', '/api/orders/solo', { campaignId: campaign.id }, shopperToken);
    await api('POST', `/api/orders/${order.id}/sandbox-pay`, undefined, shopperToken);
    await until(async () => (await api<{ status: string }>('GET', `/api/orders/${order.id}`, undefined, shopperToken)).status === 'to_fulfil', 'to_fulfil');

    const leaderName = `ld${RUN}`;
    const leaderLogin = await api<{ user: { id: number } }>('POST', '/api/auth/login', { code: `dev:${leaderName}` });
    const leader = await leaderOf(leaderLogin.user.id);
    const me = (await api<{ user: { id: number } }>('POST', '/api/auth/login', { code: `dev:${shopperName}` })).user.id;
    await arrive(order.id, me, leader);

    // The shopper: 待提货 with the code and its QR.
    const shopperCtx = await suite.userContext();
    const sp = await shopperCtx.newPage();
    const shopperErrors = collectPageErrors(sp);
    await devLogin(sp, shopperName);
    await sp.goto(appUrl(`/packages/order/pages/detail/index?id=${order.id}`));
    await expectText(onScreen(sp, '.od-status'), '待提货');
    const digits = onScreen(sp, '#pickup-code-digits');
    await until(async () => {
      if (await digits.count()) return true;
      await onScreen(sp, '.od-pickup-code .btn').click().catch(() => undefined);
      return false;
    }, 'the code on the page');
    const code = (await digits.innerText()).replace(/\D/g, '');
    expect(code).toMatch(/^\d{8}$/);
    const qrWidth = await onScreen(sp, '#pickup-qr img').evaluate((img) => (img as HTMLImageElement).naturalWidth);
    expect(qrWidth).toBeGreaterThan(100);
    await shot(sp, '1-shopper-code');
    await sp.goto(appUrl('/pages/orders/index'));
    await onScreen(sp, '.order-tab-to_pickup').click();
    await expectText(onScreen(sp, '.order-status').first(), '待提货');
    await shot(sp, '2-shopper-tab');

    // The leader: a wrong code is refused, the right one shows the order, 确认提货 hands it over.
    const leaderCtx = await suite.userContext();
    const lp = await leaderCtx.newPage();
    const leaderErrors = collectPageErrors(lp);
    await devLogin(lp, leaderName, { withAddress: false });
    await lp.goto(appUrl('/packages/leader/pages/verify/index'));
    const wrong = code === '12345678' ? '87654321' : '12345678';
    await onScreen(lp, '#lv-code input').fill(wrong);
    await onScreen(lp, '.lv-lookup').click();
    await expectText(onScreen(lp, '#lv-error'), '提货码无效');
    await shot(lp, '3-leader-wrong-code');
    await onScreen(lp, '#lv-code input').fill(code);
    await onScreen(lp, '.lv-lookup').click();
    await expectText(onScreen(lp, '#lv-status'), '待提货');
    await expectText(onScreen(lp, '.lv-order-meta').first(), '1 份 × 1');
    await shot(lp, '4-leader-before');
    await onScreen(lp, '#lv-confirm').click();
    await expectText(onScreen(lp, '#lv-status'), '已提货');
    await shot(lp, '5-leader-after');

    // The shopper's order: 已提货.
    await sp.goto(appUrl(`/packages/order/pages/detail/index?id=${order.id}`));
    await expectText(onScreen(sp, '.od-status'), '已提货');
    await shot(sp, '6-shopper-picked-up');

    // 团长收益: ¥39.90 GMV, ⌊3990 × 3 %⌋ = ¥1.19 frozen (the worker posts it).
    await until(async () => {
      await lp.goto(appUrl('/packages/leader/pages/earnings/index'));
      const t = await onScreen(lp, '#le-frozen').innerText({ timeout: 5000 }).catch(() => '');
      return t.includes('1.19');
    }, 'the leader commission', 30_000);
    await expectText(onScreen(lp, '#le-gmv'), /39\.90/);
    await shot(lp, '7-leader-earnings');
    expect(shopperErrors).toEqual([]);
    expect(leaderErrors).toEqual([]);
  }, 120_000);
});
