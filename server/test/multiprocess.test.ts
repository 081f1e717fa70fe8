import { randomBytes } from 'node:crypto';
import type { OrderView } from '@tuan/shared';
import type { ServiceContext } from '../src/core/context';
import { join } from 'node:path';
import { loginUser, startTestApp, type TestApp, type TestUser } from './support/harness';
import { bulkUsers, createCampaign, createCouponTemplate, pay, sleep } from './support/groupbuy.factory';
import { spawnServer, type ServerProcess } from './support/processes';
import { newOrderNo } from '../src/modules/order';
import { ownDatabase } from './support/database';

/**
 * Guarantees across processes: two API processes (and separate worker processes) on one MySQL and
 * one Redis, requests spread over both.
 */
const prefix = `mp${randomBytes(3).toString('hex')}:`;
const shared: Record<string, string> = { REDIS_PREFIX: prefix, SANDBOX_PAY_KEY_DIR: join(__dirname, '..', '..', '.data', 'sandbox-pay-test'), SWEEP_INTERVAL_MS: '500', COUPON_CLAIMS_PER_MIN: '1000' };
let t: TestApp;
let a: ServerProcess;
let b: ServerProcess;
const procs: ServerProcess[] = [];

beforeAll(async () => {
  // A database of its own: the worker processes started here sweep every deadline they can see, and
  // must not expire the groups other test files are driving by hand.
  Object.assign(shared, { DATABASE_URL: await ownDatabase('mp') });
  t = await startTestApp(shared);
  [a, b] = await Promise.all([spawnServer('api', shared), spawnServer('api', shared)]);
  procs.push(a, b);
}, 60_000);
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await t?.close(); // undefined when beforeAll failed
});

const q = (sql: string, p: unknown[] = []) => t.infra.dataSource.query(sql, p);
const api = (i: number) => (i % 2 === 0 ? a.url : b.url);
async function post(base: string, path: string, user: TestUser, body: object = {}) {
  const res = await fetch(base + path, { method: 'POST', headers: { ...user.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { id: number; groupId: number; error?: { code: string } } };
}
async function users(n: number, opts: { withAddress?: boolean } = {}): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (let i = 0; i < n; i += 50) out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => loginUser(t, undefined, opts)))));
  return out;
}
async function openGroup(campaignId: number, via: string) {
  const opener = (await users(1))[0]!;
  const o = await post(via, '/api/groups', opener, { campaignId });
  const paid = await post(via, `/api/orders/${o.body.id}/sandbox-pay`, opener);
  if (paid.status !== 200) throw new Error(JSON.stringify(paid.body));
  return { opener, groupId: o.body.groupId, orderId: o.body.id };
}

