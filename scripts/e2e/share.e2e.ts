/**
 * Share chains end to end: A shares a coupon pack (N = 2); B and C, logged out, open A's link, log in
 * (the token survives the login and binds them to A as new users), and claim; A sees 2/2 and the
 * bonus. The pack and its templates are made per run through the admin API.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { SHOTS_DIR, appUrl, collectPageErrors, expectText, launchBrowser, newUserContext, screenshots } from './browser';
import { RUN, adminToken, api, createCampaign, devLogin, onScreen, serverNow, shopperWithAddress } from './admin-api';


async function createPack(): Promise<{ packId: number; bonusName: string }> {
  const token = await adminToken();
  const now = await serverNow();
  const template = (name: string, amountOff: number, threshold: number, perUserLimit: number) =>
    api<{ id: number }>(
      'POST',
      '/admin/coupon-templates',
      {
        name, kind: threshold ? 'amount_off' : 'no_threshold', amountOff, threshold, scope: 'all', validity: { type: 'relative', days: 7 },
        totalStock: 100, perUserLimit, audience: 'everyone', channel: 'share_pack', endsAt: new Date(now + 24 * 3600_000).toISOString(),
      },
      token,
    );
  const friend = await template(`好友券${RUN}`.slice(0, 40), 500, 2000, 1);
  const bonusName = `邀友奖励${RUN}`.slice(0, 40);
  const bonus = await template(bonusName, 800, 0, 5);
  const pack = await api<{ id: number }>(
    'POST',
    '/admin/share-packs',
    { name: `邀友券包${RUN}`.slice(0, 40), friendTemplateIds: [friend.id], bonusTemplateId: bonus.id, requiredFriends: 2, totalPacks: 100, endsAt: new Date(now + 24 * 3600_000).toISOString() },
    token,
  );
  return { packId: pack.id, bonusName };
}

const shot = screenshots('');

/** A logged-out friend opens the link, logs in as a new user, comes back and claims. */
async function friendClaims(browser: Browser, link: string, name: string, contexts: BrowserContext[]): Promise<void> {
  const context = await newUserContext(browser);
  contexts.push(context);
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(link);
  await onScreen(page, '.pack-from').waitFor({ state: 'visible' });
  await expectText(onScreen(page, '.pack-claim'), '立即领取');
  if (name.startsWith('b')) await shot(page, 'share-pack-friend');
  // Log in elsewhere in the app (a full page load): the captured token must survive it. No address
  // first: that would be a login of its own, and the friend's first login must come through the share.
  await devLogin(page, name, { withAddress: false });
  await page.goto(link);
  await onScreen(page, '.pack-claim').click();
  await expectText(onScreen(page, '.pack-claimed'), '已领取，券已放入「我的优惠券」');
  expect(errors).toEqual([]);
}

describe('share chains in the h5 build', () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
  });

  it('when A shares a pack and two new friends open it logged out, log in and claim, then A sees 2/2 and gets the bonus once', async () => {
    const { packId, bonusName } = await createPack();
    const a = await newUserContext(browser);
    contexts.push(a);
    const pageA = await a.newPage();
    const errorsA = collectPageErrors(pageA);
    await devLogin(pageA, `a${RUN}`);
    await pageA.goto(appUrl(`/packages/share/pages/pack/index?id=${packId}`));
    await expectText(onScreen(pageA, '.pack-rules'), /邀请 2 位新朋友/);
    const linkEl = onScreen(pageA, '.pack-link');
    await linkEl.waitFor({ state: 'visible' });
    // The page shows the whole invite address (what 邀请好友 copies), not an internal path.
    const link = ((await linkEl.textContent()) ?? '').trim();
    expect(link).toMatch(/^http:\/\/[^ ]+#\/packages\/share\/pages\/pack\/index\?[^ ]*st=[0-9A-Za-z]{8}/);
    // An enabled button carries no `disabled` attribute (h5 greys any button that has one).
    expect(await onScreen(pageA, '.pack-invite').getAttribute('disabled')).toBeNull();
    await expectText(onScreen(pageA, '.pack-progress-text'), '已有 0/2 位新朋友领取');
    await shot(pageA, 'share-pack-sharer-before');

    await friendClaims(browser, link, `b${RUN}`, contexts);
    await friendClaims(browser, link, `c${RUN}`, contexts);

    await pageA.reload();
    await expectText(onScreen(pageA, '.pack-progress-text'), '已有 2/2 位新朋友领取');
    await expectText(onScreen(pageA, '.pack-bonus-done'), new RegExp(`奖励已发放：${bonusName}`));
    await shot(pageA, 'share-pack-sharer-done');
    // 我的分享: my pack share(s) with the two new users.
    await pageA.goto(appUrl('/packages/share/pages/mine/index'));
    const totals = onScreen(pageA, '.share-total');
    await totals.waitFor({ state: 'visible' });
    await expectText(totals.locator('.share-funnel-cell').nth(1).locator('.share-funnel-value'), '2');
    await expectText(onScreen(pageA, '.share-item .share-item-kind').first(), /^券包 #/);
    await shot(pageA, 'my-shares');
    expect(errorsA).toEqual([]);
  });

  it('when the opener of an open group makes a poster, then it shows the product, price, status and the share code, ready to download', async () => {
    const campaign = await createCampaign(await adminToken(), { label: '海报', groupSize: 3, groupDurationSec: 600 });
    const name = `p${RUN}`;
    const accessToken = await shopperWithAddress(name);
    const order = await api<{ id: number; groupId: number }>('POST', '/api/groups', { campaignId: campaign.id, quantity: 1 }, accessToken);
    await api('POST', `/api/orders/${order.id}/sandbox-pay`, {}, accessToken);
    const context = await newUserContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await devLogin(page, name);
    await page.goto(appUrl(`/packages/groupbuy/pages/group/index?id=${order.groupId}`));
    await expectText(onScreen(page, '.group-headline'), '还差 2 人成团');
    await onScreen(page, '.btn-poster').click();
    const img = onScreen(page, '.group-poster-image img, .group-poster-image');
    await img.first().waitFor({ state: 'visible' });
    await expectText(onScreen(page, '.btn-poster-save'), '下载海报');
    const src = await page.locator('.group-poster-image img').first().getAttribute('src');
    expect(src).toMatch(/^data:image\/png;base64,/);
    await page.waitForTimeout(300);
    await shot(page, 'group-poster');
    // The poster itself, as it would be downloaded.
    writeFileSync(join(SHOTS_DIR, 'poster.png'), Buffer.from(src!.replace(/^data:image\/png;base64,/, ''), 'base64'));
    expect(errors).toEqual([]);
  });
});
