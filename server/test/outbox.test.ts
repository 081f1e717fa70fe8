import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loginAdmin, startTestApp, type TestApp } from './support/harness';
import { spawnServer, type ServerProcess } from './support/processes';
import { ownDatabase } from './support/database';
import { emit } from '../src/core/outbox';
import { createSystemContext } from '../src/core/system';
import { withTransaction } from '../src/core/transaction';
import { backoffDelay } from '../src/core/outbox.dispatcher';

/**
 * Crash after commit (issue 7): the outbox dispatcher in real worker processes over the real
 * MariaDB/Redis. The workers run the fault-injecting test subscribers (`test.recorder`,
 * `test.witness`, src/core/outbox.test-subscriber.ts) on `coupon.issued` events this file writes
 * with `emit`; their effects land in tables this file creates.
 */
const prefix = `ob${randomBytes(3).toString('hex')}:`;
const MAX_ATTEMPTS = 3;
const BACKOFF_MS = 200;
const LEASE_MS = 2000;
const env: Record<string, string> = {
  REDIS_PREFIX: prefix,
  SANDBOX_PAY_KEY_DIR: join(__dirname, '..', '..', '.data', 'sandbox-pay-test'),
  OUTBOX_TEST_SUBSCRIBER: '1',
  OUTBOX_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  OUTBOX_BACKOFF_MS: String(BACKOFF_MS),
  OUTBOX_LEASE_MS: String(LEASE_MS),
  OUTBOX_POLL_MS: '200',
};
let t: TestApp;
const procs: ServerProcess[] = [];

beforeAll(async () => {
  // A database of its own: these workers dispatch every event they can see and run every module
  // subscriber, which must not act on the events other test files write.
  env.DATABASE_URL = await ownDatabase('outbox', async (query) => {
    // The test subscribers' tables (see outbox.test-subscriber.ts); not part of the schema.
    await query(`CREATE TABLE outbox_test_faults (subscriber VARCHAR(64) NOT NULL, aggregate_id BIGINT NOT NULL, action VARCHAR(8) NOT NULL, ms INT NOT NULL DEFAULT 0, PRIMARY KEY (subscriber, aggregate_id))`);
    await query(`CREATE TABLE outbox_test_tries (id BIGINT AUTO_INCREMENT PRIMARY KEY, subscriber VARCHAR(64) NOT NULL, event_id BIGINT NOT NULL, created_at DATETIME(3) NOT NULL)`);
    await query(`CREATE TABLE outbox_test_log (seq BIGINT AUTO_INCREMENT PRIMARY KEY, subscriber VARCHAR(64) NOT NULL, event_id BIGINT NOT NULL, aggregate_id BIGINT NOT NULL, pid INT NOT NULL, created_at DATETIME(3) NOT NULL)`);
  });
  t = await startTestApp(env);
}, 60_000);
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await t?.close();
});

const q = <T = Record<string, unknown>>(sql: string, p: unknown[] = []): Promise<T[]> => t.infra.dataSource.query(sql, p);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
async function worker(): Promise<ServerProcess> {
  const p = await spawnServer('worker', env);
  procs.push(p);
  return p;
}

let nextAggregate = 9_000_000_000 + Math.floor(Math.random() * 1_000_000) * 1000;
const aggregate = () => nextAggregate++;

