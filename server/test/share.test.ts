import { ErrorCode } from '@tuan/shared';
import { withTransaction } from '../src/core/transaction';
import { InviterBinding } from '../src/modules/share';
import { addAddress, loginAdmin, loginUser, startTestApp, uniq, type TestApp, type TestUser } from './support/harness';
import { createCampaign, createCouponTemplate, sysCtx } from './support/groupbuy.factory';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ SHARE_VISITS_PER_MIN: '10000', SHARE_CLAIMS_PER_MIN: '1000', COUPON_CLAIMS_PER_MIN: '1000' });
});
afterAll(() => t.close());
const q = (sql: string, p: unknown[] = []) => t.infra.dataSource.query(sql, p);

async function share(u: TestUser, kind: string, targetId: number, parentToken?: string): Promise<string> {
  const res = await t.http.post('/api/shares').set(u.auth).send({ kind, targetId, ...(parentToken ? { parentToken } : {}) });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body.token as string;
}
/** A brand-new user whose first login comes through `token`. */
async function arrive(token: string, name = uniq('via')): Promise<TestUser> {
  const res = await t.http.post('/api/auth/login').send({ code: `dev:${name}`, shareToken: token });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  const user: TestUser = { id: res.body.user.id, token: res.body.accessToken, refreshToken: res.body.refreshToken, login: res.body, auth: { Authorization: `Bearer ${res.body.accessToken}` } };
  // Every order is delivered: like any test shopper, one who arrived through a share adds an address
  // (after that first login, so the login still comes through the share).
  user.addressId = await addAddress(t, user);
  return user;
}
const launch = async (u: TestUser, campaignId: number) => {
  const res = await t.http.post('/api/groups').set(u.auth).send({ campaignId, quantity: 1 });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body.id as number;
};
const attributionOf = async (orderId: number) => (await q(`SELECT share_id, sharer_user_id, chain FROM order_attributions WHERE order_id = ?`, [orderId]))[0] ?? null;
const shareId = async (token: string) => Number((await q(`SELECT id FROM shares WHERE token = ?`, [token]))[0].id);

