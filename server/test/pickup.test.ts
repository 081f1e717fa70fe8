import { randomBytes } from 'node:crypto';
import { startOutboxDispatcher } from '../src/core/outbox.dispatcher';
import { createSystemContext } from '../src/core/system';
import { ownDatabase } from './support/database';
import { loginAdmin, loginUser, startTestApp, type TestApp, type TestUser } from './support/harness';
import { createCampaign, pay, sleep } from './support/groupbuy.factory';
import { createLeaderWithPoint, rememberPoint } from './support/pickup.factory';

/**
 * Pickup orders and daily batches (issue 11): checkout at a leader's point, the cut-off to the
 * millisecond, formation exactly once with two formations racing, group orders only after success,
 * a leader seeing only their own point, shipping, arrival with shortages refunded, pick lists.
 * A database of this file's own: formation takes every eligible order it can see.
 */
let t: TestApp;
let outbox: Awaited<ReturnType<typeof startOutboxDispatcher>>;

beforeAll(async () => {
  t = await startTestApp({ DATABASE_URL: await ownDatabase('pickup'), REDIS_PREFIX: `pk${randomBytes(3).toString('hex')}:`, OUTBOX_POLL_MS: '100' });
  outbox = await startOutboxDispatcher(t.infra, t.services.subscribers);
}, 60_000);
afterAll(async () => {
  await outbox?.close();
  await t?.close();
});

const q = (sql: string, p: unknown[] = []) => t.infra.dataSource.query(sql, p);
const sys = () => createSystemContext(t.infra, 'pickup-test');
/** The batch's own domain events, in the order they were written. */
const batchEventsOf = async (batchId: number): Promise<Array<{ type: string; payload: Record<string, unknown> }>> =>
  (await q(`SELECT type, payload FROM domain_events WHERE aggregate_type = 'pickup_batch' AND aggregate_id = ? ORDER BY id`, [batchId])).map((e: { type: string; payload: unknown }) => ({
    type: e.type,
    payload: typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload,
  }));

/** A solo pickup order, paid (→ to_fulfil at once). */
async function pickupOrder(campaignId: number, user: TestUser, pointId?: number, quantity = 1): Promise<number> {
  const res = await t.http.post('/api/orders/solo').set(user.auth).send({ campaignId, quantity, fulfilment: { mode: 'pickup', ...(pointId ? { pointId } : {}) } });
  if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  await pay(t, user, res.body.id);
  return res.body.id as number;
}

/** Puts the order's payment at an exact instant (the cut-off tests control time this way). */
const paidAt = (orderId: number, at: Date) => q('UPDATE orders SET paid_at = ? WHERE id = ?', [at, orderId]);
const batchOf = async (orderId: number): Promise<number | null> => {
  const [r] = await q('SELECT batch_id FROM order_fulfilments WHERE order_id = ?', [orderId]);
  return r.batch_id === null ? null : Number(r.batch_id);
};
/** A cut-off instant of this test alone (far in the future: no other formation's cut-off reaches it). */
let offset = 0;
const freshCutoff = () => new Date(Date.UTC(2030, 0, 1, 15, 0, 0, 0) + (offset += 86_400_000));