describe('two server processes, one database, one Redis', () => {
  it('when 200 users join one group of size 10 at once through both processes, then exactly 10 seats are taken', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 10, stock: 500 });
    const { groupId } = await openGroup(campaign.id, a.url);
    const joiners = await users(200);
    const results = await Promise.all(joiners.map((u, i) => post(api(i), `/api/groups/${groupId}/join`, u)));
    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(9);
    expect(results.filter((r) => r.status >= 500)).toHaveLength(0);
    expect(results.filter((r) => r.status !== 201).every((r) => r.body.error?.code === 'GROUP_FULL')).toBe(true);
    const [g] = await q(`SELECT seats_taken, size FROM group_buys WHERE id = ?`, [groupId]);
    expect(g.seats_taken).toBe(10);
    const [{ n }] = await q(`SELECT COUNT(*) AS n FROM group_members WHERE group_id = ? AND status <> 'released'`, [groupId]);
    expect(Number(n)).toBe(10);
  }, 120_000);

  it('when 500 joins spread over 20 groups hit campaign stock 150, then nothing oversells and, after every deadline, paid = captured + refunded to the fen', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 10, stock: 150, groupDurationSec: 30, paymentTimeoutSec: 20, groupPrice: 1990 });
    // Joiners first (each logs in and adds an address): the groups' deadlines start when they open. They are
    // long enough for 500 joins and their payments on a loaded 2-core machine (12 s was not: joins then met
    // expired groups), and short enough to wait for.
    const joiners = await users(500);
    const groups = await Promise.all(Array.from({ length: 20 }, (_, i) => openGroup(campaign.id, api(i))));
    const results = await Promise.all(joiners.map((u, i) => post(api(i), `/api/groups/${groups[i % 20]!.groupId}/join`, u).then((r) => ({ ...r, user: u }))));
    expect(results.filter((r) => r.status >= 500)).toHaveLength(0);
    const joined = results.filter((r) => r.status === 201);
    expect(joined.length).toBe(130); // 150 units − 20 openers
    const over = await q(`SELECT id FROM group_buys WHERE campaign_id = ? AND (seats_taken > size OR paid_count > size)`, [campaign.id]);
    expect(over).toHaveLength(0);
    const [c] = await q(`SELECT stock_left FROM campaigns WHERE id = ?`, [campaign.id]);
    expect(c.stock_left).toBe(0);

    // Two thirds pay (through both processes); the rest let their seats lapse.
    await Promise.all(joined.map((r, i) => (i % 3 === 2 ? null : post(api(i), `/api/orders/${r.body.id}/sandbox-pay`, r.user))));

    // A worker process runs every deadline and refund.
    const worker = await spawnServer('worker', shared);
    procs.push(worker);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const [{ open }] = await q(`SELECT COUNT(*) AS open FROM group_buys WHERE campaign_id = ? AND status IN ('open', 'pending')`, [campaign.id]);
      const [{ pend }] = await q(`SELECT COUNT(*) AS pend FROM orders WHERE campaign_id = ? AND status IN ('pending_payment', 'refunding')`, [campaign.id]);
      if (Number(open) === 0 && Number(pend) === 0) break;
      if (Date.now() > deadline) throw new Error(`not settled: ${open} open groups, ${pend} pending orders`);
      await sleep(500);
    }
    const [{ paid }] = await q(`SELECT COALESCE(SUM(paid_amount), 0) AS paid FROM orders WHERE campaign_id = ? AND paid_at IS NOT NULL`, [campaign.id]);
    const [{ captured }] = await q(`SELECT COALESCE(SUM(paid_amount), 0) AS captured FROM orders WHERE campaign_id = ? AND status = 'to_fulfil'`, [campaign.id]);
    const [{ refunded }] = await q(`SELECT COALESCE(SUM(r.amount), 0) AS refunded FROM refunds r JOIN orders o ON o.id = r.order_id WHERE o.campaign_id = ? AND r.status = 'succeeded'`, [campaign.id]);
    expect(Number(paid)).toBeGreaterThan(0);
    expect(Number(paid)).toBe(Number(captured) + Number(refunded));
    // Succeeded groups are exactly full; stock returned for everything not captured.
    const bad = await q(`SELECT id FROM group_buys WHERE campaign_id = ? AND status = 'succeeded' AND paid_count <> size`, [campaign.id]);
    expect(bad).toHaveLength(0);
    const [{ units }] = await q(`SELECT COALESCE(SUM(quantity), 0) AS units FROM orders WHERE campaign_id = ? AND status = 'to_fulfil'`, [campaign.id]);
    const [after] = await q(`SELECT stock_left, stock_total FROM campaigns WHERE id = ?`, [campaign.id]);
    expect(after.stock_total - after.stock_left).toBe(Number(units));
  }, 240_000);

  it('when a worker is killed with SIGKILL before a group deadline, then the other worker still expires the group exactly once', async () => {
    const w1 = await spawnServer('worker', shared);
    const w2 = await spawnServer('worker', shared);
    procs.push(w1, w2);
    const { campaign } = await createCampaign(t, { groupSize: 3, groupDurationSec: 3 });
    const { groupId, orderId } = await openGroup(campaign.id, a.url);
    await w1.stop('SIGKILL');
    const until = Date.now() + 30_000;
    for (;;) {
      const [g] = await q(`SELECT status FROM group_buys WHERE id = ?`, [groupId]);
      const [o] = await q(`SELECT status FROM orders WHERE id = ?`, [orderId]);
      if (g.status === 'failed' && o.status === 'refunded') break;
      if (Date.now() > until) throw new Error(`group ${g.status}, order ${o.status}`);
      await sleep(300);
    }
    const events = await q(`SELECT to_status FROM order_events WHERE order_id = ? ORDER BY id`, [orderId]);
    expect(events.map((e: { to_status: string }) => e.to_status)).toEqual(['pending_payment', 'paid', 'refunding', 'refunded']);
    const refunds = await q(`SELECT status FROM refunds WHERE order_id = ?`, [orderId]);
    expect(refunds).toEqual([{ status: 'succeeded' }]);
  }, 90_000);

  it('when 2000 users claim a coupon with stock 100 at once through both processes, then exactly 100 are issued', async () => {
    const { template } = await createCouponTemplate(t, { totalStock: 100, perUserLimit: 1 });
    const claimers = await bulkUsers(t, 2000, `c${randomBytes(3).toString('hex')}`);
    const results = await Promise.all(claimers.map((u, i) => post(api(i), `/api/coupon-templates/${template.id}/claim`, u)));
    expect(results.filter((r) => r.status >= 500)).toHaveLength(0);
    expect(results.filter((r) => r.status === 201)).toHaveLength(100);
    expect(results.filter((r) => r.status !== 201).every((r) => r.body.error?.code === 'COUPON_SOLD_OUT')).toBe(true);
    const [tpl] = await q(`SELECT issued FROM coupon_templates WHERE id = ?`, [template.id]);
    const [{ n, users }] = await q(`SELECT COUNT(*) AS n, COUNT(DISTINCT user_id) AS users FROM user_coupons WHERE template_id = ?`, [template.id]);
    expect(tpl.issued).toBe(100);
    expect(Number(n)).toBe(100);
    expect(Number(users)).toBe(100);
  }, 120_000);

  it('when one user fires 50 concurrent claims with limit 2 through both processes, then exactly 2 are issued', async () => {
    const { template } = await createCouponTemplate(t, { totalStock: 1000, perUserLimit: 2 });
    const u = (await users(1))[0]!;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => post(api(i), `/api/coupon-templates/${template.id}/claim`, u)));
    expect(results.filter((r) => r.status >= 500)).toHaveLength(0);
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    const [{ n }] = await q(`SELECT COUNT(*) AS n FROM user_coupons WHERE template_id = ? AND user_id = ?`, [template.id, u.id]);
    expect(Number(n)).toBe(2);
  }, 60_000);
});