/** Writes one `coupon.issued` event for `aggregateId` in its own transaction; returns its id. */
async function emitEvent(aggregateId: number): Promise<number> {
  const ctx = createSystemContext(t.infra, 'outbox-test');
  return withTransaction(t.infra.dataSource, ctx, async (tx) => {
    await emit(tx, { type: 'coupon.issued', aggregateType: 'coupon', aggregateId, payload: { couponId: aggregateId, templateId: 1, userId: 1, via: 'outbox-test' } });
    const [row] = await tx.manager.query(`SELECT MAX(id) AS id FROM domain_events WHERE aggregate_type = 'coupon' AND aggregate_id = ?`, [aggregateId]);
    return Number(row.id);
  });
}
async function fault(subscriber: string, aggregateId: number, action: 'sleep' | 'throw' | 'jitter', ms = 0) {
  await q(`REPLACE INTO outbox_test_faults (subscriber, aggregate_id, action, ms) VALUES (?, ?, ?, ?)`, [subscriber, aggregateId, action, ms]);
}
async function clearFault(subscriber: string, aggregateId: number) {
  await q(`DELETE FROM outbox_test_faults WHERE subscriber = ? AND aggregate_id = ?`, [subscriber, aggregateId]);
}
async function effects(subscriber: string, eventId: number) {
  return q<{ seq: number; pid: number }>(`SELECT seq, pid FROM outbox_test_log WHERE subscriber = ? AND event_id = ? ORDER BY seq`, [subscriber, eventId]);
}
async function tries(subscriber: string, eventId: number) {
  return q<{ created_at: Date }>(`SELECT created_at FROM outbox_test_tries WHERE subscriber = ? AND event_id = ? ORDER BY id`, [subscriber, eventId]);
}
async function delivery(subscriber: string, eventId: number) {
  const [d] = await q<{ id: number; status: string; attempts: number; last_error: string | null; locked_until: Date | null; delivered_at: Date | null }>(
    `SELECT id, status, attempts, last_error, locked_until, delivered_at FROM event_deliveries WHERE subscriber = ? AND event_id = ?`,
    [subscriber, eventId],
  );
  return d;
}
async function receipts(subscriber: string, eventId: number) {
  const [{ n }] = await q<{ n: number }>(`SELECT COUNT(*) AS n FROM event_receipts WHERE subscriber = ? AND event_id = ?`, [subscriber, eventId]);
  return Number(n);
}
const delivered = (subscriber: string, eventId: number) => async () => (await delivery(subscriber, eventId))?.status === 'done';