describe('checkout with a pickup point', () => {
  it('when joins for pickup and for delivery arrive together (one batch), then each order carries its own fulfilment and a closed point refuses only its own join', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 5 });
    const open = await createLeaderWithPoint(t);
    const closed = await createLeaderWithPoint(t, { pointStatus: 'closed' });
    const opener = await loginUser(t);
    const launched = await t.http.post('/api/groups').set(opener.auth).send({ campaignId: campaign.id, quantity: 1 });
    expect(launched.status).toBe(201);
    await pay(t, opener, launched.body.id);
    const [a, b, c] = [await loginUser(t), await loginUser(t), await loginUser(t)];
    const join = (u: TestUser, body: object) => t.http.post(`/api/groups/${launched.body.groupId}/join`).set(u.auth).send({ quantity: 1, ...body });
    const [ra, rb, rc] = await Promise.all([
      join(a, { fulfilment: { mode: 'pickup', pointId: open.pointId } }),
      join(b, {}),
      join(c, { fulfilment: { mode: 'pickup', pointId: closed.pointId } }),
    ]);
    expect(ra.status).toBe(201);
    expect(ra.body.delivery).toMatchObject({ mode: 'pickup', pickupPoint: { id: open.pointId, leaderId: open.leaderId } });
    expect(rb.status).toBe(201);
    expect(rb.body.delivery.mode).toBe('delivery');
    expect(rc.status).toBe(409);
    expect(rc.body.error.code).toBe('PICKUP_POINT_UNAVAILABLE');
    const rows = await q('SELECT o.user_id, f.mode, f.pickup_point_id FROM orders o JOIN order_fulfilments f ON f.order_id = o.id WHERE o.group_id = ? ORDER BY o.id', [launched.body.groupId]);
    expect(rows.map((r: { mode: string }) => r.mode).sort()).toEqual(['delivery', 'delivery', 'pickup']);
    expect(rows.some((r: { user_id: number }) => Number(r.user_id) === c.id)).toBe(false);
    const [g] = await q('SELECT seats_taken FROM group_buys WHERE id = ?', [launched.body.groupId]);
    expect(Number(g.seats_taken)).toBe(3);
  });

  it('when a shopper picks a point, then the order carries the point, its leader and a snapshot, and the view shows it', async () => {
    const { campaign } = await createCampaign(t);
    const p = await createLeaderWithPoint(t);
    const u = await loginUser(t);
    const res = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, quantity: 1, fulfilment: { mode: 'pickup', pointId: p.pointId } });
    expect(res.status).toBe(201);
    expect(res.body.delivery).toMatchObject({ mode: 'pickup', pickupPoint: { id: p.pointId, leaderId: p.leaderId, name: p.pointName, openingHours: '08:00-21:00' }, recipientName: '张三', phoneMasked: '138****5678' });
    expect(res.body.delivery.pickupPoint.address).toBe('广东省深圳市南山区科技园路 8 号便利店');
    const [f] = await q('SELECT mode, pickup_point_id, leader_id, pickup_point_name, detail, address_id FROM order_fulfilments WHERE order_id = ?', [res.body.id]);
    expect(f).toMatchObject({ mode: 'pickup', pickup_point_id: p.pointId, leader_id: p.leaderId, pickup_point_name: p.pointName, detail: '科技园路 8 号便利店', address_id: null });
    // The point renamed later: the order keeps what it was sold with.
    await q('UPDATE pickup_points SET name = ? WHERE id = ?', ['改名后', p.pointId]);
    expect((await t.http.get(`/api/orders/${res.body.id}`).set(u.auth)).body.delivery.pickupPoint.name).toBe(p.pointName);
    // Operators see it on the order too.
    const op = await loginAdmin(t, 'operator');
    expect((await t.http.get(`/admin/orders/${res.body.id}`).set(op.auth)).body.delivery.pickupPoint.id).toBe(p.pointId);
  });

  it('when no point is given, then the remembered one is used; with none remembered, 422 PICKUP_POINT_REQUIRED and nothing written', async () => {
    const { campaign } = await createCampaign(t);
    const p = await createLeaderWithPoint(t);
    const u = await loginUser(t);
    const before = (await q('SELECT COUNT(*) AS n FROM orders WHERE user_id = ?', [u.id]))[0].n;
    const refused = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, fulfilment: { mode: 'pickup' } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('PICKUP_POINT_REQUIRED');
    expect((await q('SELECT COUNT(*) AS n FROM orders WHERE user_id = ?', [u.id]))[0].n).toBe(before);
    await rememberPoint(t, u, p.pointId);
    const preview = await t.http.post('/api/checkout/preview').set(u.auth).send({ kind: 'solo', campaignId: campaign.id, fulfilment: { mode: 'pickup' } });
    expect(preview.status).toBe(200);
    expect(preview.body.fulfilmentModes).toEqual(['delivery', 'pickup']);
    expect(preview.body.pickupPoint).toMatchObject({ id: p.pointId, name: p.pointName });
    const ok = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, fulfilment: { mode: 'pickup' } });
    expect(ok.status).toBe(201);
    expect(ok.body.delivery.pickupPoint.id).toBe(p.pointId);
  });

  it('when the point is closed (its leader suspended), then checkout is refused with 409 PICKUP_POINT_UNAVAILABLE and takes no stock', async () => {
    const { campaign } = await createCampaign(t, { stock: 5 });
    const closed = await createLeaderWithPoint(t, { pointStatus: 'closed', leaderStatus: 'suspended' });
    const u = await loginUser(t);
    const res = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, fulfilment: { mode: 'pickup', pointId: closed.pointId } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('PICKUP_POINT_UNAVAILABLE');
    expect((await q('SELECT stock_left FROM campaigns WHERE id = ?', [campaign.id]))[0].stock_left).toBe(5);
    const missing = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, fulfilment: { mode: 'pickup', pointId: 99_999_999 } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('PICKUP_POINT_NOT_FOUND');
  });

  it('when the campaign or the product does not offer a mode, then 422 FULFILMENT_MODE_NOT_ALLOWED (the modes allowed are both\'s intersection)', async () => {
    const { campaign, productId } = await createCampaign(t);
    const p = await createLeaderWithPoint(t);
    const u = await loginUser(t);
    await q(`UPDATE campaigns SET fulfilment_modes = 'delivery' WHERE id = ?`, [campaign.id]);
    const noPickup = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, fulfilment: { mode: 'pickup', pointId: p.pointId } });
    expect(noPickup.status).toBe(422);
    expect(noPickup.body.error).toMatchObject({ code: 'FULFILMENT_MODE_NOT_ALLOWED', details: { mode: 'pickup', allowed: ['delivery'] } });
    // The campaign allows both, the product only pickup: delivery (also the default) is refused, pickup works.
    await q(`UPDATE campaigns SET fulfilment_modes = 'delivery,pickup' WHERE id = ?`, [campaign.id]);
    await q(`UPDATE products SET fulfilment_modes = 'pickup' WHERE id = ?`, [productId]);
    const noDelivery = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id });
    expect(noDelivery.status).toBe(422);
    expect(noDelivery.body.error.code).toBe('FULFILMENT_MODE_NOT_ALLOWED');
    const preview = await t.http.post('/api/checkout/preview').set(u.auth).send({ kind: 'solo', campaignId: campaign.id });
    expect(preview.body.fulfilmentModes).toEqual(['pickup']);
    expect((await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, fulfilment: { mode: 'pickup', pointId: p.pointId } })).status).toBe(201);
  });
});

