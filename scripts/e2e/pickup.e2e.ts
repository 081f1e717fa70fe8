/**
 * Community pickup end to end, every step through the product's own pages and routes:
 * - a user applies to be a team leader (API) and an operator approves (admin API);
 * - a shopper near the point picks 到店自提 at checkout, chooses the point in the chooser (nearest
 *   first, their location granted), comes back to checkout and pays;
 * - the operator cuts the day's batches early and ships the point's batch (admin API);
 * - the leader opens 配送批次 → the batch, sees the pick list and confirms arrival with one unit short;
 * - the shopper's order is 待提货 with its 提货码 and QR (half the money back for the missing unit);
 * - the leader types a wrong code (refused), then the shopper's code, confirms → both see 已提货;
 * - 团长收益 shows the commission held (冻结中) until the after-sale window passes.
 * Screenshots go to .tmp/e2e-shots/pickup-*.png.
 */
import type { BrowserContext } from 'playwright-core';
import { MOBILE_VIEWPORT, appUrl, browserSuite, collectPageErrors, expectText, screenshots } from './browser';
import { RUN, adminToken, api, createCampaign, devLogin, onScreen } from './admin-api';

const shot = screenshots('pickup-');

/** A place of its own per run (a spot in 甘肃), so earlier runs' points are never the nearest. */
const BASE = { lat: 35.2 + (parseInt(RUN.slice(-3), 36) % 500) / 1000, lng: 104.2 + (parseInt(RUN.slice(-6, -3), 36) % 500) / 1000 };