describe('outbox dispatch across worker processes', () => {
  let first: ServerProcess;
  let firstEvent: number;

  it('when an event is committed while no worker runs, then a worker started later delivers it and each subscriber acts exactly once', async () => {
    firstEvent = await emitEvent(aggregate());
    await sleep(700);
    const [e] = await q<{ fanned_out_at: Date | null }>(`SELECT fanned_out_at FROM domain_events WHERE id = ?`, [firstEvent]);
    expect(e!.fanned_out_at).toBeNull();
    expect(await effects('test.recorder', firstEvent)).toHaveLength(0);

    first = await worker();
    await waitFor('both deliveries', async () => (await delivered('test.recorder', firstEvent)()) && delivered('test.witness', firstEvent)());
    await sleep(500); // room for a duplicate to show up, were there one
    for (const s of ['test.recorder', 'test.witness']) {
      expect(await effects(s, firstEvent)).toHaveLength(1);
      expect(await receipts(s, firstEvent)).toBe(1);
      expect((await delivery(s, firstEvent))!.attempts).toBe(0);
    }
  }, 60_000);

  it('when a worker is killed with SIGKILL while its subscriber runs, then another worker delivers the event after the lease ran out, exactly once', async () => {
    const agg = aggregate();
    await fault('test.recorder', agg, 'sleep', 60_000);
    const eventId = await emitEvent(agg);
    // The first worker claimed it and the handler is running (sleeping inside its transaction).
    await waitFor('the handler to start', async () => (await tries('test.recorder', eventId)).length === 1);
    const leased = await delivery('test.recorder', eventId);
    expect(leased!.status).toBe('pending');
    expect(leased!.locked_until).not.toBeNull();

    await first.stop('SIGKILL');
    const lease = (await delivery('test.recorder', eventId))!.locked_until!; // last renewed by the killed worker
    await clearFault('test.recorder', agg);
    const second = await worker();
    await waitFor('redelivery by the second worker', delivered('test.recorder', eventId));
    // The second run started only once the dead worker's lease had run out.
    const [, rerun] = await tries('test.recorder', eventId);
    expect(new Date(rerun!.created_at).getTime()).toBeGreaterThanOrEqual(new Date(lease).getTime());
    await sleep(500);
    const done = await effects('test.recorder', eventId);
    expect(done).toHaveLength(1);
    expect(done[0]!.pid).toBe(second.child.pid);
    expect(await tries('test.recorder', eventId)).toHaveLength(2); // killed run + the one that committed
    expect(await receipts('test.recorder', eventId)).toBe(1);
    // A crash is not a failed attempt: nothing threw.
    expect((await delivery('test.recorder', eventId))!.attempts).toBe(0);
    expect(await effects('test.witness', eventId)).toHaveLength(1);
  }, 90_000);

  it('when a delivery that was already done is delivered again, then the subscriber does nothing', async () => {
    const before = await delivery('test.recorder', firstEvent);
    const triesBefore = (await tries('test.recorder', firstEvent)).length;
    await q(`UPDATE event_deliveries SET status = 'pending', delivered_at = NULL, locked_until = NULL, next_attempt_at = UTC_TIMESTAMP(3) WHERE id = ?`, [before!.id]);
    await waitFor('the duplicate delivery', delivered('test.recorder', firstEvent));
    await sleep(300);
    expect(await effects('test.recorder', firstEvent)).toHaveLength(1);
    expect(await tries('test.recorder', firstEvent)).toHaveLength(triesBefore); // the handler did not even run
    expect(await receipts('test.recorder', firstEvent)).toBe(1);
  }, 60_000);

  it('when a subscriber keeps throwing, then it is retried with backoff and parked after N attempts while other subscribers and aggregates go on, and an audited admin retry delivers it', async () => {
    const bad = aggregate();
    const fine = aggregate();
    await fault('test.recorder', bad, 'throw');
    const e1 = await emitEvent(bad);
    const e2 = await emitEvent(bad); // same aggregate, later: must wait behind e1
    const other = await emitEvent(fine);

    await waitFor('parking', async () => (await delivery('test.recorder', e1))?.status === 'parked');
    const parked = (await delivery('test.recorder', e1))!;
    expect(parked.attempts).toBe(MAX_ATTEMPTS);
    expect(parked.last_error).toContain('test fault');
    // Backoff: attempt k+1 starts no sooner than the smallest jittered delay after attempt k.
    const at = (await tries('test.recorder', e1)).map((r) => new Date(r.created_at).getTime());
    expect(at).toHaveLength(MAX_ATTEMPTS);
    for (let k = 1; k < at.length; k++) expect(at[k]! - at[k - 1]!).toBeGreaterThanOrEqual(backoffDelay(BACKOFF_MS, k, () => 0) - 5);
    await sleep(BACKOFF_MS * 2 ** MAX_ATTEMPTS); // parked means no more attempts
    expect(await tries('test.recorder', e1)).toHaveLength(MAX_ATTEMPTS);

    // Others are unaffected: the witness got both events of that aggregate, the recorder the other aggregate.
    await waitFor('the other subscriber and aggregate', async () => (await delivered('test.witness', e1)()) && (await delivered('test.witness', e2)()) && delivered('test.recorder', other)());
    // Order per aggregate: the recorder's later event of the parked aggregate waits, untried.
    expect((await delivery('test.recorder', e2))!.status).toBe('pending');
    expect(await tries('test.recorder', e2)).toHaveLength(0);

    const support = await loginAdmin(t, 'support');
    const admin = await loginAdmin(t, 'admin');
    const failed = await t.http.get('/admin/events/failed').query({ subscriber: 'test.recorder' }).set(support.auth);
    expect(failed.status).toBe(200);
    const item = failed.body.items.find((i: { id: number }) => i.id === Number(parked.id));
    expect(item).toMatchObject({ eventId: e1, eventType: 'coupon.issued', subscriber: 'test.recorder', aggregateType: 'coupon', aggregateId: bad, attempts: MAX_ATTEMPTS });
    expect(item.lastError).toContain('test fault');
    expect(item.payload).toMatchObject({ couponId: bad, via: 'outbox-test' });

    const refused = await t.http.post(`/admin/events/deliveries/${parked.id}/retry`).set(support.auth);
    expect(refused.status).toBe(403);
    await clearFault('test.recorder', bad);
    const retried = await t.http.post(`/admin/events/deliveries/${parked.id}/retry`).set(admin.auth);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: Number(parked.id), status: 'pending', attempts: 0 });

    await waitFor('the retried delivery and the one behind it', async () => (await delivered('test.recorder', e1)()) && delivered('test.recorder', e2)());
    const [r1] = await effects('test.recorder', e1);
    const [r2] = await effects('test.recorder', e2);
    expect(r1!.seq).toBeLessThan(r2!.seq);
    expect(await effects('test.recorder', e1)).toHaveLength(1);

    const audit = await q<{ action: string; admin_username: string; before: string | object; after: string | object }>(
      `SELECT action, admin_username, \`before\`, \`after\` FROM audit_logs WHERE entity_type = 'event_delivery' AND entity_id = ?`,
      [String(parked.id)],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'event_delivery.retry', admin_username: admin.username });
    const json = (v: string | object) => (typeof v === 'string' ? JSON.parse(v) : v);
    expect(json(audit[0]!.before)).toMatchObject({ status: 'parked', attempts: MAX_ATTEMPTS });
    expect(json(audit[0]!.after)).toMatchObject({ status: 'pending', attempts: 0 });

    const again = await t.http.post(`/admin/events/deliveries/${parked.id}/retry`).set(admin.auth);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ILLEGAL_TRANSITION');
    const missing = await t.http.post(`/admin/events/deliveries/999999999/retry`).set(admin.auth);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('EVENT_DELIVERY_NOT_FOUND');
  }, 90_000);

  it('when two workers dispatch 200 events over 10 aggregates, then each aggregate is processed in event id order, each event once', async () => {
    const second = await worker(); // the second dispatching worker (the first was killed above)
    // A worker process reports no readiness: warm up until the new one has dispatched an event, so it
    // takes part in the race below rather than booting while the other drains everything.
    await waitFor(
      'the second worker dispatching',
      async () => {
        const warm = await emitEvent(aggregate());
        await new Promise((r) => setTimeout(r, 200));
        const [{ n }] = await q<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox_test_log WHERE pid = ? AND event_id <= ?`, [second.child.pid, warm]);
        return Number(n) > 0;
      },
      60_000,
    );
    const aggregates = Array.from({ length: 10 }, aggregate);
    // A random pause in the handler widens every race between the two workers.
    for (const a of aggregates) await fault('test.recorder', a, 'jitter', 15);
    // Ten writers at once, each writing its aggregate's 20 events one transaction after the other
    // (as the change of one aggregate's row serializes its writers in the application).
    const ids = await Promise.all(aggregates.map(async (a) => {
      const mine: number[] = [];
      for (let i = 0; i < 20; i++) mine.push(await emitEvent(a));
      return mine;
    }));
    const all = ids.flat();
    await waitFor(
      'all 400 deliveries',
      async () => {
        const [{ n }] = await q<{ n: number }>(`SELECT COUNT(*) AS n FROM event_deliveries WHERE event_id IN (?) AND status = 'done'`, [all]);
        return Number(n) === all.length * 2;
      },
      120_000,
    );
    const rows = await q<{ aggregate_id: number; event_id: number; pid: number }>(
      `SELECT aggregate_id, event_id, pid FROM outbox_test_log WHERE subscriber = 'test.recorder' AND event_id IN (?) ORDER BY seq`,
      [all],
    );
    expect(rows).toHaveLength(all.length);
    aggregates.forEach((a, i) => {
      const processed = rows.filter((r) => Number(r.aggregate_id) === a).map((r) => Number(r.event_id));
      expect(processed).toEqual([...ids[i]!].sort((x, y) => x - y));
    });
    // Both workers took part (otherwise this test would prove nothing about two of them).
    expect(new Set(rows.map((r) => r.pid)).size).toBe(2);
  }, 180_000);

  it('when operators ask for the outbox stats, then they get the backlog and the dispatch lag percentiles', async () => {
    const support = await loginAdmin(t, 'support');
    const res = await t.http.get('/admin/events/stats').query({ minutes: 30 }).set(support.auth);
    expect(res.status).toBe(200);
    const s = res.body;
    expect(s.eventsNotFannedOut).toBe(0);
    expect(s.deliveriesParked).toBe(0);
    expect(s.lag.windowMinutes).toBe(30);
    expect(s.lag.delivered).toBeGreaterThanOrEqual(400);
    expect(s.lag.p50Ms).toBeGreaterThanOrEqual(0);
    expect(s.lag.p99Ms).toBeGreaterThanOrEqual(s.lag.p50Ms);
    expect(s.lag.maxMs).toBeGreaterThanOrEqual(s.lag.p99Ms);
    // The same p50 straight from the tables.
    const lags = (
      await q<{ ms: number }>(
        `SELECT TIMESTAMPDIFF(MICROSECOND, e.created_at, d.delivered_at) DIV 1000 AS ms FROM event_deliveries d JOIN domain_events e ON e.id = d.event_id
          WHERE d.delivered_at >= DATE_SUB(UTC_TIMESTAMP(3), INTERVAL 30 MINUTE) ORDER BY ms`,
      )
    ).map((r) => Math.max(0, Number(r.ms)));
    expect(lags.length).toBe(s.lag.delivered);
    expect(s.lag.p50Ms).toBe(lags[Math.ceil(lags.length / 2) - 1]);
    // The event that waited for a worker to start shows up as the maximum.
    expect(s.lag.maxMs).toBeGreaterThanOrEqual(700);

    const unauth = await t.http.get('/admin/events/stats');
    expect(unauth.status).toBe(401);
  }, 30_000);
});
