/**
 * Team leaders end to end: a user applies on 申请成为团长 (我的 → 申请成为团长) and sees 审核中; an
 * operator approves over the admin API; the leader centre shows the open point. A shopper whose phone
 * grants location opens 我的自提点: the new point comes first with its distance (a second point farther
 * away comes after it), they choose it and are taken back; the chooser then marks it 当前自提点. A
 * shopper without location gets the city list. Screenshots go to .tmp/e2e-shots/leader-*.png.
 */
import type { BrowserContext } from 'playwright-core';
import { MOBILE_VIEWPORT, appUrl, browserSuite, collectPageErrors, expectText, screenshots } from './browser';
import { RUN, adminToken, api, devLogin, onScreen } from './admin-api';

const shot = screenshots('leader-');

/** A place of its own per run (a spot in 青海), so earlier runs' points are never the nearest. */
const BASE = { lat: 36.2 + (parseInt(RUN.slice(-3), 36) % 500) / 1000, lng: 101.2 + (parseInt(RUN.slice(-6, -3), 36) % 500) / 1000 };

describe('team leader application and the pickup point chooser in the h5 build', () => {
  const suite = browserSuite({ noPageErrors: true });

  async function phoneContext(geolocation: { latitude: number; longitude: number } | null): Promise<BrowserContext> {
    const context = await suite.browser.newContext({
      viewport: MOBILE_VIEWPORT, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
      ...(geolocation ? { geolocation, permissions: ['geolocation'] } : {}),
    });
    context.setDefaultTimeout(15_000);
    return context;
  }

  it('when a user applies and an operator approves, then a shopper nearby sees the point first, with its distance, and chooses it', async () => {
    const admin = await adminToken();
    const pointName = `幸福里${RUN}`.slice(0, 40);

    // ---- the applicant: 我的 → 申请成为团长 → the form → 审核中
    const applicant = await (await suite.userContext()).newPage();
    const aErrors = collectPageErrors(applicant);
    await devLogin(applicant, `la${RUN}`, { withAddress: false });
    await expectText(onScreen(applicant, '.me-leader .me-menu-text'), '申请成为团长');
    await onScreen(applicant, '.me-leader').click();
    await applicant.waitForURL(/packages\/leader\/pages\/apply\/index/);
    const fill = (field: string, value: string) => onScreen(applicant, `.ld-field-${field} input`).first().fill(value);
    await fill('name', '王姐');
    await fill('phone', '13912345678');
    await fill('pointName', pointName);
    await fill('province', '青海省');
    await fill('city', '西宁市');
    await fill('district', '城中区');
    await fill('address', '幸福里 3 栋 101');
    await fill('openingHours', '08:00-21:00');
    await fill('lat', BASE.lat.toFixed(6));
    await fill('lng', BASE.lng.toFixed(6));
    await onScreen(applicant, '.ld-kind-parcel_station').click();
    await shot(applicant, '1-apply-form');
    await onScreen(applicant, '.ld-submit').click();
    await expectText(onScreen(applicant, '.ld-status-title'), '审核中');
    await shot(applicant, '2-applied');

    // ---- the operator approves over the admin API
    const list = await api<{ items: Array<{ leaderId: number; phoneMasked: string; point: { id: number; name: string } }> }>('GET', '/admin/leaders?status=applied&pageSize=50', undefined, admin);
    const mine = list.items.find((l) => l.point.name === pointName)!;
    expect(mine.phoneMasked).toBe('139****5678');
    await api('POST', `/admin/leaders/${mine.leaderId}/approve`, {}, admin);

    // A second point about 2 km north-east, so the list has an order to get right.
    const other = await api<{ accessToken: string }>('POST', '/api/auth/login', { code: `dev:lb${RUN}` });
    const far = await api<{ leaderId: number; point: { id: number } }>('POST', '/api/leader/application', {
      name: '李阿姨', phone: '13800001111', pointName: `远一点的驿站${RUN}`.slice(0, 40), kind: 'store', province: '青海省', city: '西宁市', district: '城东区',
      address: '远方路 9 号', lat: BASE.lat + 0.013, lng: BASE.lng + 0.013, openingHours: '09:00-20:00', photoUrl: null,
    }, other.accessToken);
    await api('POST', `/admin/leaders/${far.leaderId}/approve`, {}, admin);

    // ---- the leader: 我的 now says 团长中心, and the centre shows the open point
    await applicant.goto(appUrl('/pages/me/index'));
    await expectText(onScreen(applicant, '.me-leader .me-menu-text'), '团长中心');
    await onScreen(applicant, '.me-leader').click();
    await applicant.waitForURL(/packages\/leader\/pages\/index\/index/);
    await expectText(onScreen(applicant, '.ld-centre-status'), '已通过');
    await expectText(onScreen(applicant, '.ld-centre-point'), pointName);
    for (const l of ['orders', 'batches', 'verify', 'earnings']) expect(await onScreen(applicant, `.ld-link-${l}`).count()).toBe(1);
    await shot(applicant, '3-centre');
    expect(aErrors).toEqual([]);

    // ---- a shopper ~300 m south-west of the point, location granted: 我的 → 我的自提点
    const shopperCtx = await phoneContext({ latitude: BASE.lat - 0.002, longitude: BASE.lng - 0.002 });
    try {
      const shopper = await shopperCtx.newPage();
      const sErrors = collectPageErrors(shopper);
      await devLogin(shopper, `ls${RUN}`, { withAddress: false });
      await onScreen(shopper, '.me-pickup-point').click();
      await shopper.waitForURL(/packages\/leader\/pages\/points\/index/);
      await expectText(onScreen(shopper, '.ld-where-label'), '离你最近的自提点');
      const cards = onScreen(shopper, '.ld-points .ld-point');
      await expectText(cards.first().locator('.ld-point-name'), pointName);
      await expectText(cards.first().locator('.ld-distance'), /^2\d\dm$/);
      await expectText(cards.nth(1).locator('.ld-point-name'), `远一点的驿站${RUN}`.slice(0, 40));
      await expectText(cards.nth(1).locator('.ld-distance'), /^\d\.\dkm$/);
      await expectText(cards.first().locator('.ld-line-hint'), '营业时间 08:00-21:00 · 团长 王姐');
      await shot(shopper, '4-chooser');
      await cards.first().locator('.ld-choose').click();
      // Back to 我的, the page that opened the chooser.
      await shopper.waitForURL(/pages\/me\/index/);
      await onScreen(shopper, '.me-pickup-point').click();
      await shopper.waitForURL(/packages\/leader\/pages\/points\/index/);
      await expectText(onScreen(shopper, `.ld-point-${mine.point.id} .ld-current-tag`).first(), '当前自提点');
      await shot(shopper, '5-chosen');
      expect(sErrors).toEqual([]);
    } finally {
      await shopperCtx.close();
    }
  });

  it('when the shopper does not grant location, then the chooser offers the cities that have points', async () => {
    const ctx = await phoneContext(null);
    try {
      const page = await ctx.newPage();
      const errors = collectPageErrors(page);
      await page.goto(appUrl('/packages/leader/pages/points/index'));
      const city = onScreen(page, '.ld-city-picker .ld-city').first();
      await city.waitFor({ state: 'visible', timeout: 20_000 });
      await shot(page, '6-cities');
      await city.click();
      await onScreen(page, '.ld-points .ld-point').first().waitFor({ state: 'visible' });
      await expectText(onScreen(page, '.ld-where-label'), /^.+的自提点 · 离市中心由近到远$/);
      await shot(page, '7-city-points');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
