import { ErrorCode } from '@tuan/shared';
import { loginUser, startTestApp, type TestApp } from './support/harness';
import { createCampaign, createCouponTemplate, joinGroup, pay } from './support/groupbuy.factory';

/** What the shopper's journey (issue 12) needs from the server: no dead ends, no vague errors. */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('a second 开团 in the same campaign', () => {
  it('when the opener already has a group pending payment or open, then 409 GROUP_ALREADY_OPEN names that group and its order; nothing is written', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2, limits: { openGroupsPerUser: 1 } });
    const u = await loginUser(t);
    const first = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    expect(first.status).toBe(201);
    const groupId = first.body.groupId as number;

    const count = async () => (await t.infra.dataSource.query(`SELECT COUNT(*) AS n FROM orders WHERE user_id = ?`, [u.id]))[0].n;
    const before = Number(await count());
    const pending = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    expect(pending.status).toBe(409);
    expect(pending.body.error).toMatchObject({ code: ErrorCode.GROUP_ALREADY_OPEN, details: { groupId, status: 'pending', orderId: first.body.id } });
    expect(Number(await count())).toBe(before);

    await pay(t, u, first.body.id);
    const open = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    expect(open.body.error).toMatchObject({ code: ErrorCode.GROUP_ALREADY_OPEN, details: { groupId, status: 'open', orderId: first.body.id } });

    // The group succeeds: the opener's slot is free again, and a new 开团 is accepted.
    const friend = await joinGroup(t, groupId);
    await pay(t, friend.user, friend.res.body.id);
    expect((await t.http.get(`/api/groups/${groupId}`)).body.status).toBe('succeeded');
    const again = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    expect(again.status).toBe(201);
    expect(again.body.groupId).not.toBe(groupId);
  });

  it('when the refusal is the units limit and no group of mine is open, then it stays LIMIT_EXCEEDED', async () => {
    const { campaign } = await createCampaign(t, { limits: { perOrder: 2, unitsPerUser: 2, openGroupsPerUser: 1 } });
    const u = await loginUser(t);
    expect((await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, quantity: 2 })).status).toBe(201);
    const launch = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    expect(launch.body.error.code).toBe(ErrorCode.LIMIT_EXCEEDED);
  });

  it('when the limit allows several open groups, then 开团 is refused only once all of them are taken', async () => {
    const { campaign } = await createCampaign(t, { limits: { openGroupsPerUser: 2 } });
    const u = await loginUser(t);
    const a = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    const b = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    expect([a.status, b.status]).toEqual([201, 201]);
    const c = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    // The newest of my open groups.
    expect(c.body.error).toMatchObject({ code: ErrorCode.GROUP_ALREADY_OPEN, details: { groupId: b.body.groupId } });
  });
});

describe('the product page finds its group deals', () => {
  it('when campaigns are listed with productId, then only that product’s running campaigns come back; a bad id is 400', async () => {
    const one = await createCampaign(t);
    const other = await createCampaign(t);
    const res = await t.http.get(`/api/campaigns?productId=${one.productId}&pageSize=50`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((c: { id: number }) => c.id)).toEqual([one.campaign.id]);
    expect(res.body.items[0]).toMatchObject({ productId: one.productId, groupPrice: 2990 });
    const ended = await t.http.post(`/admin/campaigns/${other.campaign.id}/end`).set(other.op.auth);
    expect(ended.status).toBe(200);
    expect((await t.http.get(`/api/campaigns?productId=${other.productId}`)).body.items).toEqual([]);
    expect((await t.http.get('/api/campaigns?productId=abc')).status).toBe(400);
    expect((await t.http.get('/api/campaigns?productId=99999999999')).status).toBe(400);
  });
});

describe('a claimed coupon knows the goods it applies to', () => {
  it('when a product-scoped coupon is claimed, then the claim and 我的优惠券 carry its scope ids and a short label', async () => {
    const { productId } = await createCampaign(t);
    const { template } = await createCouponTemplate(t, { scope: 'products', scopeIds: [productId], threshold: 1900, amountOff: 300 });
    const u = await loginUser(t);
    const claimed = await t.http.post(`/api/coupon-templates/${template.id}/claim`).set(u.auth);
    expect(claimed.body).toMatchObject({ scope: 'products', scopeIds: [productId], label: '满19减3' });
    const mine = await t.http.get('/api/my/coupons?status=available').set(u.auth);
    expect(mine.body.items.find((c: { templateId: number }) => c.templateId === template.id)).toMatchObject({ scopeIds: [productId] });
    const center = await t.http.get('/api/coupon-center').set(u.auth);
    expect(center.body.items.find((c: { id: number }) => c.id === template.id)).toMatchObject({ scope: 'products', scopeIds: [productId], claimedByMe: 1 });
  });
});

describe('我的拼团', () => {
  it('when I opened one group and joined another, then /api/my/groups lists both newest first with the goods, my role and my order; nobody else sees them', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 3 });
    const me = await loginUser(t);
    const opened = await t.http.post('/api/groups').set(me.auth).send({ campaignId: campaign.id });
    await pay(t, me, opened.body.id);
    const other = await loginUser(t);
    const theirs = await t.http.post('/api/groups').set(other.auth).send({ campaignId: campaign.id });
    await pay(t, other, theirs.body.id);
    const joined = await joinGroup(t, theirs.body.groupId, me);
    expect(joined.res.status).toBe(201);

    const res = await t.http.get('/api/my/groups').set(me.auth);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({ id: theirs.body.groupId, myRole: 'member', myOrderId: joined.res.body.id, title: expect.any(String), groupPrice: 2990, seatsLeft: 1 }),
      expect.objectContaining({ id: opened.body.groupId, myRole: 'opener', myOrderId: opened.body.id, groupPrice: 2990, status: 'open' }),
    ]);
    expect(res.body.items[0].title.length).toBeGreaterThan(0);
    const stranger = await loginUser(t);
    expect((await t.http.get('/api/my/groups').set(stranger.auth)).body.items).toEqual([]);
    expect((await t.http.get('/api/my/groups')).status).toBe(401);
  });
});