describe('shares', () => {
  it('when a share is created twice for the same target and parent, then it is reused; the token is short base62', async () => {
    const a = await loginUser(t);
    const t1 = await share(a, 'product', 7);
    const [t2, t3] = await Promise.all([share(a, 'product', 7), share(a, 'product', 7)]);
    expect(t1).toMatch(/^[0-9A-Za-z]{8}$/);
    expect([t2, t3]).toEqual([t1, t1]);
    expect(await share(a, 'product', 8)).not.toBe(t1);
    expect((await t.http.get(`/api/shares/${t1}`)).body).toMatchObject({ kind: 'product', targetId: 7 });
    expect((await t.http.get('/api/shares/zzzzzzzz')).body.error.code).toBe(ErrorCode.SHARE_NOT_FOUND);
    expect((await t.http.get('/api/shares/bad!token')).status).toBe(400);
  });

  it('when one visitor opens a share many times at once, then the visit counts once that day; distinct visitors count each', async () => {
    const a = await loginUser(t);
    const token = await share(a, 'product', 1);
    const b = await loginUser(t);
    const answers = await Promise.all(Array.from({ length: 40 }, () => t.http.post(`/api/shares/${token}/visits`).set(b.auth).send({ scene: 1007 })));
    expect(answers.filter((r) => r.body.counted).length).toBe(1);
    const devices = await Promise.all(Array.from({ length: 20 }, (_, i) => t.http.post(`/api/shares/${token}/visits`).send({ deviceId: `device-${token}-${i % 10}` })));
    expect(devices.filter((r) => r.body.counted).length).toBe(10);
    await t.services.shares.flushVisits();
    const rows = async () => Number((await q(`SELECT COUNT(*) n FROM share_visits WHERE share_id = ?`, [await shareId(token)]))[0].n);
    expect(await rows()).toBe(11);
    // Redis forgot its dedupe keys: the visit is queued again, and the unique key still counts it once.
    for (const k of await t.infra.redis.keys(`*:d:${await shareId(token)}:*`)) await t.infra.redis.del(k);
    await t.http.post(`/api/shares/${token}/visits`).set(b.auth).send({}).expect(200);
    await t.services.shares.flushVisits();
    expect(await rows()).toBe(11);
  });

  it('when nothing is queued, then a flush locks no shard; with one visit queued, only that visit\'s shard is locked', async () => {
    const a = await loginUser(t);
    const token = await share(a, 'product', 3);
    const id = await shareId(token);
    await t.services.shares.flushVisits();
    // Lock SETs of every flush in this window: this one's and the app's own timer's.
    const set = jest.spyOn(t.infra.redis, 'set');
    const locked = () => set.mock.calls.map((c) => String(c[0])).filter((k) => k.endsWith(':lock')).map((k) => Number(/\{svq:(\d+)\}/.exec(k)![1]));
    try {
      expect(await t.services.shares.flushVisits()).toBe(0);
      expect(locked()).toEqual([]);
      expect((await t.http.post(`/api/shares/${token}/visits`).send({ deviceId: `one-${token}` })).body.counted).toBe(true);
      await t.services.shares.flushVisits();
      expect(new Set(locked())).toEqual(new Set([id % 16]));
      expect(Number((await q(`SELECT COUNT(*) n FROM share_visits WHERE share_id = ?`, [id]))[0].n)).toBe(1);
    } finally {
      set.mockRestore();
    }
  });

  it('when a flush died after taking a batch, then the next flush writes that batch (nothing lost, nothing doubled)', async () => {
    const a = await loginUser(t);
    const token = await share(a, 'product', 2);
    const id = await shareId(token);
    await t.services.shares.flushVisits();
    // Keep this app's timer-driven flushes off the shard while the crash is staged: hold its lock.
    const shard = id % 16;
    const prefix = t.infra.config.REDIS_PREFIX;
    while ((await t.infra.redis.set(`${prefix}{svq:${shard}}:lock`, 'test', 'PX', 5000, 'NX')) !== 'OK') await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 5; i++) expect((await t.http.post(`/api/shares/${token}/visits`).send({ deviceId: `crash-${token}-${i}` })).body.counted).toBe(true);
    // A flush takes the queue into the processing list and "dies" before inserting.
    const queue = `${prefix}{svq:${shard}}:q`;
    const processing = `${prefix}{svq:${shard}}:p`;
    const items = await t.infra.redis.lrange(queue, 0, -1);
    expect(items.length).toBeGreaterThanOrEqual(5);
    await t.infra.redis.multi().del(queue).rpush(processing, ...items).exec();
    await t.infra.redis.del(`${prefix}{svq:${shard}}:lock`);
    await t.services.shares.flushVisits();
    expect(await t.infra.redis.exists(processing)).toBe(0);
    expect(Number((await q(`SELECT COUNT(*) n FROM share_visits WHERE share_id = ?`, [id]))[0].n)).toBe(5);
  });
});

describe('attribution', () => {
  it('when C buys after opening B’s share (which B opened from A’s), then the order is attributed to B’s share with A’s above it', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 5 });
    const a = await loginUser(t);
    const ta = await share(a, 'campaign', campaign.id);
    const b = await arrive(ta);
    const tb = await share(b, 'campaign', campaign.id, ta);
    const c = await arrive(tb);
    const orderId = await launch(c, campaign.id);
    const attr = await attributionOf(orderId);
    expect(Number(attr.share_id)).toBe(await shareId(tb));
    expect(Number(attr.sharer_user_id)).toBe(b.id);
    expect(attr.chain).toEqual([{ shareId: await shareId(ta), sharerUserId: a.id }]);
    const [ev] = await q(`SELECT payload FROM domain_events WHERE type = 'order.created' AND aggregate_id = ?`, [orderId]);
    expect(ev.payload.attribution).toMatchObject({ shareId: await shareId(tb), sharerUserId: b.id });
    // B bought too: attributed to A's share (B's own share never counts for B).
    expect(Number((await attributionOf(await launch(b, campaign.id))).sharer_user_id)).toBe(a.id);

    // After the window (7 days) the order is unattributed.
    await q(`UPDATE share_visits SET visited_at = UTC_TIMESTAMP(3) - INTERVAL 8 DAY WHERE user_id = ?`, [c.id]);
    expect(await attributionOf(await launch(c, campaign.id))).toBeNull();
  });

  it('when a sharer opens their own share and buys, then the order is unattributed', async () => {
    const { campaign } = await createCampaign(t);
    const a = await loginUser(t);
    const ta = await share(a, 'campaign', campaign.id);
    expect((await t.http.post(`/api/shares/${ta}/visits`).set(a.auth).send({})).body.counted).toBe(true);
    await t.services.shares.flushVisits();
    expect(await attributionOf(await launch(a, campaign.id))).toBeNull();
  });
});