const userCtx = (userId: number): ServiceContext => ({ actor: { kind: 'user', userId }, requestId: `test-${userId}`, log: t.infra.log, manager: t.infra.dataSource.manager });
/**
 * 150 buyers order one unit twice each, once through each API process (300 requests) from a campaign
 * of stock 100: exactly 100 are created, every refusal is CAMPAIGN_SOLD_OUT, the stock ends at 0.
 */
async function raceForStock100(path: string, campaignId: number) {
  const buyers = await users(150);
  const results = await Promise.all(
    buyers.flatMap((u, i) => [0, 1].map(async (k) => ({ userId: u.id, ...(await post(api(i + k), path, u, { campaignId, quantity: 1 })) }))),
  );
  const created = results.filter((r) => r.status === 201);
  expect(created).toHaveLength(100);
  expect(new Set(results.filter((r) => r.status !== 201).map((r) => r.body.error?.code))).toEqual(new Set(['CAMPAIGN_SOLD_OUT']));
  const [c] = await q(`SELECT stock_left FROM campaigns WHERE id = ?`, [campaignId]);
  expect(Number(c.stock_left)).toBe(0);
  return created;
}

/**
 * Submits the requests `submit` starts in one turn of the event loop and checks they made ONE batch of
 * exactly them, decided without falling back to one by one; returns each request's own outcome.
 */
async function inOneBatch<T>(batch: { stats: { batches: number; requests: number; fallbacks: number } }, submit: () => Array<Promise<T>>): Promise<T[]> {
  const before = { ...batch.stats };
  const pending = submit();
  const results = await Promise.all(pending);
  const d = (k: keyof typeof before) => batch.stats[k] - before[k];
  expect({ batches: d('batches'), requests: d('requests'), fallbacks: d('fallbacks') }).toEqual({ batches: 1, requests: pending.length, fallbacks: 0 });
  return results;
}

/** One request's own outcome: its order, or its error's code and details. */
const kept = (userId: number, p: Promise<OrderView>) =>
  p.then(
    (order) => ({ userId, order: order as OrderView | undefined, code: undefined as string | undefined, details: undefined as unknown }),
    (err: { code?: string; message?: string; details?: unknown }) => ({ userId, order: undefined, code: err.code ?? `unexpected: ${err.message}`, details: err.details }),
  );
/** Runs a join through the service (so a test controls which joins share a batch) and keeps its own outcome. */
const joinVia = (userId: number, groupId: number, quantity = 1) => kept(userId, t.services.checkout.join(userCtx(userId), groupId, quantity));

/**
 * Joins decided in batches (group commit, `JoinBatch`): racing batches of both API processes on
 * groups near full, and what a batch answers when one of its requests is bad or when its
 * transaction fails as a whole.
 */
