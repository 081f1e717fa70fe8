import { randomBytes } from 'node:crypto';
import { ownDatabase } from './support/database';
import { loginAdmin, loginUser, startTestApp, type TestApp } from './support/harness';
import { createCampaign, pay } from './support/groupbuy.factory';
import { createLeaderWithPoint } from './support/pickup.factory';
import { spawnServer, type ServerProcess } from './support/processes';

// Batch formation across processes: operators on two API processes form the same cut-off (several
// times each) and an earlier one at the same moment; every order ends in exactly one batch and each
// cut-off forms once. A database of this file's own (formation takes every eligible order it sees).
let t: TestApp;
let a: ServerProcess;
let b: ServerProcess;
beforeAll(async () => {
  const env = { DATABASE_URL: await ownDatabase('pickupmp'), REDIS_PREFIX: `pm${randomBytes(3).toString('hex')}:` };
  t = await startTestApp(env);
  [a, b] = await Promise.all([spawnServer('api', env), spawnServer('api', env)]);
}, 90_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await t?.close();
});

const q = (sql: string, p: unknown[] = []) => t.infra.dataSource.query(sql, p);

it('when operators on two processes form the same cut-off at once (and an earlier one), then each cut-off forms once and every order is in exactly one batch', async () => {
  const { campaign } = await createCampaign(t, { stock: 200, limits: { perOrder: 3, unitsPerUser: 10 } });
  const points = await Promise.all([0, 1, 2].map(() => createLeaderWithPoint(t)));
  const orders: number[] = [];
  for (let i = 0; i < 18; i++) {
    const u = await loginUser(t);
    const res = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, quantity: 1 + (i % 3), fulfilment: { mode: 'pickup', pointId: points[i % 3].pointId } });
    await pay(t, u, res.body.id);
    orders.push(res.body.id);
  }
  const cutoff = new Date(Date.now() - 1000);
  const early = new Date(cutoff.getTime() - 600_000);
  // Half paid before the early cut, half between it and the cut-off.
  await Promise.all(orders.map((id, i) => q('UPDATE orders SET paid_at = ? WHERE id = ?', [new Date((i % 2 ? cutoff : early).getTime() - 1000 - i), id])));
  const op = await loginAdmin(t, 'operator');
  const form = async (base: string, at: Date) => {
    const res = await fetch(`${base}/admin/pickup-batches/form`, { method: 'POST', headers: { ...op.auth, 'content-type': 'application/json' }, body: JSON.stringify({ cutoffAt: at.toISOString() }) });
    return { status: res.status, body: (await res.json()) as { formed: boolean; cutoffAt: string; orders: number } };
  };
  const results = await Promise.all([form(a.url, cutoff), form(b.url, cutoff), form(a.url, early), form(b.url, cutoff), form(a.url, cutoff), form(b.url, early)]);
  expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
  expect(results.filter((r) => r.body.formed && r.body.cutoffAt === cutoff.toISOString())).toHaveLength(1);
  expect(results.filter((r) => r.body.formed && r.body.cutoffAt === early.toISOString())).toHaveLength(1);
  const rows: Array<{ batch_id: number | null; pickup_point_id: number; point_id: number | null }> = await q(
    `SELECT f.batch_id, f.pickup_point_id, b.point_id FROM order_fulfilments f LEFT JOIN pickup_batches b ON b.id = f.batch_id WHERE f.order_id IN (?)`, [orders],
  );
  expect(rows).toHaveLength(orders.length);
  expect(rows.every((r) => r.batch_id !== null && Number(r.point_id) === Number(r.pickup_point_id))).toBe(true);
  const [sum] = await q(`SELECT COALESCE(SUM(order_count), 0) AS n FROM pickup_batches WHERE point_id IN (?)`, [points.map((p) => p.pointId)]);
  expect(Number(sum.n)).toBe(orders.length);
  // The formations' answers add up to the orders too: nothing counted twice.
  const formedOrders = results.filter((r) => r.body.formed).reduce((n, r) => n + r.body.orders, 0);
  expect(formedOrders).toBe(orders.length);
}, 120_000);
