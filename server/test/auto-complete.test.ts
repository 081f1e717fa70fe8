import { randomBytes } from 'node:crypto';
import { ownDatabase } from './support/database';
import { loginAdmin, loginUser, startTestApp, type TestApp } from './support/harness';
import { createCampaign, pay } from './support/groupbuy.factory';
import { waitFor } from './support/rewards.factory';
import { spawnServer, type ServerProcess } from './support/processes';

/**
 * Auto-complete through its durable path: `order.shipped` → the worker's outbox dispatcher → the
 * `order.auto-complete` subscriber → an `order-complete` timer (core/timers.ts) → the worker's
 * timer poller completes the order. The sweeper (the backstop, tested in delivery.test.ts) runs only
 * at the worker's start here (a 10-minute period), so what completes the order is the timer.
 */
const env: Record<string, string> = {
  REDIS_PREFIX: `ac${randomBytes(3).toString('hex')}:`,
  AUTO_COMPLETE_AFTER_SEC: '2',
  AFTER_SALE_WINDOW_SEC: '60',
  SWEEP_INTERVAL_MS: '600000',
  OUTBOX_POLL_MS: '200',
};
let t: TestApp;
let worker: ServerProcess | undefined;

beforeAll(async () => {
  // A database of its own: the worker dispatches every event it can see.
  env.DATABASE_URL = await ownDatabase('ac');
  t = await startTestApp(env);
  worker = await spawnServer('worker', env);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

describe('auto-complete in a worker process', () => {
  it('when nobody confirms receipt, then its timer completes the shipped order once its time has come', async () => {
    const u = await loginUser(t);
    const { campaign } = await createCampaign(t);
    const o = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id });
    await pay(t, u, o.body.id);
    const op = await loginAdmin(t, 'operator');
    const shipped = await t.http.post(`/admin/orders/${o.body.id}/ship`).set(op.auth).send({ carrier: '顺丰', trackingNo: 'SF9999001' });
    expect(shipped.body.status).toBe('shipped');
    const shippedAt = Date.now();

    let view = shipped.body;
    while (view.status === 'shipped' && Date.now() - shippedAt < 20_000) {
      await new Promise((r) => setTimeout(r, 250));
      view = (await t.http.get(`/api/orders/${o.body.id}`).set(u.auth)).body;
    }
    expect(view.status).toBe('completed');
    expect(Date.now() - shippedAt).toBeGreaterThanOrEqual(1500); // not before its time (2 s after shipping)
    expect(view.timeline.at(-1).note).toBe('超时自动确认收货');
    expect(new Date(view.delivery.completedAt).getTime()).toBeGreaterThanOrEqual(new Date(view.delivery.autoCompleteAt).getTime());
    // The dispatcher marks the delivery done after the subscriber's own transaction committed (the
    // order's completion above), so the mark may trail it by a moment on a loaded machine.
    const status = await waitFor(async () => {
      const [r] = await t.infra.dataSource.query(`SELECT status FROM event_deliveries WHERE subscriber = 'order.auto-complete'`);
      return r?.status === 'done' ? r.status : null;
    }, 15_000, 'the auto-complete delivery marked done');
    expect(status).toBe('done');
  }, 60_000);
});
