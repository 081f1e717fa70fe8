/**
 * Rewards end to end: A shares a campaign; B arrives through A's share (a new user, bound to A) and
 * buys; the order ships and B confirms receipt; the after-sale window (short in the test run's
 * configuration) passes and the settlement job makes A's commission 可提现. A opens 我的 → 我的收益 in
 * the h5 build, sees it, withdraws it; finance approves over the admin API; A confirms receipt in the
 * payout sandbox and sees 已到账. Screenshots in .tmp/e2e-shots.
 */
import { appUrl, browserSuite, collectPageErrors, expectText, screenshots } from './browser';
import { RUN, adminToken, api, createCampaign, devLogin, onScreen } from './admin-api';


const shot = screenshots('');

describe('rewards in the h5 build', () => {
  const suite = browserSuite();

  it('when B buys through A\'s share and the after-sale window passes, then A sees 可提现, withdraws and sees 已到账', async () => {
    const admin = await adminToken();
    const campaign = await createCampaign(admin, { label: '佣金', groupSize: 2, groupDurationSec: 3600 });

    // A logs in (in the browser) and shares the campaign.
    const nameA = `ra${RUN}`;
    const context = await suite.userContext();
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await devLogin(page, nameA);
    const { accessToken: tokenA, user: userA } = await api<{ accessToken: string; user: { id: number } }>('POST', '/api/auth/login', { code: `dev:${nameA}` });
    const share = await api<{ token: string }>('POST', '/api/shares', { kind: 'campaign', targetId: campaign.id }, tokenA);

    // B's first login comes through A's share; B buys alone through it and pays in the sandbox.
    const { accessToken: tokenB } = await api<{ accessToken: string }>('POST', '/api/auth/login', { code: `dev:rb${RUN}`, shareToken: share.token });
    await api('POST', '/api/addresses', { name: '李四', phone: '13912345678', province: '广东省', city: '深圳市', district: '南山区', detail: '科技园 2 号', isDefault: true }, tokenB);
    const order = await api<{ id: number }>('POST', '/api/orders/solo', { campaignId: campaign.id, shareToken: share.token }, tokenB);
    await api('POST', `/api/orders/${order.id}/sandbox-pay`, undefined, tokenB);
    await api('POST', `/admin/orders/${order.id}/ship`, { carrier: '顺丰', trackingNo: `SF${RUN}`.slice(0, 30) }, admin);
    await api('POST', `/api/orders/${order.id}/confirm-receipt`, undefined, tokenB);

    // The page's statement must never be older than its balances (a settlement committing between two
    // parallel reads once showed 可提现 ¥1.99 over a statement ending at 佣金冻结): every statement read
    // starts only after a balance answer that came after the previous statement read.
    const reads: Array<'balances answered' | 'statement asked'> = [];
    page.on('response', (res) => { if (new URL(res.url()).pathname === '/api/my/rewards') reads.push('balances answered'); });
    page.on('request', (req) => { if (new URL(req.url()).pathname === '/api/my/rewards/ledger') reads.push('statement asked'); });

    // 我的 → 我的收益: 冻结中 until the window passes, then 可提现 ¥1.99 (5 % of ¥39.90).
    await page.goto(appUrl('/pages/me/index'));
    await onScreen(page, '.me-my-rewards').click();
    await onScreen(page, '#rewards-available').waitFor({ state: 'visible' });
    await shot(page, 'rewards-1-frozen');
    const until = Date.now() + 90_000;
    for (;;) {
      const text = (await onScreen(page, '#rewards-available').textContent())?.trim();
      if (text === '¥1.99') break;
      if (Date.now() > until) throw new Error(`可提现 stayed ${text}`);
      await page.waitForTimeout(2000);
      await page.reload();
      await onScreen(page, '#rewards-available').waitFor({ state: 'visible' });
    }
    await expectText(onScreen(page, '.rewards-entry-kind').first(), '售后期结束，佣金入账');
    expect(reads.filter((r) => r === 'statement asked').length).toBeGreaterThan(1);
    expect(reads.join(' → ')).not.toMatch(/(^|statement asked → )statement asked/);
    await shot(page, 'rewards-2-available');

    // 提现 the whole amount.
    await onScreen(page, '.rewards-withdraw').click();
    await onScreen(page, '#withdraw-amount input').fill('1.99');
    await onScreen(page, '#withdraw-submit').click();
    await expectText(onScreen(page, '#withdraw-status'), '待审核');
    await shot(page, 'rewards-3-requested');

    // Finance approves; the worker starts the transfer, which waits for A's confirmation.
    const queue = await api<{ items: Array<{ id: number; userId: number; status: string }> }>('GET', '/admin/withdrawals?status=requested&pageSize=50', undefined, admin);
    const w = queue.items.find((x) => x.userId === userA.id);
    if (!w) throw new Error('the withdrawal is not in the finance queue');
    await api('POST', `/admin/withdrawals/${w.id}/approve`, undefined, admin);
    await onScreen(page, '.withdraw-confirm').waitFor({ state: 'visible', timeout: 30_000 });
    await expectText(onScreen(page, '#withdraw-status'), '打款中');
    await shot(page, 'rewards-4-confirm');
    await onScreen(page, '.withdraw-confirm').click();
    await expectText(onScreen(page, '#withdraw-status'), '已到账', 30_000);
    await shot(page, 'rewards-5-paid');
    expect(errors).toEqual([]);
  }, 180_000);
});
