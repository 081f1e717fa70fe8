import { loginUser, startTestApp, type TestApp } from './support/harness';
import { createCampaign, launchAndPay, sleep } from './support/groupbuy.factory';

/**
 * Public reads (home campaigns, campaign page, its open groups) from each process's PublicCache:
 * answered without MySQL within the TTL, stale by at most the TTL for changes made elsewhere, fresh
 * at once for writes the same process answered, `serverTime` always current.
 */
let a: TestApp;
let b: TestApp; // a second process, as far as caches go: its own PublicCache

beforeAll(async () => {
  [a, b] = await Promise.all([startTestApp({ PUBLIC_CACHE_MS: '1000' }), startTestApp({ PUBLIC_CACHE_MS: '1000' })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

describe('public cache', () => {
  it('when the database changes behind it, then a cached read answers from memory for at most the TTL, with public cache headers and a current serverTime', async () => {
    const { campaign } = await createCampaign(a, { stock: 50 });
    const first = await b.http.get(`/api/campaigns/${campaign.id}`);
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('public, max-age=0, s-maxage=1');
    const firstAt = Date.now();
    await b.infra.dataSource.query(`UPDATE campaigns SET title = '改过的标题' WHERE id = ?`, [campaign.id]);
    await sleep(30);
    const cached = await b.http.get(`/api/campaigns/${campaign.id}`);
    if (Date.now() - firstAt < 900) expect(cached.body.title).toBe(first.body.title);
    expect(cached.body.serverTime).not.toBe(first.body.serverTime); // stamped on every answer
    expect(Date.parse(cached.body.serverTime)).toBeGreaterThan(Date.parse(first.body.serverTime));
    // Within the TTL (plus a little for a loaded machine) the change shows.
    const until = firstAt + 1500;
    let title = cached.body.title as string;
    while (title !== '改过的标题' && Date.now() < until) {
      await sleep(50);
      title = (await b.http.get(`/api/campaigns/${campaign.id}`)).body.title;
    }
    expect(title).toBe('改过的标题');
  });

  it('when a shopper joins through one process, then that process shows the seat at once and the other within a second', async () => {
    const { campaign } = await createCampaign(a, { groupSize: 3, stock: 50 });
    const { groupId } = await launchAndPay(a, campaign.id);
    const list = async (t: TestApp) => (await t.http.get(`/api/campaigns/${campaign.id}/groups`)).body.items.find((g: { id: number }) => g.id === groupId);
    const home = async (t: TestApp) => (await t.http.get('/api/campaigns').query({ productId: (await a.http.get(`/api/campaigns/${campaign.id}`)).body.productId })).body.items[0];
    expect((await list(a)).seatsLeft).toBe(2);
    expect((await list(b)).seatsLeft).toBe(2);
    const stockBefore = (await home(b)).stockLeft;
    const joiner = await loginUser(a);
    const joinedAt = Date.now();
    expect((await a.http.post(`/api/groups/${groupId}/join`).set(joiner.auth).send({ quantity: 1 })).status).toBe(201);
    expect((await list(a)).seatsLeft).toBe(1); // the write cleared this process's cache
    for (;;) {
      const seen = await list(b);
      if (seen.seatsLeft === 1 && (await home(b)).stockLeft === stockBefore - 1) break;
      expect(Date.now() - joinedAt).toBeLessThan(1500);
      await sleep(50);
    }
  });
});
