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

  it('group page: the shared part is cached like a public read, the caller\'s own fields are read every time and the answer stays no-store', async () => {
    const { campaign } = await createCampaign(a, { groupSize: 3, stock: 50 });
    const { opener, groupId, orderId } = await launchAndPay(a, campaign.id);
    const stranger = await loginUser(b);
    // Anonymous first: the shared part is built for nobody and cached on b (until at least anonAt + TTL).
    const anonAt = Date.now();
    const anon = await b.http.get(`/api/groups/${groupId}`);
    expect(anon.status).toBe(200);
    expect(anon.headers['cache-control']).toBe('no-store');
    expect(anon.body).toMatchObject({ id: groupId, seatsLeft: 2, myRole: null, myOrderId: null });
    // The opener, then a stranger, from the same cache entry: each gets their own part.
    const mine = await b.http.get(`/api/groups/${groupId}`).set(opener.auth);
    expect(mine.body).toMatchObject({ id: groupId, myRole: 'opener', myOrderId: orderId });
    expect(mine.body.members).toEqual(anon.body.members);
    expect((await b.http.get(`/api/groups/${groupId}`).set(stranger.auth)).body).toMatchObject({ myRole: null, myOrderId: null });
    // Served from memory: a change behind b's back (not through b) shows only after the TTL.
    await b.infra.dataSource.query(`UPDATE campaigns SET title = '团页缓存标题' WHERE id = ?`, [campaign.id]);
    const stale = await b.http.get(`/api/groups/${groupId}`).set(opener.auth);
    if (Date.now() - anonAt < 900) expect(stale.body.campaign.title).toBe(anon.body.campaign.title);
    expect(stale.body).toMatchObject({ myRole: 'opener', myOrderId: orderId });
    // A join through a: a shows the seat at once; b's shared part within a second, while the joiner's
    // own fields on b are right at once (they are never cached).
    const joiner = await loginUser(a);
    const joinedAt = Date.now();
    const joined = await a.http.post(`/api/groups/${groupId}/join`).set(joiner.auth).send({ quantity: 1 });
    expect(joined.status).toBe(201);
    expect((await a.http.get(`/api/groups/${groupId}`)).body.seatsLeft).toBe(1);
    expect((await b.http.get(`/api/groups/${groupId}`).set(joiner.auth)).body).toMatchObject({ myRole: 'member', myOrderId: joined.body.id });
    for (;;) {
      const seen = (await b.http.get(`/api/groups/${groupId}`)).body;
      if (seen.seatsLeft === 1 && seen.members.length === 2) break;
      expect(Date.now() - joinedAt).toBeLessThan(1500);
      await sleep(50);
    }
    // A group that does not exist is 404 on the cached path too, for nobody and for a signed-in caller.
    expect((await b.http.get('/api/groups/999999999')).status).toBe(404);
    expect((await b.http.get('/api/groups/999999999').set(stranger.auth)).status).toBe(404);
  });
});