describe('daily cut-off and batch formation', () => {
  it('when one order is paid at 22:59:59.999 and another at 23:00:00.000 (Shanghai), then only the first joins that cut-off\'s batch', async () => {
    const { campaign } = await createCampaign(t);
    const p = await createLeaderWithPoint(t);
    const before = await pickupOrder(campaign.id, await loginUser(t), p.pointId);
    const atCut = await pickupOrder(campaign.id, await loginUser(t), p.pointId);
    // 23:00 Asia/Shanghai is 15:00 UTC (the configured default rule).
    const cutoff = t.services.pickupBatches.rule.time === '23:00' ? freshCutoff() : new Date(NaN);
    expect(cutoff.toISOString().slice(11)).toBe('15:00:00.000Z');
    await paidAt(before, new Date(cutoff.getTime() - 1));
    await paidAt(atCut, cutoff);
    const r = await t.services.pickupBatches.formAt(sys(), cutoff, 'test');
    expect(r).toMatchObject({ formed: true, batches: 1, orders: 1, businessDate: cutoff.toISOString().slice(0, 10) });
    expect(await batchOf(before)).not.toBeNull();
    expect(await batchOf(atCut)).toBeNull();
    // The next day's cut-off takes the one left out.
    const next = freshCutoff();
    await t.services.pickupBatches.formAt(sys(), next, 'test');
    expect(await batchOf(atCut)).not.toBeNull();
    expect(await batchOf(atCut)).not.toBe(await batchOf(before));
  });

  it('when two workers form the same cut-off (and an operator an earlier one) at the same time, then every order is in exactly one batch and each cut-off forms once', async () => {
    const { campaign } = await createCampaign(t, { stock: 200, limits: { perOrder: 3, unitsPerUser: 10 } });
    const points = await Promise.all([0, 1, 2, 3].map(() => createLeaderWithPoint(t)));
    const shoppers = await Promise.all(Array.from({ length: 24 }, () => loginUser(t)));
    const orders = await Promise.all(shoppers.map((u, i) => pickupOrder(campaign.id, u, points[i % 4].pointId, 1 + (i % 3))));
    const cutoff = freshCutoff();
    const early = new Date(cutoff.getTime() - 3_600_000);
    // Half paid before the early cut, half between the early cut and the cut-off.
    await Promise.all(orders.map((id, i) => paidAt(id, new Date((i % 2 ? cutoff : early).getTime() - 1000 - i))));
    const results = await Promise.all([
      t.services.pickupBatches.formAt(createSystemContext(t.infra, 'worker-1'), cutoff, 'worker-1'),
      t.services.pickupBatches.formAt(createSystemContext(t.infra, 'worker-2'), cutoff, 'worker-2'),
      t.services.pickupBatches.formAt(createSystemContext(t.infra, 'operator'), early, 'operator'),
      t.services.pickupBatches.formAt(createSystemContext(t.infra, 'worker-3'), cutoff, 'worker-3'),
    ]);
    expect(results.filter((r) => r.cutoffAt === cutoff.toISOString() && r.formed)).toHaveLength(1);
    const rows: Array<{ order_id: number; batch_id: number | null }> = await q(`SELECT order_id, batch_id FROM order_fulfilments WHERE order_id IN (?)`, [orders]);
    expect(rows.every((r) => r.batch_id !== null)).toBe(true);
    // Each order in one batch of its own point, and every batch's counts and pick list add up to its orders.
    const batches: Array<{ id: number; point_id: number; order_count: number; unit_count: number; cutoff_at: Date }> = await q(
      `SELECT id, point_id, order_count, unit_count, cutoff_at FROM pickup_batches WHERE id IN (?)`, [[...new Set(rows.map((r) => Number(r.batch_id)))]],
    );
    const truth: Array<{ batch_id: number; n: number; u: number; points: number }> = await q(
      `SELECT f.batch_id, COUNT(*) AS n, SUM(o.quantity) AS u, COUNT(DISTINCT f.pickup_point_id) AS points FROM order_fulfilments f JOIN orders o ON o.id = f.order_id WHERE f.batch_id IN (?) GROUP BY f.batch_id`,
      [batches.map((b) => b.id)],
    );
    for (const b of batches) {
      const tr = truth.find((x) => Number(x.batch_id) === Number(b.id))!;
      expect([b.order_count, b.unit_count, Number(tr.points)]).toEqual([Number(tr.n), Number(tr.u), 1]);
      const [l] = await q('SELECT SUM(quantity) AS u, SUM(orders) AS n FROM pickup_batch_lines WHERE batch_id = ?', [b.id]);
      expect([Number(l.n), Number(l.u)]).toEqual([b.order_count, b.unit_count]);
    }
    expect(batches.reduce((n, b) => n + b.order_count, 0)).toBe(orders.length);
    // At most one batch per point and cut-off; one history row per batch created.
    expect(new Set(batches.map((b) => `${b.point_id}:${new Date(b.cutoff_at).toISOString()}`)).size).toBe(batches.length);
    const [h] = await q(`SELECT COUNT(*) AS n FROM state_history WHERE entity = 'pickup_batch' AND to_status = 'formed' AND entity_id IN (?)`, [batches.map((b) => b.id)]);
    expect(Number(h.n)).toBe(batches.length);
  });

  it('when a group has not succeeded, then its paid pickup orders stay out; once it succeeds they join the next batch', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2 });
    const p = await createLeaderWithPoint(t);
    const opener = await loginUser(t);
    const launched = await t.http.post('/api/groups').set(opener.auth).send({ campaignId: campaign.id, quantity: 1, fulfilment: { mode: 'pickup', pointId: p.pointId } });
    expect(launched.status).toBe(201);
    await pay(t, opener, launched.body.id);
    expect((await q('SELECT status FROM orders WHERE id = ?', [launched.body.id]))[0].status).toBe('paid');
    const cutoff = freshCutoff();
    await paidAt(launched.body.id, new Date(cutoff.getTime() - 60_000));
    await t.services.pickupBatches.formAt(sys(), cutoff, 'test');
    expect(await batchOf(launched.body.id)).toBeNull();
    // A member joins and pays: the group succeeds, both orders are to_fulfil and join the next cut-off.
    const member = await loginUser(t);
    const joined = await t.http.post(`/api/groups/${launched.body.groupId}/join`).set(member.auth).send({ quantity: 1, fulfilment: { mode: 'pickup', pointId: p.pointId } });
    expect(joined.status).toBe(201);
    await pay(t, member, joined.body.id);
    await paidAt(joined.body.id, new Date(cutoff.getTime() + 60_000));
    const next = freshCutoff();
    await t.services.pickupBatches.formAt(sys(), next, 'test');
    const [a, b] = [await batchOf(launched.body.id), await batchOf(joined.body.id)];
    expect(a).not.toBeNull();
    expect(a).toBe(b);
  });

  it('when the sweeper runs, then it forms the latest scheduled cut-off once', async () => {
    const ctx = sys();
    const first = await t.services.pickupBatches.formDue(ctx);
    const again = await t.services.pickupBatches.formDue(ctx);
    expect(again).toBe(0);
    expect(first).toBeGreaterThanOrEqual(0);
    const [row] = await q('SELECT COUNT(*) AS n FROM pickup_cutoffs WHERE cutoff_at <= UTC_TIMESTAMP(3) AND formed_by = ?', ['schedule']);
    expect(Number(row.n)).toBeGreaterThanOrEqual(1);
  });
});