describe('invitation binding', () => {
  const inviterOf = async (userId: number) => (await q(`SELECT inviter_user_id, expires_at FROM user_inviters WHERE user_id = ?`, [userId]))[0] ?? null;
  /** Runs a login's binding step for an existing user, with other operator settings. */
  const bindAs = async (opts: ConstructorParameters<typeof InviterBinding>[1], userId: number, token: string) =>
    withTransaction(t.infra.dataSource, sysCtx(t), (tx) => new InviterBinding(t.services.shares, opts).onLogin(tx, userId, false, token));
  const existing = { mode: 'permanent' as const, days: 30, bindExisting: true };

  it('when a new user first logs in through a share, then they are bound to the sharer; an existing user is not (default)', async () => {
    const a = await loginUser(t);
    const ta = await share(a, 'product', 3);
    const b = await arrive(ta);
    expect(Number((await inviterOf(b.id)).inviter_user_id)).toBe(a.id);
    expect((await q(`SELECT outcome FROM user_inviter_history WHERE user_id = ?`, [b.id])).map((r: { outcome: string }) => r.outcome)).toEqual(['bound']);
    const oldName = uniq('old');
    const old = await loginUser(t, oldName);
    await t.http.post('/api/auth/login').send({ code: `dev:${uniq('x')}`, shareToken: 'nonexist' }).expect(200); // unknown token: login still works
    const again = await t.http.post('/api/auth/login').send({ code: `dev:${oldName}`, shareToken: ta });
    expect(again.status).toBe(200);
    expect(await inviterOf(old.id)).toBeNull();
  });

  it('when binding would close a cycle (A→B→A, or longer), then it is refused and recorded', async () => {
    const a = await loginUser(t);
    const b = await arrive(await share(a, 'product', 4));
    const c = await arrive(await share(b, 'product', 4));
    await bindAs(existing, a.id, await share(b, 'product', 5)); // A under B: B is under A
    await bindAs(existing, a.id, await share(c, 'product', 5)); // A under C: C → B → A
    expect(await inviterOf(a.id)).toBeNull();
    expect((await q(`SELECT reason FROM user_inviter_history WHERE user_id = ? ORDER BY id`, [a.id])).map((r: { reason: string }) => r.reason)).toEqual(['cycle', 'cycle']);
    // No self-binding either.
    await bindAs(existing, a.id, await share(a, 'product', 6));
    expect(await inviterOf(a.id)).toBeNull();
    // An unrelated sharer may bind an existing user when the operator allows it.
    const d = await loginUser(t);
    await bindAs(existing, a.id, await share(d, 'product', 6));
    expect(Number((await inviterOf(a.id)).inviter_user_id)).toBe(d.id);
  });

  it('when one person logs in for the first time through two shares at once, then they are bound once', async () => {
    const [s1, s2] = [await loginUser(t), await loginUser(t)];
    const [t1, t2] = [await share(s1, 'product', 9), await share(s2, 'product', 9)];
    const name = uniq('twice');
    const res = await Promise.all([t1, t2, t1, t2].map((token) => t.http.post('/api/auth/login').send({ code: `dev:${name}`, shareToken: token })));
    expect(res.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const uid = res[0]!.body.user.id;
    expect(res.filter((r) => r.body.isNewUser).length).toBe(1);
    expect(Number((await q(`SELECT COUNT(*) n FROM user_inviter_history WHERE user_id = ? AND outcome = 'bound'`, [uid]))[0].n)).toBe(1);
    expect([s1.id, s2.id]).toContain(Number((await inviterOf(uid)).inviter_user_id));
  });

  it('when binding lasts N days, then it expires and another share may bind the user', async () => {
    const a = await loginUser(t);
    const u = await loginUser(t);
    const days = { mode: 'days' as const, days: 3, bindExisting: true };
    await bindAs(days, u.id, await share(a, 'product', 10));
    const row = await inviterOf(u.id);
    expect(Math.round((new Date(row.expires_at).getTime() - Date.now()) / 86_400_000)).toBe(3);
    const binding = new InviterBinding(t.services.shares, days);
    expect(await binding.inviterOf(sysCtx(t), u.id)).toBe(a.id);
    await q(`UPDATE user_inviters SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE user_id = ?`, [u.id]);
    expect(await binding.inviterOf(sysCtx(t), u.id)).toBeNull();
    const b = await loginUser(t);
    await bindAs(days, u.id, await share(b, 'product', 10));
    expect(await binding.inviterOf(sysCtx(t), u.id)).toBe(b.id);
  });
});

describe('share coupon pack', () => {
  async function createPack(n: number, friendStock = 100, totalPacks = 100) {
    const friend = await createCouponTemplate(t, { channel: 'share_pack', name: '好友券', totalStock: friendStock, perUserLimit: 1 });
    const bonus = await createCouponTemplate(t, { channel: 'share_pack', name: '分享奖励券', kind: 'no_threshold', amountOff: 300, threshold: 0, totalStock: 100, perUserLimit: 5 });
    const op = await loginAdmin(t, 'operator');
    const res = await t.http.post('/admin/share-packs').set(op.auth).send({
      name: '邀友券包', friendTemplateIds: [friend.template.id], bonusTemplateId: bonus.template.id, requiredFriends: n, totalPacks,
      endsAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    if (res.status !== 201) throw new Error(JSON.stringify(res.body));
    return { pack: res.body, friendTemplate: friend.template.id, bonusTemplate: bonus.template.id };
  }
  const bonusCount = async (userId: number, templateId: number) => Number((await q(`SELECT COUNT(*) n FROM user_coupons WHERE user_id = ? AND template_id = ?`, [userId, templateId]))[0].n);

  it('when N new friends claim, then each gets the friend coupons once and the sharer gets one bonus; an old user does not count', async () => {
    const { pack, bonusTemplate, friendTemplate } = await createPack(2);
    expect(pack.rules).toContain('邀请 2 位新朋友');
    const a = await loginUser(t);
    const token = await share(a, 'pack', pack.id);
    const old = await loginUser(t);
    const oldClaim = await t.http.post(`/api/shares/${token}/pack/claim`).set(old.auth);
    expect(oldClaim.body).toMatchObject({ countedAsNewFriend: false, progress: { newFriends: 0, requiredFriends: 2 } });
    expect((await t.http.post(`/api/shares/${token}/pack/claim`).set(a.auth)).body.error.code).toBe(ErrorCode.SHARE_PACK_OWN);
    const b = await arrive(token);
    const first = await t.http.post(`/api/shares/${token}/pack/claim`).set(b.auth);
    expect(first.body).toMatchObject({ countedAsNewFriend: true, progress: { newFriends: 1, bonusIssued: false } });
    expect((await t.http.post(`/api/shares/${token}/pack/claim`).set(b.auth)).body.error.code).toBe(ErrorCode.SHARE_PACK_ALREADY_CLAIMED);
    const c = await arrive(token);
    await t.http.post(`/api/shares/${token}/pack/claim`).set(c.auth).expect(200);
    const d = await arrive(token);
    await t.http.post(`/api/shares/${token}/pack/claim`).set(d.auth).expect(200);
    const mine = await t.http.get(`/api/shares/${token}/pack`).set(a.auth);
    expect(mine.body).toMatchObject({ newFriends: 3, requiredFriends: 2, bonusIssued: true, mine: true });
    expect(await bonusCount(a.id, bonusTemplate)).toBe(1);
    for (const u of [old, b, c, d]) expect(await bonusCount(u.id, friendTemplate)).toBe(1);
    expect((await q(`SELECT type FROM domain_events WHERE type = 'share.pack_completed' AND aggregate_id = ?`, [pack.id])).length).toBe(1);
  });

  it('when the claims around N race, then exactly one bonus is issued', async () => {
    const { pack, bonusTemplate } = await createPack(3);
    const a = await loginUser(t);
    const token = await share(a, 'pack', pack.id);
    const friends = await Promise.all(Array.from({ length: 8 }, () => arrive(token)));
    const res = await Promise.all(friends.map((f) => t.http.post(`/api/shares/${token}/pack/claim`).set(f.auth)));
    expect(res.map((r) => r.status)).toEqual(friends.map(() => 200));
    expect(await bonusCount(a.id, bonusTemplate)).toBe(1);
    expect((await t.http.get(`/api/shares/${token}/pack`)).body).toMatchObject({ newFriends: 8, bonusIssued: true, mine: false });
  });

  it('when the friend coupons run out or the packs are all started, then claims and shares are refused and nothing is half-written', async () => {
    const { pack } = await createPack(1, 1, 1);
    const a = await loginUser(t);
    const token = await share(a, 'pack', pack.id);
    const b = await arrive(token);
    await t.http.post(`/api/shares/${token}/pack/claim`).set(b.auth).expect(200);
    const c = await arrive(token);
    const sold = await t.http.post(`/api/shares/${token}/pack/claim`).set(c.auth);
    expect(sold.body.error.code).toBe(ErrorCode.COUPON_SOLD_OUT);
    expect((await q(`SELECT * FROM share_pack_claims WHERE pack_id = ? AND friend_user_id = ?`, [pack.id, c.id])).length).toBe(0);
    const other = await loginUser(t);
    const refused = await t.http.post('/api/shares').set(other.auth).send({ kind: 'pack', targetId: pack.id });
    expect(refused.body.error.code).toBe(ErrorCode.SHARE_PACK_EXHAUSTED);
    // A pack naming a template of another channel is refused.
    const centre = await createCouponTemplate(t, {});
    const op = await loginAdmin(t, 'operator');
    const bad = await t.http.post('/admin/share-packs').set(op.auth).send({ name: 'x', friendTemplateIds: [centre.template.id], bonusTemplateId: centre.template.id, requiredFriends: 1, totalPacks: 1, endsAt: new Date(Date.now() + 1e6).toISOString() });
    expect(bad.body.error.code).toBe(ErrorCode.SHARE_PACK_INVALID);
  });
});

describe('attribution through the token sent with the order', () => {
  it('when a buyer orders with the share token they came through, then the order is attributed to it even before any visit is written; their own token never', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 5 });
    const a = await loginUser(t);
    const ta = await share(a, 'campaign', campaign.id);
    const b = await loginUser(t); // an existing user: no visit, no binding
    const res = await t.http.post('/api/orders/solo').set(b.auth).send({ campaignId: campaign.id, shareToken: ta });
    expect(res.status).toBe(201);
    const attr = await attributionOf(res.body.id);
    expect(Number(attr.share_id)).toBe(await shareId(ta));
    expect(Number(attr.sharer_user_id)).toBe(a.id);
    const own = await t.http.post('/api/orders/solo').set(a.auth).send({ campaignId: campaign.id, shareToken: ta });
    expect(own.status).toBe(201);
    expect(await attributionOf(own.body.id)).toBeNull();
    const bad = await t.http.post('/api/orders/solo').set(b.auth).send({ campaignId: campaign.id, shareToken: 'no/such token' });
    expect(bad.status).toBe(400);
  });
});

