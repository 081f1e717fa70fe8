/**
 * Live group pages in the h5 build: A watches, B joins and pays in another browser context, and A's
 * page (never reloaded) shows B, then 已成团, within 2 s of each step — on the group page and in the
 * campaign page's open-group list. The pages get their updates over the live socket through the
 * same h5 proxy the app uses.
 */
import type { Page } from 'playwright-core';
import { appUrl, browserSuite, collectPageErrors, expectText } from './browser';
import { RUN, adminToken, api, createCampaign, devLogin, onScreen, shopperWithAddress } from './admin-api';

interface OrderAnswer {
  id: number;
  groupId: number;
}

async function openGroupVia(token: string, campaignId: number): Promise<number> {
  const o = await api<OrderAnswer>('POST', '/api/groups', { campaignId, quantity: 1 }, token);
  await api('POST', `/api/orders/${o.id}/sandbox-pay`, {}, token);
  return o.groupId;
}

/** Milliseconds until `check` holds on the page (polled every 50 ms), failing after `ms`. */
async function within(page: Page, ms: number, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await check()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`not shown within ${ms} ms on ${page.url()}`);
    await page.waitForTimeout(50);
  }
}

describe('live group pages in the h5 build', () => {
  const suite = browserSuite();

  async function shopperPage(name: string): Promise<{ page: Page; errors: string[] }> {
    const opened = await suite.newPage();
    await devLogin(opened.page, name);
    return opened;
  }

  it('when B joins and pays while A watches the group page, then A sees B and then 已成团 within 2 s, without a reload', async () => {
    const campaign = await createCampaign(await adminToken(), { label: '实时', groupSize: 2, groupDurationSec: 600 });
    const { page: a, errors } = await shopperPage(`la${RUN}`);
    const opener = await shopperWithAddress(`lo${RUN}`);
    const groupId = await openGroupVia(opener, campaign.id);

    await a.goto(appUrl(`/packages/groupbuy/pages/group/index?id=${groupId}`));
    await expectText(onScreen(a, '.group-status'), '拼团中');
    await expectText(onScreen(a, '.group-headline'), '还差 1 人成团');
    await onScreen(a, '.group-member').first().waitFor({ state: 'visible' });
    expect(await onScreen(a, '.group-member').count()).toBe(1);
    const navigations: string[] = [];
    a.on('framenavigated', (f) => navigations.push(f.url()));
    await a.waitForTimeout(500); // the socket is open and has its first snapshot

    // B, in a browser of their own, opens the group and joins: once B's order exists (B is on the pay
    // page), A's page shows B's seat as 待支付.
    const { page: b } = await shopperPage(`lb${RUN}`);
    await b.goto(appUrl(`/packages/groupbuy/pages/group/index?id=${groupId}`));
    await onScreen(b, '.btn-join').click();
    await b.waitForURL(/packages\/order\/pages\/checkout\/index\?kind=/);
    await onScreen(b, '.btn-submit-order').click();
    await b.waitForURL(/packages\/order\/pages\/pay\/index\?id=\d+/);
    const joinMs = await within(a, 2000, async () => (await onScreen(a, '.group-member').count()) === 2);
    await expectText(onScreen(a, '.group-member.is-unpaid .group-seat-unpaid'), '待支付', 1000);

    // B pays: A's page turns 已成团.
    await onScreen(b, '.btn-sandbox-pay').click();
    await expectText(onScreen(b, '.pay-result-title'), '支付成功', 15_000);
    const paidMs = await within(a, 2000, async () => ((await onScreen(a, '.group-status').textContent()) ?? '').includes('已成团'));
    await expectText(onScreen(a, '.group-headline'), '拼团成功，坐等收货', 1000);
    expect(await onScreen(a, '.group-member.is-paid').count()).toBe(2);
    expect(navigations).toEqual([]); // no reload, no navigation
    await a.screenshot({ path: `.tmp/live-group-${RUN}.png` }).catch(() => undefined);
    process.stdout.write(`live e2e: join shown after ${joinMs} ms, success after ${paidMs} ms\n`);
    expect(errors).toEqual([]);
  });

  it("when groups fill and succeed while A watches the campaign page, then its open-group list follows within 2 s, without a reload", async () => {
    const campaign = await createCampaign(await adminToken(), { label: '实时列表', groupSize: 2, groupDurationSec: 600 });
    const { page: a, errors } = await shopperPage(`lc${RUN}`);
    await a.goto(appUrl(`/packages/groupbuy/pages/campaign/index?id=${campaign.id}`));
    await expectText(onScreen(a, '.campaign-title'), campaign.title);
    await expectText(onScreen(a, '.campaign-section-title'), '正在拼团');
    await a.waitForTimeout(800); // the list is read and the socket has its first snapshot
    expect(await onScreen(a, '.open-group').count()).toBe(0);

    // Someone opens a group: it appears in A's list.
    const opener = await shopperWithAddress(`ld${RUN}`);
    const groupId = await openGroupVia(opener, campaign.id);
    const row = onScreen(a, `.open-group-${groupId}`);
    const openedMs = await within(a, 2000, async () => (await row.count()) === 1);
    await expectText(row.locator('.open-group-left'), '还差1人', 1000);

    // B joins and pays: the group is full, then done — it leaves A's list.
    const b = await shopperWithAddress(`le${RUN}`);
    const order = await api<OrderAnswer>('POST', `/api/groups/${groupId}/join`, { quantity: 1 }, b);
    await api('POST', `/api/orders/${order.id}/sandbox-pay`, {}, b);
    const goneMs = await within(a, 2000, async () => (await row.count()) === 0);
    process.stdout.write(`live e2e: campaign list showed the new group after ${openedMs} ms, dropped it after ${goneMs} ms\n`);
    expect(errors).toEqual([]);
  });

  it('when the live socket cannot open, then the group page falls back to slow polling of the shared snapshot and still shows the join, without a reload', async () => {
    const campaign = await createCampaign(await adminToken(), { label: '轮询', groupSize: 3, groupDurationSec: 600 });
    const context = await suite.userContext();
    // The network refuses every WebSocket: each attempt errors, then closes (as a blocked socket does).
    await context.addInitScript(() => {
      class RefusedSocket {
        readyState = 3;
        onopen: unknown = null;
        onmessage: unknown = null;
        onerror: ((e: unknown) => void) | null = null;
        onclose: ((e: unknown) => void) | null = null;
        constructor() {
          setTimeout(() => {
            this.onerror?.({ type: 'error' });
            this.onclose?.({ code: 1006 });
          }, 20);
        }
        send(): void {}
        close(): void {}
      }
      (window as unknown as { WebSocket: unknown }).WebSocket = RefusedSocket;
    });
    const a = await context.newPage();
    const errors = collectPageErrors(a);
    const polls: string[] = [];
    a.on('request', (r) => {
      if (r.url().includes('/api/live/groups/')) polls.push(r.url());
    });
    await devLogin(a, `lp${RUN}`);
    const groupId = await openGroupVia(await shopperWithAddress(`lq${RUN}`), campaign.id);
    await a.goto(appUrl(`/packages/groupbuy/pages/group/index?id=${groupId}`));
    await expectText(onScreen(a, '.group-status'), '拼团中');
    await within(a, 5000, async () => polls.length >= 1); // polling started after two failed connects
    const navigations: string[] = [];
    a.on('framenavigated', (f) => navigations.push(f.url()));

    const b = await shopperWithAddress(`lr${RUN}`);
    await api<OrderAnswer>('POST', `/api/groups/${groupId}/join`, { quantity: 1 }, b);
    const ms = await within(a, 25_000, async () => (await onScreen(a, '.group-member').count()) === 2);
    expect(navigations).toEqual([]);
    process.stdout.write(`live e2e (polling fallback): join shown after ${ms} ms, ${polls.length} polls\n`);
    expect(errors).toEqual([]);
  }, 60_000);
});