describe('batches: pick lists, shipping, arrival', () => {
  /** A point with orders in one formed batch: returns the batch id and the orders. */
  async function formedBatch(quantities: number[]) {
    const { campaign, productId } = await createCampaign(t, { stock: 100, limits: { perOrder: 5, unitsPerUser: 10 }, listPrice: 1000, groupPrice: 900 });
    const p = await createLeaderWithPoint(t);
    const shoppers = await Promise.all(quantities.map(() => loginUser(t)));
    const orders: number[] = [];
    for (const [i, u] of shoppers.entries()) orders.push(await pickupOrder(campaign.id, u, p.pointId, quantities[i]));
    const cutoff = freshCutoff();
    // Paid one after the other, a minute apart, in the order given.
    for (const [i, id] of orders.entries()) await paidAt(id, new Date(cutoff.getTime() - 3_600_000 + i * 60_000));
    await t.services.pickupBatches.formAt(sys(), cutoff, 'test');
    const batchId = (await batchOf(orders[0]))!;
    return { campaign, productId, p, shoppers, orders, batchId, cutoff };
  }

  it('a leader sees only their own point: another leader gets 404, a shopper 403 NOT_A_LEADER', async () => {
    const { p, batchId, orders, shoppers } = await formedBatch([1, 2]);
    const mine = await t.http.get(`/api/leader/batches/${batchId}`).set(p.leader.auth);
    expect(mine.status).toBe(200);
    expect(mine.body.orders.map((o: { orderId: number }) => o.orderId).sort()).toEqual([...orders].sort());
    expect(mine.body.lines).toHaveLength(1);
    expect(mine.body.lines[0]).toMatchObject({ quantity: 3, orders: 2, received: null });
    expect(mine.body.orders[0].phoneMasked).toBe('138****5678');
    const list = await t.http.get('/api/leader/batches').set(p.leader.auth);
    expect(list.body.items.map((b: { id: number }) => b.id)).toContain(batchId);
    const other = await createLeaderWithPoint(t);
    expect((await t.http.get(`/api/leader/batches/${batchId}`).set(other.leader.auth)).status).toBe(404);
    expect((await t.http.get(`/api/leader/orders/${orders[0]}`).set(other.leader.auth)).status).toBe(404);
    expect((await t.http.get(`/api/leader/orders/${orders[0]}`).set(p.leader.auth)).body.orderId).toBe(orders[0]);
    expect((await t.http.get('/api/leader/batches').set(other.leader.auth)).body.items.map((b: { id: number }) => b.id)).not.toContain(batchId);
    expect((await t.http.post(`/api/leader/batches/${batchId}/arrive`).set(other.leader.auth).send({})).status).toBe(404);
    const shopper = await t.http.get(`/api/leader/batches/${batchId}`).set(shoppers[0].auth);
    expect(shopper.status).toBe(403);
    expect(shopper.body.error.code).toBe('NOT_A_LEADER');
    expect((await t.http.get('/api/leader/orders').set(shoppers[0].auth)).status).toBe(403);
  });

  it('今日订单: the leader\'s list holds the point\'s orders paid since the last cut-off, not another point\'s', async () => {
    const { campaign } = await createCampaign(t);
    const a = await createLeaderWithPoint(t);
    const b = await createLeaderWithPoint(t);
    const mine = await pickupOrder(campaign.id, await loginUser(t), a.pointId, 2);
    const theirs = await pickupOrder(campaign.id, await loginUser(t), b.pointId);
    const res = await t.http.get('/api/leader/orders').set(a.leader.auth);
    expect(res.status).toBe(200);
    const ids = res.body.items.map((o: { orderId: number }) => o.orderId);
    expect(ids).toContain(mine);
    expect(ids).not.toContain(theirs);
    expect(new Date(res.body.nextCutoffAt).getTime()).toBeGreaterThan(Date.now());
    expect(new Date(res.body.since).getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('when an operator ships and the leader confirms arrival in full, then every order is ready_for_pickup with its event and the shopper is notified', async () => {
    const { p, batchId, orders, shoppers } = await formedBatch([1, 1]);
    const leaderTooEarly = await t.http.post(`/api/leader/batches/${batchId}/arrive`).set(p.leader.auth).send({});
    expect(leaderTooEarly.status).toBe(409);
    expect(leaderTooEarly.body.error.code).toBe('PICKUP_BATCH_STATE');
    const support = await loginAdmin(t, 'support');
    expect((await t.http.post(`/admin/pickup-batches/${batchId}/ship`).set(support.auth)).status).toBe(403);
    const op = await loginAdmin(t, 'operator');
    const shipped = await t.http.post(`/admin/pickup-batches/${batchId}/ship`).set(op.auth);
    expect(shipped.status).toBe(200);
    expect(shipped.body.status).toBe('shipped');
    expect((await t.http.post(`/admin/pickup-batches/${batchId}/ship`).set(op.auth)).status).toBe(409);
    const [audit] = await q(`SELECT action, after FROM audit_logs WHERE entity_type = 'pickup_batch' AND entity_id = ?`, [String(batchId)]);
    expect(audit.action).toBe('pickup_batch.ship');
    const arrived = await t.http.post(`/api/leader/batches/${batchId}/arrive`).set(p.leader.auth).send({});
    expect(arrived.status).toBe(200);
    expect(arrived.body.status).toBe('arrived');
    expect(arrived.body.lines[0]).toMatchObject({ quantity: 2, received: 2 });
    expect((await t.http.post(`/api/leader/batches/${batchId}/arrive`).set(p.leader.auth).send({})).status).toBe(409);
    // Each move of the batch wrote its event with it, in order, once.
    const batchEvents = await batchEventsOf(batchId);
    expect(batchEvents.map((e) => e.type)).toEqual(['pickup_batch.formed', 'pickup_batch.shipped', 'pickup_batch.arrived']);
    const ids = { batchId, pointId: p.pointId, leaderId: p.leaderId };
    expect(batchEvents[0]!.payload).toMatchObject({ ...ids, orders: 2, units: 2 });
    expect(batchEvents[1]!.payload).toEqual({ ...ids, shippedAt: shipped.body.shippedAt });
    expect(batchEvents[2]!.payload).toEqual({ ...ids, arrivedAt: arrived.body.arrivedAt, shortUnits: 0 });
    for (const [i, id] of orders.entries()) {
      const view = (await t.http.get(`/api/orders/${id}`).set(shoppers[i].auth)).body;
      expect(view.status).toBe('ready_for_pickup');
      expect(view.delivery.readyAt).not.toBeNull();
      const [e] = await q(`SELECT payload FROM domain_events WHERE type = 'order.ready_for_pickup' AND aggregate_id = ?`, [id]);
      const payload = typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload;
      expect(payload).toEqual({ orderId: id, userId: shoppers[i].id, pointId: p.pointId, leaderId: p.leaderId, readyAt: view.delivery.readyAt });
    }
    // The inbox message arrives through the outbox.
    const until = Date.now() + 10_000;
    let kinds: string[] = [];
    while (Date.now() < until) {
      kinds = (await t.http.get('/api/notifications').set(shoppers[0].auth)).body.items.map((n: { kind: string }) => n.kind);
      if (kinds.includes('order_ready_for_pickup')) break;
      await sleep(100);
    }
    expect(kinds.filter((k) => k === 'order_ready_for_pickup')).toHaveLength(1);
  });

  it('when units are short, then the last payers lose them and are refunded through the refund machinery (whole order → refunding; part → a partial refund, still ready)', async () => {
    // Three orders of one SKU paid in this order: 2 units, 2 units, 1 unit (5 units, 1000 fen each).
    const { p, batchId, orders, shoppers, campaign } = await formedBatch([2, 2, 1]);
    const op = await loginAdmin(t, 'operator');
    await t.http.post(`/admin/pickup-batches/${batchId}/ship`).set(op.auth).expect(200);
    const skuId = campaign.skuId;
    const bad = await t.http.post(`/api/leader/batches/${batchId}/arrive`).set(p.leader.auth).send({ shortages: [{ skuId, received: 6 }] });
    expect(bad.status).toBe(400);
    expect((await q('SELECT status FROM pickup_batches WHERE id = ?', [batchId]))[0].status).toBe('shipped');
    // 3 units came of 5: the last order (1 unit) loses all, the second (2 units) loses one.
    const res = await t.http.post(`/api/leader/batches/${batchId}/arrive`).set(p.leader.auth).send({ shortages: [{ skuId, received: 3 }] });
    expect(res.status).toBe(200);
    expect(res.body.lines[0]).toMatchObject({ quantity: 5, received: 3 });
    expect((await batchEventsOf(batchId)).find((e) => e.type === 'pickup_batch.arrived')!.payload).toMatchObject({ batchId, shortUnits: 2 });
    const status = async (i: number) => (await t.http.get(`/api/orders/${orders[i]}`).set(shoppers[i].auth)).body;
    const [first, second, third] = [await status(0), await status(1), await status(2)];
    expect(first.status).toBe('ready_for_pickup');
    expect(first.refundedAmount).toBe(0);
    expect(second.status).toBe('ready_for_pickup');
    expect(second.refundedAmount).toBe(1000);
    expect(['refunding', 'refunded']).toContain(third.status);
    expect(third.refundedAmount).toBe(1000);
    const refunds = await q(`SELECT order_id, amount, reason, refund_key FROM refunds WHERE order_id IN (?) ORDER BY order_id`, [orders]);
    expect(refunds).toEqual([
      { order_id: orders[1], amount: 1000, reason: 'pickup_shortage', refund_key: `${orders[1]}:pickup_shortage` },
      { order_id: orders[2], amount: 1000, reason: 'pickup_shortage', refund_key: `${orders[2]}:pickup_shortage` },
    ]);
    const shortages = await q('SELECT order_id, quantity, amount FROM pickup_shortages WHERE batch_id = ? ORDER BY order_id', [batchId]);
    expect(shortages).toEqual([{ order_id: orders[1], quantity: 1, amount: 1000 }, { order_id: orders[2], quantity: 1, amount: 1000 }]);
    const detail = await t.http.get(`/api/leader/batches/${batchId}`).set(p.leader.auth);
    expect(detail.body.orders.find((o: { orderId: number }) => o.orderId === orders[1]).shortQuantity).toBe(1);
    // The sandbox refund goes through: the whole-refund order ends refunded.
    const until = Date.now() + 15_000;
    while (Date.now() < until && (await status(2)).status !== 'refunded') {
      await t.services.sweep(sys());
      await sleep(200);
    }
    expect((await status(2)).status).toBe('refunded');
  });

  it('when an order of a formed batch is fully refunded, then it leaves the batch and its pick list; after shipping, a refund leaves the batch as it went', async () => {
    // Orders of 2, 3 and 1 units in one batch (6 units). 1000 fen each unit (listPrice).
    const { p, batchId, orders, shoppers, campaign } = await formedBatch([2, 3, 1]);
    const support = await loginAdmin(t, 'support');
    const op = await loginAdmin(t, 'operator');
    const refundWhole = async (i: number, units: number) => {
      const r = await t.http.post(`/api/orders/${orders[i]}/after-sales`).set(shoppers[i]!.auth).send({ kind: 'refund_only', reason: 'not_wanted', amount: units * 1000 });
      expect(r.status).toBe(201);
      expect((await t.http.post(`/admin/after-sales/${r.body.id}/approve`).set(support.auth)).status).toBe(200);
      const until = Date.now() + 15_000;
      while (Date.now() < until && (await q('SELECT status FROM orders WHERE id = ?', [orders[i]]))[0].status !== 'refunded') {
        await t.services.sweep(sys());
        await sleep(100);
      }
      expect((await q('SELECT status FROM orders WHERE id = ?', [orders[i]]))[0].status).toBe('refunded');
    };
    const batchState = async () => {
      const d = (await t.http.get(`/admin/pickup-batches/${batchId}`).set(op.auth)).body;
      return { orderCount: d.orderCount, unitCount: d.unitCount, lines: d.lines.map((l: { quantity: number; orders: number }) => [l.quantity, l.orders]) };
    };
    const waitFor = async (want: unknown) => {
      const until = Date.now() + 10_000;
      while (Date.now() < until && JSON.stringify(await batchState()) !== JSON.stringify(want)) await sleep(100);
      expect(await batchState()).toEqual(want);
    };
    // The 3-unit order is refunded before shipping: the warehouse packs 3 units for 2 orders.
    await refundWhole(1, 3);
    await waitFor({ orderCount: 2, unitCount: 3, lines: [[3, 2]] });
    expect(await batchOf(orders[1])).toBeNull();
    const leaderView = (await t.http.get(`/api/leader/batches/${batchId}`).set(p.leader.auth)).body;
    expect(leaderView.orders.map((o: { orderId: number }) => o.orderId).sort()).toEqual([orders[0], orders[2]].sort());
    const csv = (await t.http.get(`/admin/pickup-batches/${batchId}/pick-list.csv`).set(op.auth)).text;
    expect(csv).toContain(`,${campaign.skuId},`);
    expect(csv.split('\r\n')[1]).toMatch(/,3,2,$/);
    // The refunded order never joins a later batch either.
    await t.services.pickupBatches.formAt(sys(), freshCutoff(), 'test');
    expect(await batchOf(orders[1])).toBeNull();
    // Shipped: the goods are on their way, so a refund now leaves the batch as it went.
    await t.http.post(`/admin/pickup-batches/${batchId}/ship`).set(op.auth).expect(200);
    await refundWhole(2, 1);
    // The subscriber has handled that refund (its receipt is written in its own transaction) and changed nothing.
    const handled = async () =>
      (await q(
        `SELECT COUNT(*) AS n FROM event_receipts r JOIN domain_events e ON e.id = r.event_id
          WHERE r.subscriber = 'order.pickup-batch-refund' AND e.type = 'order.refunded' AND e.aggregate_id = ?`,
        [orders[2]],
      ))[0].n;
    const until = Date.now() + 10_000;
    while (Number(await handled()) === 0 && Date.now() < until) await sleep(100);
    expect(Number(await handled())).toBe(1);
    expect(await batchState()).toEqual({ orderCount: 2, unitCount: 3, lines: [[3, 2]] });
    expect(await batchOf(orders[2])).toBe(batchId);
    // The leader confirms arrival in full: only the order still owed becomes ready for pickup.
    expect((await t.http.post(`/api/leader/batches/${batchId}/arrive`).set(p.leader.auth).send({})).status).toBe(200);
    expect((await q('SELECT status FROM orders WHERE id = ?', [orders[0]]))[0].status).toBe('ready_for_pickup');
    expect((await q('SELECT status FROM orders WHERE id = ?', [orders[2]]))[0].status).toBe('refunded');
  });

  it('pick lists: a batch\'s by SKU and the day\'s warehouse list across points, as JSON and CSV', async () => {
    const { campaign } = await createCampaign(t, { stock: 100, limits: { perOrder: 5, unitsPerUser: 10 } });
    const other = await createCampaign(t, { stock: 100, limits: { perOrder: 5, unitsPerUser: 10 } });
    const [a, b] = [await createLeaderWithPoint(t), await createLeaderWithPoint(t)];
    const orders = [
      await pickupOrder(campaign.id, await loginUser(t), a.pointId, 2),
      await pickupOrder(campaign.id, await loginUser(t), a.pointId, 3),
      await pickupOrder(other.campaign.id, await loginUser(t), a.pointId, 1),
      await pickupOrder(campaign.id, await loginUser(t), b.pointId, 4),
    ];
    // Orders other tests left unbatched go into an earlier cut-off first, so this day holds only these.
    const earlier = freshCutoff();
    const cutoff = freshCutoff();
    for (const id of orders) await paidAt(id, new Date(cutoff.getTime() - 1000));
    await t.services.pickupBatches.formAt(sys(), earlier, 'test');
    await t.services.pickupBatches.formAt(sys(), cutoff, 'test');
    const op = await loginAdmin(t, 'operator');
    const batchA = (await batchOf(orders[0]))!;
    const json = await t.http.get(`/admin/pickup-batches/${batchA}`).set(op.auth);
    expect(json.body.lines.map((l: { skuId: number; quantity: number }) => [l.skuId, l.quantity])).toEqual([[campaign.skuId, 5], [other.campaign.skuId, 1]].sort((x, y) => x[0] - y[0]));
    const csv = await t.http.get(`/admin/pickup-batches/${batchA}/pick-list.csv`).set(op.auth);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.split('\r\n')[0]).toBe('\uFEFF批次,日期,自提点,SKU,商品,规格,数量,订单数,实收');
    expect(csv.text).toContain(`,${campaign.skuId},`);
    const date = cutoff.toISOString().slice(0, 10);
    const day = await t.http.get('/admin/pickup-warehouse-list').query({ date }).set(op.auth);
    expect(day.status).toBe(200);
    expect(day.body).toMatchObject({ date, batches: 2, orderCount: 4, unitCount: 10 });
    expect(day.body.lines.find((l: { skuId: number }) => l.skuId === campaign.skuId)).toMatchObject({ quantity: 9, orders: 3, points: 2 });
    const dayCsv = await t.http.get('/admin/pickup-warehouse-list.csv').query({ date }).set(op.auth);
    expect(dayCsv.text.split('\r\n').filter(Boolean)).toHaveLength(3);
    expect((await t.http.get('/admin/pickup-warehouse-list').query({ date: '2026-13-40' }).set(op.auth)).status).toBe(400);
    // A shopper's token is no operator's.
    expect((await t.http.get(`/admin/pickup-batches/${batchA}`).set((await loginUser(t)).auth)).status).toBe(401);
  });

  it('an operator forms batches now (an early cut, audited); a cut-off in the future is refused', async () => {
    const op = await loginAdmin(t, 'operator');
    const future = await t.http.post('/admin/pickup-batches/form').set(op.auth).send({ cutoffAt: new Date(Date.now() + 60_000).toISOString() });
    expect(future.status).toBe(400);
    const { campaign } = await createCampaign(t);
    const p = await createLeaderWithPoint(t);
    const id = await pickupOrder(campaign.id, await loginUser(t), p.pointId);
    await sleep(5);
    const now = new Date().toISOString();
    const res = await t.http.post('/admin/pickup-batches/form').set(op.auth).send({ cutoffAt: now });
    expect(res.status).toBe(200);
    expect(res.body.formed).toBe(true);
    expect(await batchOf(id)).not.toBeNull();
    const again = await t.http.post('/admin/pickup-batches/form').set(op.auth).send({ cutoffAt: now });
    expect(again.body.formed).toBe(false);
    const [audit] = await q(`SELECT COUNT(*) AS n FROM audit_logs WHERE action = 'pickup_batch.form' AND entity_id = ?`, [now]);
    expect(Number(audit.n)).toBe(1);
  });
});