describe('joins in batches', () => {
  it('when 500 joins race in batches of two processes on 40 groups with 2 seats left, then no group oversells, nobody sits twice, and every answer is that request\'s own truth', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 3, stock: 1000, limits: { perOrder: 1, openGroupsPerUser: 1, unitsPerUser: 1 } });
    const groups = await Promise.all(Array.from({ length: 40 }, async (_, i) => (await openGroup(campaign.id, i % 2 ? b.url : a.url)).groupId));
    // 250 users, two requests each, the two on different processes: every 5th asks the same group
    // twice (a duplicate racing across processes); the rest ask two groups, while the campaign
    // allows one unit per user — so at most one of their two joins may succeed.
    const racers = await users(250);
    const asks = racers.flatMap((u, i) => {
      const g1 = groups[i % 40]!;
      const g2 = i % 5 === 0 ? g1 : groups[(i * 7 + 3) % 40]!;
      return [
        { user: u, groupId: g1, via: a.url },
        { user: u, groupId: g2, via: b.url },
      ];
    });
    const results = await Promise.all(asks.map((r) => post(r.via, `/api/groups/${r.groupId}/join`, r.user).then((res) => ({ ...r, ...res }))));

    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    for (const r of refused) expect(['409 GROUP_FULL', '409 ALREADY_IN_GROUP', '409 LIMIT_EXCEEDED']).toContain(`${r.status} ${r.body.error?.code}`);

    // Nothing oversold: each group at most its size, and its count is exactly its seated members.
    const rows: Array<{ id: number; seats_taken: number; size: number; members: number }> = await q(
      `SELECT g.id, g.seats_taken, g.size, (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id AND m.status <> 'released') AS members
         FROM group_buys g WHERE g.campaign_id = ?`,
      [campaign.id],
    );
    for (const g of rows) {
      expect(g.seats_taken).toBeLessThanOrEqual(g.size);
      expect(Number(g.members)).toBe(g.seats_taken);
    }
    expect(rows.reduce((s, g) => s + g.seats_taken - 1, 0)).toBe(ok.length);
    // With 500 asks for 80 seats, the seats are taken (a refusal gives its gate token back).
    expect(ok.length).toBeGreaterThanOrEqual(70);

    // One seat per user per group, and the per-user limit (1 unit) across the whole campaign.
    const perUser = new Map<number, number>();
    for (const r of ok) perUser.set(r.user.id, (perUser.get(r.user.id) ?? 0) + 1);
    expect([...perUser.values()].every((n) => n === 1)).toBe(true);
    const usage: Array<{ user_id: number; units: number }> = await q(`SELECT user_id, units FROM campaign_user_usage WHERE campaign_id = ? AND units > 0`, [campaign.id]);
    const racerIds = new Set(racers.map((u) => u.id));
    const racerUsage = usage.filter((u) => racerIds.has(Number(u.user_id)));
    expect(new Map(racerUsage.map((u) => [Number(u.user_id), u.units]))).toEqual(perUser);

    // Each 201 is its own durable order and seat; no seat exists behind a refusal.
    const seats: Array<{ order_id: number; group_id: number; active_user_id: number; user_id: number; status: string }> = await q(
      `SELECT m.order_id, m.group_id, m.active_user_id, o.user_id, o.status FROM group_members m JOIN orders o ON o.id = m.order_id
        WHERE m.group_id IN (?) AND m.role = 'member'`,
      [groups],
    );
    const byOrder = new Map(seats.map((s) => [Number(s.order_id), s]));
    expect(seats).toHaveLength(ok.length);
    for (const r of ok) {
      const s = byOrder.get(r.body.id);
      expect(s && { group: Number(s.group_id), seated: Number(s.active_user_id), buyer: Number(s.user_id), status: s.status }).toEqual({ group: r.groupId, seated: r.user.id, buyer: r.user.id, status: 'pending_payment' });
    }
    // A duplicate pair (same user, same group) got at most one seat, and ALREADY_IN_GROUP only went to those pairs.
    for (const r of refused.filter((x) => x.body.error?.code === 'ALREADY_IN_GROUP')) {
      expect(ok.some((o) => o.user.id === r.user.id && o.groupId === r.groupId)).toBe(true);
    }
    // LIMIT_EXCEEDED only for a user who did get a seat elsewhere (their one unit).
    for (const r of refused.filter((x) => x.body.error?.code === 'LIMIT_EXCEEDED')) expect(perUser.get(r.user.id)).toBe(1);

    // The seat gate agrees with MySQL: no token stranded by a refused request.
    for (const g of rows) {
      const v = await t.infra.redis.get(`${prefix}{gb:${g.id}}:seats`);
      if (v !== null) expect(Number(v)).toBe(g.size - g.seats_taken);
    }
    const [c] = await q(`SELECT stock_total - stock_left AS sold FROM campaigns WHERE id = ?`, [campaign.id]);
    expect(Number(c.sold)).toBe(40 + ok.length);
  }, 240_000);

  it('when one request of a batch is bad, then that one gets its own error and the others their orders', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 10, stock: 100, limits: { perOrder: 2, unitsPerUser: 10 } });
    const { groupId } = await openGroup(campaign.id, t.url);
    const good = await users(4);
    const [homeless] = await users(1, { withAddress: false });
    const [greedy] = await users(1);
    const results = await inOneBatch(t.services.joinBatch!, () => [
      ...good.map((u) => joinVia(u.id, groupId)),
      joinVia(homeless!.id, groupId), // no delivery address
      joinVia(greedy!.id, groupId, 3), // more than the per-order limit
      joinVia(good[0]!.id, groupId), // the same user twice in one batch
    ]);
    expect(results.slice(0, 4).map((r) => [r.code, r.order?.status, r.order?.groupId])).toEqual(good.map(() => [undefined, 'pending_payment', groupId]));
    expect(results.slice(4).map((r) => r.code)).toEqual(['ADDRESS_REQUIRED', 'LIMIT_EXCEEDED', 'ALREADY_IN_GROUP']);
    const [g] = await q(`SELECT seats_taken FROM group_buys WHERE id = ?`, [groupId]);
    expect(g.seats_taken).toBe(5);
    const orders: Array<{ id: number; user_id: number }> = await q(`SELECT id, user_id FROM orders WHERE group_id = ? AND kind = 'group_join' ORDER BY id`, [groupId]);
    expect(orders.map((o) => [Number(o.id), Number(o.user_id)])).toEqual(results.slice(0, 4).map((r) => [r.order!.id, r.userId]));
    // Each order has its own history row, fulfilment and order.created event.
    const [counts] = await q(
      `SELECT (SELECT COUNT(*) FROM order_events WHERE order_id IN (?)) AS events, (SELECT COUNT(*) FROM order_fulfilments WHERE order_id IN (?)) AS fulfilments,
              (SELECT COUNT(*) FROM domain_events WHERE type = 'order.created' AND aggregate_id IN (?)) AS created`,
      [orders.map((o) => o.id), orders.map((o) => o.id), orders.map((o) => o.id)],
    );
    expect([Number(counts.events), Number(counts.fulfilments), Number(counts.created)]).toEqual([4, 4, 4]);
    expect(await t.infra.redis.get(`${prefix}{gb:${groupId}}:seats`)).toBe('5');
  }, 120_000);

  it('when a batch draws order numbers already taken (one written before, one twice within the batch), then it draws again: one batch, no fallback, each join its own order with its own number', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 10, stock: 100 });
    const { groupId } = await openGroup(campaign.id, t.url);
    const joiners = await users(4);
    const [{ order_no: taken }] = await q(`SELECT order_no FROM orders WHERE group_id = ? LIMIT 1`, [groupId]);
    const orders = t.services.orders;
    let draws = 0;
    // The first two draws are the opener's number: the batch's first two rows (taken in MySQL, and
    // twins within the batch); the INSERT fails on the unique key and every row is drawn again.
    orders.orderNumber = (now) => (++draws <= 2 ? taken : newOrderNo(now));
    try {
      const results = await inOneBatch(t.services.joinBatch!, () => joiners.map((u) => joinVia(u.id, groupId)));
      expect(results.map((r) => r.order?.status ?? r.code)).toEqual(joiners.map(() => 'pending_payment'));
      const nos = results.map((r) => r.order!.orderNo);
      expect(new Set([...nos, taken]).size).toBe(5);
      expect(draws).toBe(4 + 4); // four rows refused, then four new numbers
      const rows: Array<{ id: number; order_no: string }> = await q(`SELECT id, order_no FROM orders WHERE group_id = ? AND kind = 'group_join' ORDER BY id`, [groupId]);
      expect(rows.map((r) => [Number(r.id), r.order_no])).toEqual(results.map((r) => [r.order!.id, r.order!.orderNo]));
    } finally {
      orders.orderNumber = newOrderNo;
    }
  }, 120_000);

  it('when a batch\'s transaction fails as a whole (a seat taken by another transaction it could not see), then each request is decided alone and only the conflicting one is refused', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 10, stock: 100 });
    const { groupId } = await openGroup(campaign.id, t.url);
    const joiners = await users(4);
    const victim = joiners[0]!;
    // Another transaction seats the first joiner without committing yet: the batch's first read
    // cannot see it, and its multi-row seat INSERT waits on that row's unique key.
    const runner = t.infra.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query(
      `INSERT INTO group_members (group_id, user_id, active_user_id, order_id, role, status, created_at) VALUES (?, ?, ?, ?, 'member', 'reserved', UTC_TIMESTAMP(3))`,
      [groupId, victim.id, victim.id, 900_000_000 + groupId],
    );
    const batch = t.services.joinBatch!;
    const before = { ...batch.stats };
    const pending = Promise.all(joiners.map((u) => joinVia(u.id, groupId)));
    await sleep(500);
    await runner.commitTransaction();
    await runner.release();
    const results = await pending;
    expect(batch.stats.fallbacks - before.fallbacks).toBe(1);
    expect(results.map((r) => r.code ?? r.order!.status)).toEqual(['ALREADY_IN_GROUP', 'pending_payment', 'pending_payment', 'pending_payment']);
    const [g] = await q(`SELECT seats_taken FROM group_buys WHERE id = ?`, [groupId]);
    expect(g.seats_taken).toBe(4); // the opener and three joiners (the row inserted by hand took no seat count)
    const [{ n }] = await q(`SELECT COUNT(*) AS n FROM orders WHERE group_id = ? AND kind = 'group_join'`, [groupId]);
    expect(Number(n)).toBe(3);
    await q(`DELETE FROM group_members WHERE order_id = ?`, [900_000_000 + groupId]);
  }, 120_000);

  it('when buys-alone arrive together, then one batch decides them: the bad ones get their own errors, stock runs out exactly, and every 201 is its own order', async () => {
    // Stock 5, at most 2 per order and 3 per user. Campaign `noSolo` refuses buying alone.
    const { campaign } = await createCampaign(t, { stock: 5, limits: { perOrder: 2, unitsPerUser: 3 } });
    const { campaign: noSolo } = await createCampaign(t, { allowSolo: false });
    const good = await users(3);
    const [homeless] = await users(1, { withAddress: false });
    const solo = (userId: number, campaignId: number, quantity = 1) => kept(userId, t.services.checkout.buySolo(userCtx(userId), campaignId, quantity));
    const results = await inOneBatch(t.services.soloBatch!, () => [
      solo(good[0]!.id, campaign.id, 2), // 2 of 5
      solo(good[1]!.id, campaign.id, 2), // 4 of 5
      solo(homeless!.id, campaign.id), // no delivery address
      solo(good[2]!.id, campaign.id, 3), // more than the per-order limit
      solo(good[2]!.id, noSolo.id), // this campaign cannot be bought alone
      solo(good[0]!.id, campaign.id, 2), // this user would hold 4 > 3
      solo(good[2]!.id, campaign.id, 2), // 2 more, but only 1 left
      solo(good[2]!.id, campaign.id, 1), // the last unit
      solo(good[1]!.id, campaign.id, 1), // sold out
    ]);
    expect(results.map((r) => r.code ?? r.order!.status)).toEqual([
      'pending_payment', 'pending_payment', 'ADDRESS_REQUIRED', 'LIMIT_EXCEEDED', 'SOLO_NOT_ALLOWED', 'LIMIT_EXCEEDED', 'CAMPAIGN_SOLD_OUT', 'pending_payment', 'CAMPAIGN_SOLD_OUT',
    ]);
    const [c] = await q(`SELECT stock_left FROM campaigns WHERE id = ?`, [campaign.id]);
    expect(Number(c.stock_left)).toBe(0);
    const orders: Array<{ id: number; user_id: number; quantity: number; kind: string; group_id: number | null }> = await q(
      `SELECT id, user_id, quantity, kind, group_id FROM orders WHERE campaign_id = ? ORDER BY id`,
      [campaign.id],
    );
    const admitted = results.filter((r) => r.order);
    expect(orders.map((o) => [Number(o.id), Number(o.user_id), o.quantity, o.kind, o.group_id])).toEqual(admitted.map((r) => [r.order!.id, r.userId, r.order!.quantity, 'solo', null]));
    const usage: Array<{ user_id: number; units: number }> = await q(`SELECT user_id, units FROM campaign_user_usage WHERE campaign_id = ? AND units > 0 ORDER BY user_id`, [campaign.id]);
    expect(usage.map((u) => [Number(u.user_id), u.units])).toEqual([[good[0]!.id, 2], [good[1]!.id, 2], [good[2]!.id, 1]].sort((x, y) => x[0]! - y[0]!));
    const [counts] = await q(
      `SELECT (SELECT COUNT(*) FROM order_events WHERE order_id IN (?)) AS events, (SELECT COUNT(*) FROM domain_events WHERE type = 'order.created' AND aggregate_id IN (?)) AS created`,
      [orders.map((o) => o.id), orders.map((o) => o.id)],
    );
    expect([Number(counts.events), Number(counts.created)]).toEqual([3, 3]);
  }, 120_000);

  it('when 300 buys-alone race in batches of two processes for stock 100, then exactly 100 units are sold and each 201 is a durable order', async () => {
    const { campaign } = await createCampaign(t, { stock: 100, limits: { perOrder: 2, unitsPerUser: 2 } });
    const created = await raceForStock100('/api/orders/solo', campaign.id);
    const rows: Array<{ id: number }> = await q(`SELECT id FROM orders WHERE campaign_id = ? AND kind = 'solo'`, [campaign.id]);
    expect(rows.map((r) => Number(r.id)).sort((x, y) => x - y)).toEqual(created.map((r) => r.body.id).sort((x, y) => x - y));
  }, 120_000);

  it('when launches arrive together, then one batch decides them: the bad ones get their own errors, a second launch names the first group, and every 201 is its own order, group and seat', async () => {
    // Stock 5, at most 2 per order, 3 units and 1 open group per user.
    const { campaign } = await createCampaign(t, { stock: 5, limits: { perOrder: 2, unitsPerUser: 3, openGroupsPerUser: 1 } });
    const good = await users(4);
    const [homeless] = await users(1, { withAddress: false });
    const launch = (userId: number, campaignId: number, quantity = 1) => kept(userId, t.services.checkout.launch(userCtx(userId), campaignId, quantity));
    const results = await inOneBatch(t.services.launchBatch!, () => [
      launch(good[0]!.id, campaign.id, 2), // 2 of 5
      launch(good[1]!.id, campaign.id, 2), // 4 of 5
      launch(homeless!.id, campaign.id), // no delivery address
      launch(good[2]!.id, campaign.id, 3), // more than the per-order limit
      launch(good[0]!.id, campaign.id, 1), // a second open group of this user: names the first
      launch(good[2]!.id, campaign.id, 2), // 2 more, but only 1 left
      launch(good[2]!.id, campaign.id, 1), // the last unit
      launch(good[3]!.id, campaign.id, 1), // sold out
      launch(good[3]!.id, 999_999_999, 1), // no such campaign
    ]);
    expect(results.map((r) => r.code ?? r.order!.status)).toEqual([
      'pending_payment', 'pending_payment', 'ADDRESS_REQUIRED', 'LIMIT_EXCEEDED', 'GROUP_ALREADY_OPEN', 'CAMPAIGN_SOLD_OUT', 'pending_payment', 'CAMPAIGN_SOLD_OUT', 'CAMPAIGN_NOT_FOUND',
    ]);
    expect(results[4]!.details).toEqual({ groupId: results[0]!.order!.groupId, status: 'pending', orderId: results[0]!.order!.id });
    const [c] = await q(`SELECT stock_left FROM campaigns WHERE id = ?`, [campaign.id]);
    expect(Number(c.stock_left)).toBe(0);
    const admitted = results.filter((r) => r.order);
    const orders: Array<{ id: number; user_id: number; quantity: number; kind: string; group_id: number }> = await q(
      `SELECT id, user_id, quantity, kind, group_id FROM orders WHERE campaign_id = ? ORDER BY id`,
      [campaign.id],
    );
    expect(orders.map((o) => [Number(o.id), Number(o.user_id), o.quantity, o.kind, Number(o.group_id)])).toEqual(
      admitted.map((r) => [r.order!.id, r.userId, r.order!.quantity, 'group_open', r.order!.groupId]),
    );
    // Each admitted launch has its own pending group, opened by its buyer, with the opener's reserved seat on its order.
    const groups: Array<{ id: number; opener_user_id: number; status: string; seats_taken: number; size: number; order_id: number; role: string; seat_status: string }> = await q(
      `SELECT g.id, g.opener_user_id, g.status, g.seats_taken, g.size, m.order_id, m.role, m.status AS seat_status
         FROM group_buys g JOIN group_members m ON m.group_id = g.id WHERE g.campaign_id = ? ORDER BY g.id`,
      [campaign.id],
    );
    expect(groups.map((g) => [Number(g.id), Number(g.opener_user_id), g.status, g.seats_taken, g.size, Number(g.order_id), g.role, g.seat_status])).toEqual(
      admitted.map((r) => [r.order!.groupId, r.userId, 'pending', 1, campaign.groupSize, r.order!.id, 'opener', 'reserved']),
    );
    const usage: Array<{ user_id: number; units: number; open_groups: number }> = await q(
      `SELECT user_id, units, open_groups FROM campaign_user_usage WHERE campaign_id = ? AND units > 0 ORDER BY user_id`,
      [campaign.id],
    );
    expect(usage.map((u) => [Number(u.user_id), u.units, u.open_groups])).toEqual([[good[0]!.id, 2, 1], [good[1]!.id, 2, 1], [good[2]!.id, 1, 1]].sort((x, y) => x[0]! - y[0]!));
    const [counts] = await q(
      `SELECT (SELECT COUNT(*) FROM order_events WHERE order_id IN (?)) AS events, (SELECT COUNT(*) FROM domain_events WHERE type = 'order.created' AND aggregate_id IN (?)) AS created,
              (SELECT COUNT(*) FROM state_history WHERE entity = 'group' AND entity_id IN (?) AND from_status IS NULL AND to_status = 'pending') AS groupHistory`,
      [orders.map((o) => o.id), orders.map((o) => o.id), groups.map((g) => g.id)],
    );
    expect([Number(counts.events), Number(counts.created), Number(counts.groupHistory)]).toEqual([3, 3, 3]);
    // The launched groups open when their openers pay, as before.
    await pay(t, good[2]!, results[6]!.order!.id);
    const [g] = await q(`SELECT status FROM group_buys WHERE id = ?`, [results[6]!.order!.groupId]);
    expect(g.status).toBe('open');
  }, 120_000);

  it('when 300 launches race in batches of two processes for stock 100, then exactly 100 groups are launched and each 201 is a durable order with its own group and seat', async () => {
    const { campaign } = await createCampaign(t, { stock: 100, limits: { perOrder: 2, unitsPerUser: 2, openGroupsPerUser: 2 } });
    const created = await raceForStock100('/api/groups', campaign.id);
    const rows: Array<{ id: number; group_id: number; user_id: number; seat_order: number; opener: number }> = await q(
      `SELECT o.id, o.group_id, o.user_id, m.order_id AS seat_order, g.opener_user_id AS opener
         FROM orders o JOIN group_buys g ON g.id = o.group_id JOIN group_members m ON m.group_id = g.id
        WHERE o.campaign_id = ? AND o.kind = 'group_open'`,
      [campaign.id],
    );
    expect(rows.map((r) => Number(r.id)).sort((x, y) => x - y)).toEqual(created.map((r) => r.body.id).sort((x, y) => x - y));
    for (const r of rows) expect([Number(r.seat_order), Number(r.opener)]).toEqual([Number(r.id), Number(r.user_id)]);
    expect(new Set(rows.map((r) => Number(r.group_id))).size).toBe(100);
    const [{ n }] = await q(`SELECT COUNT(*) AS n FROM group_buys WHERE campaign_id = ?`, [campaign.id]);
    expect(Number(n)).toBe(100);
  }, 120_000);

  it('when one claim of a batch is bad, then it gets its own error and the others their coupons, each with its history row and event', async () => {
    const { template } = await createCouponTemplate(t, { totalStock: 10, perUserLimit: 1 });
    const claimers = await users(3);
    const claim = (userId: number, templateId: number) =>
      t.services.coupons.claim(userCtx(userId), templateId).then(
        (c) => ({ id: c.id, code: undefined as string | undefined }),
        (err: { code?: string }) => ({ id: undefined, code: err.code }),
      );
    const results = await inOneBatch(t.services.coupons.batch!, () => [...claimers.map((u) => claim(u.id, template.id)), claim(claimers[0]!.id, template.id), claim(claimers[1]!.id, 999_999_999)]);
    expect(results.map((r) => r.code ?? 'issued')).toEqual(['issued', 'issued', 'issued', 'COUPON_LIMIT_REACHED', 'COUPON_TEMPLATE_NOT_FOUND']);
    const ids = results.slice(0, 3).map((r) => r.id!);
    const rows: Array<{ id: number; user_id: number }> = await q(`SELECT id, user_id FROM user_coupons WHERE template_id = ? ORDER BY id`, [template.id]);
    expect(rows.map((r) => [Number(r.id), Number(r.user_id)])).toEqual(ids.map((id, i) => [id, claimers[i]!.id]));
    const [tpl] = await q(`SELECT issued FROM coupon_templates WHERE id = ?`, [template.id]);
    expect(tpl.issued).toBe(3);
    const [counts] = await q(
      `SELECT (SELECT COUNT(*) FROM state_history WHERE entity = 'user_coupon' AND entity_id IN (?)) AS history,
              (SELECT COUNT(*) FROM domain_events WHERE type = 'coupon.issued' AND aggregate_id IN (?)) AS issued`,
      [ids, ids],
    );
    expect([Number(counts.history), Number(counts.issued)]).toEqual([3, 3]);
    expect(await t.infra.redis.get(`${prefix}{ct:${template.id}}:stock`)).toBe('7');
  }, 60_000);
});
