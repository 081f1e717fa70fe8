/**
 * Each page asks the server for what it shows once per open. Taro fires useDidShow on a page's first
 * show too, right after the mount that loaded it, so pages that reloaded there asked for everything
 * twice on every open; at a 10:00 crowd that is twice the reads. A shopper with a paid group order
 * opens each page that loads on mount and refreshes when shown again; no GET may repeat within the open.
 */
import { appUrl, browserSuite } from './browser';
import { RUN, adminToken, createCampaign, devLogin, onScreen, openGroupViaApi } from './admin-api';

describe('page loads in the h5 build', () => {
  const suite = browserSuite();

  it('asks for each thing a page shows once per open, not again for the first show', async () => {
    const admin = await adminToken();
    const campaign = await createCampaign(admin, { label: '打开', groupSize: 3, groupDurationSec: 3600 });
    const name = `pl${RUN}`;
    const { page, errors } = await suite.newPage();
    await devLogin(page, name);
    const { order } = await openGroupViaApi(name, campaign.id);

    let gets: string[] = [];
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (req.method() === 'GET' && url.pathname.startsWith('/api/')) gets.push(url.pathname + url.search);
    });
    const pages = [
      '/pages/index/index',
      '/pages/me/index',
      `/packages/groupbuy/pages/campaign/index?id=${campaign.id}`,
      `/packages/groupbuy/pages/group/index?id=${order.groupId}`,
      `/packages/order/pages/detail/index?id=${order.id}`,
      '/packages/groupbuy/pages/mine/index',
      '/pages/orders/index',
      '/packages/address/pages/list/index',
      '/packages/rewards/pages/mine/index',
      '/packages/leader/pages/earnings/index',
    ];
    const repeated: Record<string, string[]> = {};
    for (const route of pages) {
      gets = [];
      await page.goto(appUrl(route));
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(1_000);
      const seen = new Map<string, number>();
      for (const g of gets) seen.set(g, (seen.get(g) ?? 0) + 1);
      const twice = [...seen].filter(([, n]) => n > 1).map(([g, n]) => `${g} ×${n}`);
      if (twice.length) repeated[route] = twice;
      // Each page asked for something of its own, so the check above had requests to look at.
      expect(gets.length).toBeGreaterThan(0);
    }
    expect(repeated).toEqual({});

    // Shown again (back from the group page), a page does refresh: the order may have moved meanwhile.
    await page.goto(appUrl(`/packages/order/pages/detail/index?id=${order.id}`));
    await onScreen(page, '.btn-view-group').click();
    await page.waitForURL(/groupbuy\/pages\/group\/index/);
    await page.waitForLoadState('networkidle');
    gets = [];
    await page.goBack();
    await page.waitForURL(/order\/pages\/detail\/index/);
    const until = Date.now() + 10_000;
    while (!gets.includes(`/api/orders/${order.id}`)) {
      if (Date.now() > until) throw new Error(`back on the order page, it did not refresh (asked for: ${gets.join(', ') || 'nothing'})`);
      await page.waitForTimeout(100);
    }
    expect(errors).toEqual([]);
  }, 120_000);
});
