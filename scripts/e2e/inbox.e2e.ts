/**
 * The 消息 inbox end to end (issue 12 item 6): a shopper with no messages sees the empty state; their
 * group succeeds and their order ships (driven over the API by other people), the worker's outbox
 * subscribers write the messages, 我的 shows the unread count, the inbox lists them, opening one goes
 * to the order and marks it read, 全部已读 clears the rest; a failing inbox shows 重试 and 返回.
 * Screenshots go to .tmp/e2e-shots/inbox-*.png.
 */
import { appUrl, browserSuite, collectPageErrors, expectText, screenshots } from './browser';
import { RUN, adminToken, api, createCampaign, devLogin, onScreen, shopperWithAddress } from './admin-api';

const shot = screenshots('inbox-');

describe('the 消息 inbox in the h5 build', () => {
  const suite = browserSuite();

  it('when the shopper’s group succeeds and the order ships, then 我的 counts the unread messages and the inbox opens and reads them', async () => {
    const admin = await adminToken();
    const context = await suite.userContext();
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    const name = `ib${RUN}`;
    await devLogin(page, name);

    // No messages yet: no badge, and the inbox says so with a way on.
    await page.goto(appUrl('/pages/me/index'));
    await onScreen(page, '.me-inbox').waitFor({ state: 'visible' });
    expect(await onScreen(page, '.me-unread-count').count()).toBe(0);
    await onScreen(page, '.me-inbox').click();
    await page.waitForURL(/packages\/notification\/pages\/inbox\/index/);
    await expectText(onScreen(page, '.inbox-empty .state-text'), '暂无消息');
    await onScreen(page, '.inbox-go-home').waitFor({ state: 'visible' });
    await shot(page, '1-empty');

    // Their group of two fills (a friend joins and pays), and a solo order of theirs ships.
    const me = await shopperWithAddress(name);
    const friend = await shopperWithAddress(`${name}f`);
    const groupCampaign = await createCampaign(admin, { label: '消息', groupSize: 2, groupDurationSec: 600 });
    const launched = await api<{ id: number; groupId: number }>('POST', '/api/groups', { campaignId: groupCampaign.id, quantity: 1 }, me);
    await api('POST', `/api/orders/${launched.id}/sandbox-pay`, undefined, me);
    const joined = await api<{ id: number }>('POST', `/api/groups/${launched.groupId}/join`, { quantity: 1 }, friend);
    await api('POST', `/api/orders/${joined.id}/sandbox-pay`, undefined, friend);
    const soloCampaign = await createCampaign(admin, { label: '发货消息', groupSize: 2, groupDurationSec: 600 });
    const solo = await api<{ id: number }>('POST', '/api/orders/solo', { campaignId: soloCampaign.id }, me);
    await api('POST', `/api/orders/${solo.id}/sandbox-pay`, undefined, me);
    await api('POST', `/admin/orders/${solo.id}/ship`, { carrier: '顺丰速运', trackingNo: 'SF2233445566' }, admin);

    // The worker writes both messages; 我的 shows 2 unread.
    const until = Date.now() + 20_000;
    for (;;) {
      const { unread } = await api<{ unread: number }>('GET', '/api/notifications/unread-count', undefined, me);
      if (unread === 2) break;
      if (Date.now() > until) throw new Error(`unread is ${unread}, expected 2`);
      await new Promise((r) => setTimeout(r, 300));
    }
    await page.goto(appUrl('/pages/me/index'));
    await expectText(onScreen(page, '.me-unread-count'), '2');
    await shot(page, '2-me-badge');

    await onScreen(page, '.me-inbox').click();
    await page.waitForURL(/packages\/notification\/pages\/inbox\/index/);
    await expectText(onScreen(page, '.inbox-unread'), '2 条未读');
    const shipped = onScreen(page, '.inbox-kind-order_shipped');
    await expectText(shipped.locator('.inbox-title'), '订单已发货');
    await expectText(shipped.locator('.inbox-body'), '你的订单已由顺丰速运发出，运单号 SF2233445566。');
    const succeeded = onScreen(page, '.inbox-kind-group_succeeded');
    await expectText(succeeded.locator('.inbox-title'), '拼团成功');
    await expectText(succeeded.locator('.inbox-body'), `你参与的「${groupCampaign.title}」已成团，我们会尽快为你安排发货。`);
    expect(await onScreen(page, '.inbox-item.is-unread').count()).toBe(2);
    await shot(page, '3-inbox-unread');

    // Opening a message goes to its order and marks it read.
    await shipped.click();
    await page.waitForURL(new RegExp(`packages/order/pages/detail/index\\?id=${solo.id}`));
    await expectText(onScreen(page, '.od-status'), '已发货');
    await page.goBack();
    await page.waitForURL(/packages\/notification\/pages\/inbox\/index/);
    await expectText(onScreen(page, '.inbox-unread'), '1 条未读');
    await expectText(onScreen(page, '.inbox-kind-order_shipped.is-read .inbox-title'), '订单已发货');

    // 全部已读: nothing unread, no bar, and 我的 has no badge.
    await onScreen(page, '.inbox-read-all').click();
    await onScreen(page, '.inbox-bar').waitFor({ state: 'detached' });
    expect(await onScreen(page, '.inbox-item.is-unread').count()).toBe(0);
    await shot(page, '4-inbox-read');
    expect((await api<{ unread: number }>('GET', '/api/notifications/unread-count', undefined, me)).unread).toBe(0);

    // A failing inbox: the error, 重试 and 返回; retrying once it works shows the list.
    await page.route('**/api/notifications?*', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'down', requestId: 'req-e2e-1' } }) }));
    await page.goto(appUrl('/packages/notification/pages/inbox/index'));
    await onScreen(page, '.inbox-error .state-retry').waitFor({ state: 'visible' });
    await onScreen(page, '.inbox-back').waitFor({ state: 'visible' });
    await shot(page, '5-error');
    await page.unroute('**/api/notifications?*');
    await onScreen(page, '.inbox-error .state-retry').click();
    await expectText(onScreen(page, '.inbox-kind-group_succeeded .inbox-title'), '拼团成功');
    await onScreen(page, '.inbox-back').waitFor({ state: 'detached' });

    expect(errors).toEqual([]);
  }, 120_000);
});