describe('share graph and code', () => {
  it('when I look at my shares, then each has its funnel and only my shares are listed', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 5 });
    const a = await loginUser(t);
    const ta = await share(a, 'campaign', campaign.id);
    const b = await arrive(ta);
    const orderId = await launch(b, campaign.id);
    await t.http.post(`/api/orders/${orderId}/sandbox-pay`).set(b.auth).expect(200);
    await t.http.post(`/api/shares/${ta}/visits`).send({ deviceId: 'anon-device-1' }).expect(200);
    await t.services.shares.flushVisits();
    const mine = await t.http.get('/api/my/shares').set(a.auth);
    expect(mine.body.items).toHaveLength(1);
    expect(mine.body.items[0]).toMatchObject({ token: ta, depth: 1, figures: { visitors: 2, newUsers: 1, orders: 1, joins: 0, gmv: 2990 } });
    expect((await t.http.get('/api/my/shares').set(b.auth)).body.items).toHaveLength(0);
    const op = await loginAdmin(t, 'operator');
    const stats = await t.http.get(`/admin/share-stats/campaigns/${campaign.id}`).set(op.auth);
    expect(stats.body).toMatchObject({ shares: 1, sharers: 1, maxDepth: 1, figures: { orders: 1, gmv: 2990 } });
    expect((await t.http.get(`/admin/share-stats/sharers/${a.id}`).set(a.auth)).status).toBe(401);
  });

  it('when the code of a share is asked for, then a PNG QR code pointing at the h5 link with the token comes back', async () => {
    const a = await loginUser(t);
    const token = await share(a, 'group', 42);
    const res = await t.http.get(`/api/shares/${token}/code`);
    expect(res.status).toBe(200);
    expect(res.body.image).toMatch(/^data:image\/png;base64,/);
    expect(res.body).toMatchObject({ scene: token, page: 'pages/group/index' });
    expect(res.body.url).toContain(`st=${token}`);
  });
});