async function until<T>(fn: () => Promise<T | null | undefined | false>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('community pickup in the h5 build', () => {
  const suite = browserSuite();

  async function phoneNear(lat: number, lng: number): Promise<BrowserContext> {
    const context = await suite.browser.newContext({
      viewport: MOBILE_VIEWPORT, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
      geolocation: { latitude: lat, longitude: lng }, permissions: ['geolocation'],
    });
    context.setDefaultTimeout(15_000);
    return context;
  }

  it('when a shopper chooses a point and pays, the batch ships, the leader confirms arrival and verifies the code, then the order shows 已提货', async () => {
    const admin = await adminToken();
    const campaign = await createCampaign(admin, { label: '自提', groupSize: 2, groupDurationSec: 600, perOrder: 3 });

    // ---- the leader applies; the operator approves (the application page has its own test: leader.e2e.ts)
    const leaderName = `tz${RUN}`;
    const leaderLogin = await api<{ accessToken: string }>('POST', '/api/auth/login', { code: `dev:${leaderName}` });
    const pointName = `幸福里便利店${RUN}`.slice(0, 40);
    const applied = await api<{ leaderId: number; point: { id: number } }>('POST', '/api/leader/application', {
      name: '王团长', phone: '13912345678', pointName, kind: 'store', province: '甘肃省', city: '兰州市', district: '城关区',
      address: '幸福里 8 号', lat: BASE.lat, lng: BASE.lng, openingHours: '08:00-21:00', photoUrl: null,
    }, leaderLogin.accessToken);
    await api('POST', `/admin/leaders/${applied.leaderId}/approve`, {}, admin);
    const pointId = applied.point.id;

    // ---- the shopper, 200 m away: checkout → 到店自提 → 请选择自提点 → the chooser → back → pay
    const shopperCtx = await phoneNear(BASE.lat - 0.0015, BASE.lng - 0.0015);
    try {
      const page = await shopperCtx.newPage();
      const shopperErrors = collectPageErrors(page);
      await devLogin(page, `zt${RUN}`);
      await page.goto(appUrl(`/packages/order/pages/checkout/index?kind=solo&campaignId=${campaign.id}&quantity=2`));
      await onScreen(page, '.co-mode-pickup').click();
      await onScreen(page, '.co-point-missing').click();
      await page.waitForURL(/packages\/leader\/pages\/points\/index/);
      const first = onScreen(page, '.ld-points .ld-point').first();
      await expectText(first.locator('.ld-point-name'), pointName);
      await expectText(first.locator('.ld-distance'), /^\d{3}m$/);
      await shot(page, '1-chooser');
      await first.locator('.ld-choose').click();
      await page.waitForURL(/packages\/order\/pages\/checkout\/index/);
      await expectText(onScreen(page, '.co-point-name'), `自提点：${pointName}`);
      await expectText(onScreen(page, '.co-point-hours'), /营业时间 08:00-21:00/);
      await shot(page, '2-checkout');
      await onScreen(page, '.btn-submit-order').click();
      await page.waitForURL(/packages\/order\/pages\/pay\/index\?id=\d+/);
      const orderId = Number(/id=(\d+)/.exec(page.url())![1]);
      await onScreen(page, '.btn-sandbox-pay').click();
      await expectText(onScreen(page, '.pay-result-title'), '支付成功', 15_000);
      await page.goto(appUrl(`/packages/order/pages/detail/index?id=${orderId}`));
      await expectText(onScreen(page, '.od-point-name'), pointName);
      await expectText(onScreen(page, '.od-pickup-hint'), /截单后统一配送到自提点/);
      await shot(page, '3-order-to-fulfil');

      // ---- the operator cuts now and ships the point's batch
      const formed = await api<{ formed: boolean }>('POST', '/admin/pickup-batches/form', { cutoffAt: new Date().toISOString() }, admin);
      expect(formed.formed).toBe(true);
      const { items } = await api<{ items: Array<{ id: number }> }>('GET', `/admin/pickup-batches?pointId=${pointId}`, undefined, admin);
      expect(items).toHaveLength(1);
      const batchId = items[0]!.id;
      await api('POST', `/admin/pickup-batches/${batchId}/ship`, undefined, admin);

      // ---- the leader: 团长中心 → 配送批次 → the batch → pick list → 有缺货 (1 of 2) → 确认到货
      const lp = await (await suite.userContext()).newPage();
      const leaderErrors = collectPageErrors(lp);
      await devLogin(lp, leaderName, { withAddress: false });
      await lp.goto(appUrl('/packages/leader/pages/index/index'));
      await expectText(onScreen(lp, '.ld-centre-point'), pointName);
      await onScreen(lp, '.ld-link-batches').click();
      await lp.waitForURL(/packages\/leader\/pages\/batches\/index/);
      await expectText(onScreen(lp, `.leader-batch-${batchId} .leader-batch-status`), /配送中/);
      await shot(lp, '4-leader-batches');
      await onScreen(lp, `.leader-batch-${batchId}`).click();
      await lp.waitForURL(/packages\/leader\/pages\/batch\/index\?id=\d+/);
      await expectText(onScreen(lp, '.pick-qty').first(), '×2');
      await expectText(onScreen(lp, `.batch-order-${orderId} .lp-status`), '待发货');
      await shot(lp, '5-leader-pick-list');
      await onScreen(lp, '.btn-count-shortage').click();
      await onScreen(lp, '.pick-minus').first().click();
      await expectText(onScreen(lp, '.pick-received').first(), '1');
      await expectText(onScreen(lp, '.btn-confirm-arrival'), '确认到货（缺 1 件）');
      await onScreen(lp, '.btn-confirm-arrival').click();
      await lp.locator('.taro-model__confirm').click();
      await expectText(onScreen(lp, '.leader-batch-state'), '已到货');
      await expectText(onScreen(lp, `.batch-order-${orderId} .lp-short`), '缺 1 件已退款');
      await shot(lp, '6-leader-arrived');

      // ---- the shopper: 待提货 with the code and its QR (the worker assigns it on arrival)
      await page.goto(appUrl(`/packages/order/pages/detail/index?id=${orderId}`));
      await expectText(onScreen(page, '.od-status'), '待提货');
      await expectText(onScreen(page, '.od-pickup-hint'), /已到自提点/);
      const digits = onScreen(page, '#pickup-code-digits');
      await until(async () => {
        if (await digits.count()) return true;
        await onScreen(page, '.od-pickup-code .btn').click().catch(() => undefined);
        return false;
      }, 'the code on the page');
      const code = (await digits.innerText()).replace(/\D/g, '');
      expect(code).toMatch(/^\d{8}$/);
      expect(await onScreen(page, '#pickup-qr img').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(100);
      await shot(page, '7-shopper-code');
      await page.goto(appUrl('/pages/orders/index'));
      await onScreen(page, '.order-tab-to_pickup').click();
      await expectText(onScreen(page, '.order-status').first(), '待提货');
      await shot(page, '8-shopper-tab');

      // ---- the leader: 核销提货 — a wrong code is refused, the shopper's shows the order, 确认提货
      await lp.goto(appUrl('/packages/leader/pages/index/index'));
      await onScreen(lp, '.ld-link-verify').click();
      await lp.waitForURL(/packages\/leader\/pages\/verify\/index/);
      await onScreen(lp, '#lv-code input').fill(code === '12345678' ? '87654321' : '12345678');
      await onScreen(lp, '.lv-lookup').click();
      await expectText(onScreen(lp, '#lv-error'), '提货码无效');
      await onScreen(lp, '#lv-code input').fill(code);
      await onScreen(lp, '.lv-lookup').click();
      await expectText(onScreen(lp, '#lv-status'), '待提货');
      await shot(lp, '9-leader-verify');
      await onScreen(lp, '#lv-confirm').click();
      await expectText(onScreen(lp, '#lv-status'), '已提货');
      await shot(lp, '10-leader-verified');

      // ---- the shopper's order: 已提货
      await page.goto(appUrl(`/packages/order/pages/detail/index?id=${orderId}`));
      await expectText(onScreen(page, '.od-status'), '已提货');
      await shot(page, '11-shopper-picked-up');

      // ---- 团长收益: the commission on what the shopper kept is held (the worker posts it)
      const frozen = await until(async () => {
        await lp.goto(appUrl('/packages/leader/pages/earnings/index'));
        const t = await onScreen(lp, '#le-frozen').innerText({ timeout: 5000 }).catch(() => '');
        return /[1-9]/.test(t) ? t : null;
      }, 'the leader commission', 30_000);
      expect(frozen).toMatch(/\d+\.\d\d/);
      await shot(lp, '12-leader-earnings');
      expect(shopperErrors).toEqual([]);
      expect(leaderErrors).toEqual([]);
    } finally {
      await shopperCtx.close();
    }
  }, 180_000);
});
