import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loginUser, startTestApp, type TestApp, type TestUser } from './support/harness';
import { bulkUsers, createCampaign, createCouponTemplate, sleep } from './support/groupbuy.factory';
import { spawnServer, type ServerProcess } from './support/processes';
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
async function users(n: number): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (let i = 0; i < n; i += 50) out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => loginUser(t)))));
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
