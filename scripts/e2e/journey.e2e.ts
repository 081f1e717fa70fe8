/**
 * The shopper's journey (issue 12) end to end in the h5 build: login continues the action that asked
 * for it, no dead ends (unknown route, missing group, someone else's order, a group that filled during
 * checkout, a second 开团), and a pay page that closes at its deadline. Data is made per test through
 * the admin and shopper APIs; screenshots go to .tmp/e2e-shots/journey-*.png.
 */
import type { Page } from 'playwright-core';
import { appUrl, browserSuite, expectText, screenshots } from './browser';
import { RUN, adminToken, api, apiWithKey, createCampaign, devLogin, onScreen, openGroupViaApi, serverNow, shopperWithAddress } from './admin-api';

const shot = screenshots('journey-');

/** Logs in on the dev-login page the app opened by itself (a name unique to this run). */
async function loginOnPicker(page: Page, name: string): Promise<void> {
  await page.waitForURL(/packages\/auth\/pages\/dev-login\/index/);
  await onScreen(page, '#dev-login-input input').fill(name);
  await onScreen(page, '#dev-login-submit').click();
}

describe('the shopper journey in the h5 build', () => {
  const suite = browserSuite({ noPageErrors: true });
  const newPage = async (): Promise<Page> => (await suite.newPage()).page;

  it('when a logged-out shopper taps 去参团 and logs in, then checkout opens for that group without another tap, and the order goes through', async () => {
    const campaign = await createCampaign(await adminToken(), { label: '登录续', groupSize: 2, groupDurationSec: 600 });
    const { order } = await openGroupViaApi(`jo${RUN}`, campaign.id);
    const friend = `jf${RUN}`;
    await shopperWithAddress(friend);

    const page = await newPage();
    await page.goto(appUrl(`/packages/groupbuy/pages/group/index?id=${order.groupId}`));
    await expectText(onScreen(page, '.group-status'), '拼团中');
    await onScreen(page, '.btn-join').click();
    await loginOnPicker(page, friend);

    // No second tap: the app continues to the checkout of that very group.
    await page.waitForURL(new RegExp(`packages/order/pages/checkout/index\\?kind=join&groupId=${order.groupId}`));
    await expectText(onScreen(page, '.co-goods-kind'), '参团');
    await expectText(onScreen(page, '.co-payable'), '¥29.90');
    await shot(page, 'login-continues-join');
    await onScreen(page, '.btn-submit-order').click();
    await page.waitForURL(/packages\/order\/pages\/pay\/index\?id=\d+/);
    await onScreen(page, '.btn-sandbox-pay').click();
    await expectText(onScreen(page, '.pay-result-title'), '支付成功', 15_000);

    // Back goes to the group page (the login page was replaced), which now shows the group done.
    await page.goBack();
    await page.waitForURL(new RegExp(`packages/groupbuy/pages/group/index\\?id=${order.groupId}`));
    await expectText(onScreen(page, '.group-status'), '已成团');
    // A finished group offers no 邀请好友参团 and no empty seat.
    await expect(onScreen(page, '.btn-share').count()).resolves.toBe(0);
    await expect(onScreen(page, '.group-seat-empty').count()).resolves.toBe(0);
  });

  it('when a logged-out shopper taps 领取 and logs in, then the coupon is claimed without another tap and 去使用 opens the goods it applies to', async () => {
    const token = await adminToken();
    const campaign = await createCampaign(token, { label: '领券续', groupSize: 2, groupDurationSec: 600 });
    const now = await serverNow();
    const template = await api<{ id: number }>(
      'POST',
      '/admin/coupon-templates',
      {
        name: `指定商品券${RUN}`.slice(0, 40), kind: 'amount_off', amountOff: 300, threshold: 1900, scope: 'products', scopeIds: [campaign.productId],
        validity: { type: 'relative', days: 2 }, totalStock: 50, perUserLimit: 1, audience: 'everyone', channel: 'center', endsAt: new Date(now + 24 * 3600_000).toISOString(),
      },
      token,
    );

    const page = await newPage();
    await page.goto(appUrl('/packages/coupon/pages/center/index'));
    const card = onScreen(page, `.coupon-card-${template.id}`);
    await expectText(card.locator('.coupon-ticket-label'), '满19减3');
    await card.locator(`.btn-claim-${template.id}`).click();
    await loginOnPicker(page, `jc${RUN}`);

    // Back on the centre, the claim went through by itself.
    await page.waitForURL(/packages\/coupon\/pages\/center\/index/);
    await expectText(onScreen(page, `.coupon-card-${template.id} .coupon-card-claimed`), '已领取 1/1');
    await expectText(onScreen(page, `.coupon-card-${template.id} .btn-use-${template.id}`), '去使用');
    await shot(page, 'login-continues-claim');

    // 我的优惠券: valid for 2 days → 即将过期; 去使用 opens the product it is for, not the home page.
    await page.goto(appUrl('/packages/coupon/pages/mine/index'));
    const mine = onScreen(page, `.my-coupon-tpl-${template.id}`);
    await expectText(mine.locator('.coupon-expiring'), '即将过期');
    await expectText(mine.locator('.my-coupon-scope'), /限指定商品/);
    await shot(page, 'my-coupons');
    await mine.locator('.my-coupon-use').click();
    await page.waitForURL(new RegExp(`packages/catalog/pages/product/index\\?id=${campaign.productId}`));
    // The product page shows its group deal with the group price, and 开团 / 单独购买 entries.
    const deal = onScreen(page, `.product-deal-${campaign.id}`);
    await expectText(deal.locator('.product-deal-price'), '¥29.90');
    await expectText(deal.locator('.product-deal-launch'), '开团 ¥29.90');
    await expectText(deal.locator('.product-deal-solo'), '单独购买 ¥39.90');
    await expectText(deal.locator('.product-deal-stock'), '活动剩余 20 件');
    await shot(page, 'product-deals');
    await deal.locator('.product-deal-launch').click();
    await page.waitForURL(new RegExp(`packages/order/pages/checkout/index\\?kind=launch&campaignId=${campaign.id}`));
    await expectText(onScreen(page, '.co-goods-kind'), '开团');
  });

  it('when the route is unknown, the group missing or the order someone else’s, then a clear message and a way back, never a blank page or 重试', async () => {
    const campaign = await createCampaign(await adminToken(), { label: '死路', groupSize: 2, groupDurationSec: 600 });
    const { order } = await openGroupViaApi(`jd${RUN}`, campaign.id);
    const page = await newPage();

    await page.goto(appUrl('/packages/nowhere/pages/nothing/index?x=1'));
    await expectText(onScreen(page, '.state-dead-end .state-text'), '页面不存在');
    await expectText(onScreen(page, '.state-dead-end .state-hint'), /packages\/nowhere\/pages\/nothing\/index/);
    await shot(page, 'unknown-route');
    await onScreen(page, '.state-home').click();
    await page.waitForURL(/pages\/index\/index/);
    await onScreen(page, '.home-banner').waitFor({ state: 'visible' });

    await page.goto(appUrl('/packages/groupbuy/pages/group/index?id=2147483000'));
    await expectText(onScreen(page, '.state-dead-end .state-text'), '拼团不存在或已被删除');
    await expectText(onScreen(page, '.state-request-id'), /^编号 \S{1,12} · 复制$/);
    await expect(onScreen(page, '.state-retry').count()).resolves.toBe(0);
    await shot(page, 'missing-group');

    // Someone else's order, on its detail and its pay page: a message, 查看我的订单, no 重试.
    await devLogin(page, `jx${RUN}`);
    for (const route of [`/packages/order/pages/detail/index?id=${order.id}`, `/packages/order/pages/pay/index?id=${order.id}`]) {
      await page.goto(appUrl(route));
      await expectText(onScreen(page, '.state-dead-end .state-text'), '订单不存在，或不是你的订单');
      await expect(onScreen(page, '.state-retry').count()).resolves.toBe(0);
      await onScreen(page, '.state-request-id').waitFor({ state: 'visible' });
    }
    await shot(page, 'someone-elses-order');
    await onScreen(page, '.state-back-primary').click();
    await page.waitForURL(/pages\/orders\/index/);
  });

  it('when the pay page is left open past the deadline, then the countdown stops at 00:00:00, the button is disabled and says 订单已关闭, and nothing offers 重新支付', async () => {
    const campaign = await createCampaign(await adminToken(), { label: '超时', groupSize: 2, groupDurationSec: 600, paymentTimeoutSec: 8 });
    const page = await newPage();
    await devLogin(page, `jt${RUN}`);
    await page.goto(appUrl(`/packages/order/pages/checkout/index?kind=launch&campaignId=${campaign.id}`));
    await onScreen(page, '.btn-submit-order').click();
    await page.waitForURL(/packages\/order\/pages\/pay\/index\?id=\d+/);
    const orderId = Number(/id=(\d+)/.exec(page.url())![1]);
    await expectText(onScreen(page, '.pay-label'), '需支付');
    await expectText(onScreen(page, '.btn-sandbox-pay'), '模拟支付 ¥29.90');

    await expectText(onScreen(page, '.pay-closed-title'), '订单已关闭', 15_000);
    await expectText(onScreen(page, '.btn-sandbox-pay'), '订单已关闭');
    // Taro's h5 <Button> is a custom element: disabled is its attribute (and a tap does nothing).
    expect(await onScreen(page, '.btn-sandbox-pay').getAttribute('disabled')).not.toBeNull();
    await onScreen(page, '.btn-sandbox-pay').click({ force: true });
    await expect(onScreen(page, '.pay-result-title').count()).resolves.toBe(0);
    await expectText(onScreen(page, '.pay-label'), '应付');
    await shot(page, 'pay-closed');
    // The worker cancels it a moment later; the page stays closed and never offers 重新支付.
    await page.waitForTimeout(3000);
    await expectText(onScreen(page, '.pay-closed-title'), '订单已关闭');
    await expect(onScreen(page, '.btn-retry-pay').count()).resolves.toBe(0);
    await expect(page.getByText('重新支付').count()).resolves.toBe(0);

    // The order says 应付 (never 实付) once it is closed, and the list card no longer offers 去支付.
    await page.goto(appUrl(`/packages/order/pages/detail/index?id=${orderId}`));
    await expectText(onScreen(page, '.order-status'), '已取消');
    await expectText(onScreen(page, '.order-payable'), /^应付\s*¥29\.90$/);
    await page.goto(appUrl('/pages/orders/index'));
    const card = onScreen(page, `.order-card-${orderId}`);
    await expectText(card.locator('.order-card-amount-label'), '应付');
    await expect(card.locator('.order-action-pay').count()).resolves.toBe(0);
  });

  it('when the group fills while the shopper is on checkout, then the campaign’s other open groups and 开团 are offered right there', async () => {
    const campaign = await createCampaign(await adminToken(), { label: '满员', groupSize: 2, groupDurationSec: 600 });
    const { order: first } = await openGroupViaApi(`jg1${RUN}`, campaign.id);
    const { order: other } = await openGroupViaApi(`jg2${RUN}`, campaign.id);
    const page = await newPage();
    await devLogin(page, `jg3${RUN}`);
    await page.goto(appUrl(`/packages/order/pages/checkout/index?kind=join&groupId=${first.groupId}`));
    await onScreen(page, '.btn-submit-order').waitFor({ state: 'visible' });

    // Someone else takes the last seat meanwhile.
    const late = await shopperWithAddress(`jg4${RUN}`);
    await apiWithKey(`/api/groups/${first.groupId}/join`, { quantity: 1 }, late);

    await onScreen(page, '.btn-submit-order').click();
    const panel = onScreen(page, '.co-blocked-full');
    await expectText(panel.locator('.co-blocked-title'), '这个团已经满员了');
    await panel.locator(`.co-other-group-${other.groupId}`).waitFor({ state: 'visible' });
    await expect(panel.locator(`.co-other-group-${first.groupId}`).count()).resolves.toBe(0);
    await expectText(panel.locator('.co-blocked-launch'), '我来开团 ¥29.90');
    await shot(page, 'group-filled');
    await panel.locator(`.co-other-group-${other.groupId} .co-other-join`).click();
    await page.waitForURL(new RegExp(`packages/order/pages/checkout/index\\?kind=join&groupId=${other.groupId}`));
    await onScreen(page, '.btn-submit-order').click();
    await page.waitForURL(/packages\/order\/pages\/pay\/index\?id=\d+/);
  });

  it('when a shopper opens a second group in the same campaign, then checkout points to the group they already have; 我的 lists it under 我的拼团 and the order card offers 去支付', async () => {
    const campaign = await createCampaign(await adminToken(), { label: '二次开团', groupSize: 2, groupDurationSec: 600, perOrder: 3 });
    const name = `js${RUN}`;
    const page = await newPage();
    await devLogin(page, name);
    await page.goto(appUrl(`/packages/groupbuy/pages/campaign/index?id=${campaign.id}`));
    await expectText(onScreen(page, '.campaign-stock'), '活动剩余 20 件');
    await onScreen(page, '.btn-launch').click();
    await page.waitForURL(/packages\/order\/pages\/checkout\/index\?kind=launch/);
    // The quantity stepper stays within the campaign's per-order limit (3).
    await expectText(onScreen(page, '.co-qty'), '1');
    for (let i = 0; i < 4; i++) await onScreen(page, '.co-step-plus').click();
    await expectText(onScreen(page, '.co-qty'), '3');
    await expectText(onScreen(page, '.co-payable'), '¥89.70');
    await onScreen(page, '.co-step-minus').click();
    await expectText(onScreen(page, '.co-payable'), '¥59.80');
    await shot(page, 'checkout-stepper');
    await onScreen(page, '.btn-submit-order').click();
    await page.waitForURL(/packages\/order\/pages\/pay\/index\?id=\d+/);
    const orderId = Number(/id=(\d+)/.exec(page.url())![1]);
    await expectText(onScreen(page, '.pay-amount'), '¥59.80');

    // Not paid yet; a second 开团 in the same campaign.
    await page.goto(appUrl(`/packages/order/pages/checkout/index?kind=launch&campaignId=${campaign.id}`));
    await onScreen(page, '.btn-submit-order').click();
    const panel = onScreen(page, '.co-blocked-mine');
    await expectText(panel.locator('.co-blocked-title'), '你在这个活动已有一个待支付的团');
    await shot(page, 'second-launch');
    await panel.locator('.co-blocked-pay').click();
    await page.waitForURL(new RegExp(`packages/order/pages/pay/index\\?id=${orderId}`));

    // 订单: the unpaid card carries 去支付 with its countdown and says 需付款.
    await page.goto(appUrl('/pages/orders/index'));
    const card = onScreen(page, `.order-card-${orderId}`);
    await expectText(card.locator('.order-card-amount-label'), '需付款');
    await expectText(card.locator('.order-action-pay'), /^去支付 \d{2}:\d{2}:\d{2}$/);
    await shot(page, 'order-list');

    // 我的 → 我的拼团: my group, waiting for my payment (not "待团长支付").
    await page.goto(appUrl('/pages/me/index'));
    await onScreen(page, '.me-my-groups').click();
    await page.waitForURL(/packages\/groupbuy\/pages\/mine\/index/);
    const row = onScreen(page, '.my-group').first();
    await expectText(row.locator('.my-group-role'), '我开的团');
    await expectText(row.locator('.my-group-status'), '待你支付后开团');
    await shot(page, 'my-groups');
    await row.locator('.my-group-pay').click();
    await page.waitForURL(new RegExp(`packages/order/pages/pay/index\\?id=${orderId}`));
    await onScreen(page, '.btn-sandbox-pay').click();
    await expectText(onScreen(page, '.pay-result-title'), '支付成功', 15_000);
    await onScreen(page, '.btn-view-group').click();
    await page.waitForURL(/packages\/groupbuy\/pages\/group\/index\?id=\d+/);
    await expectText(onScreen(page, '.group-my-role'), '我是团长');
    await onScreen(page, '.btn-share').waitFor({ state: 'visible' });
  });

  it('the home grid shows a product’s group price next to its single price', async () => {
    const campaign = await createCampaign(await adminToken(), { label: '首页团价', groupSize: 3, groupDurationSec: 600 });
    const page = await newPage();
    await page.goto(appUrl('/pages/index/index'));
    const card = onScreen(page, `.product-card-${campaign.productId}`);
    // The grid pages in 10 at a time, newest first: this run's product is on the first page.
    await card.waitFor({ state: 'visible' });
    await expectText(card.locator('.product-group-tag'), '3人团');
    await expectText(card.locator('.product-group-price'), '¥29.90');
    await expectText(card.locator('.product-list-price'), '¥39.90');
    await card.scrollIntoViewIfNeeded();
    await shot(page, 'home-grid');
  });
});
