import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type Redis from 'ioredis';
import { createLogger } from '../src/core/logger';
import { createRedis, waitForRedis } from '../src/core/redis';
import { RedisTimers, TimerPoller, type TimerHandler } from '../src/core/timers';

/**
 * Durable timers on a Redis sorted set (core/timers.ts), against the real Redis: when they fire,
 * how a batch is scheduled, what two pollers and a dead one do, and how failures are retried.
 * Each test uses a kind of its own under this file's prefix.
 */
const prefix = `test:timers:${randomBytes(4).toString('hex')}:`;
const logLines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});
const log = createLogger({ LOG_LEVEL: 'warn', NODE_ENV: 'test' }, {}, sink);

let redis: Redis;
const pollers: TimerPoller[] = [];
beforeAll(async () => {
  redis = createRedis(process.env.REDIS_URL!);
  await waitForRedis(redis);
});
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kindOf = (name: string) => `${name}-${randomBytes(3).toString('hex')}`;
function poll(timers: RedisTimers, handlers: Record<string, TimerHandler>, opts: { pollMs?: number; limit?: number; concurrency?: number } = {}): TimerPoller {
  const p = new TimerPoller(timers, handlers, log, { pollMs: opts.pollMs ?? 20, limit: opts.limit, concurrency: opts.concurrency }).start();
  pollers.push(p);
  return p;
}
async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('RedisTimers', () => {
  it('when timers are due later, then each runs at its time and not before', async () => {
    const timers = new RedisTimers(redis, prefix);
    const kind = kindOf('fire');
    const t0 = Date.now();
    const due = new Map([[1, t0 + 300], [2, t0 + 300], [3, t0 + 800]]);
    await timers.schedule(kind, [...due].map(([id, at]) => ({ id, at: new Date(at) })));
    const ran = new Map<number, number>();
    poll(timers, { [kind]: async (id) => void ran.set(id, Date.now()) });
    await until('all three ran', () => ran.size === 3);
    for (const [id, at] of due) {
      expect(ran.get(id)!).toBeGreaterThanOrEqual(at);
      expect(ran.get(id)! - at).toBeLessThan(1000); // a poll of 20 ms, on a shared 2-core machine
    }
    await until('the set emptied', async () => (await redis.zcard(timers.key(kind))) === 0);
  });

  it('when many timers are scheduled together, then one ZADD writes them all', async () => {
    const timers = new RedisTimers(redis, prefix);
    const kind = kindOf('bulk');
    const monitor = await redis.monitor();
    const zadds: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'zadd' && args[1] === timers.key(kind)) zadds.push(args);
    });
    try {
      const at = Date.now() + 600_000;
      await timers.schedule(kind, Array.from({ length: 50 }, (_, i) => ({ id: 1000 + i, at: new Date(at + i) })));
      await timers.schedule(kind, []); // nothing to write: no command at all
      await until('MONITOR saw the ZADD', () => zadds.length > 0, 5000);
      await sleep(100);
      expect(zadds).toHaveLength(1);
      expect(zadds[0]).toHaveLength(2 + 2 * 50);
      expect(await redis.zcard(timers.key(kind))).toBe(50);
      expect(Number(await redis.zscore(timers.key(kind), '1049'))).toBe(at + 49);
    } finally {
      monitor.disconnect();
    }
  });

  it('when a timer is scheduled again, then it moves to its new time (later truth wins)', async () => {
    const timers = new RedisTimers(redis, prefix);
    const kind = kindOf('move');
    const far = Date.now() + 600_000;
    await timers.schedule(kind, [{ id: 7, at: new Date(far) }]);
    const soon = Date.now() + 200;
    await timers.schedule(kind, [{ id: 7, at: new Date(soon) }]);
    expect(Number(await redis.zscore(timers.key(kind), '7'))).toBe(soon);
    expect(await redis.zcard(timers.key(kind))).toBe(1);
    const ran: number[] = [];
    poll(timers, { [kind]: async () => void ran.push(Date.now()) });
    await until('it ran at the new time', () => ran.length === 1, 5000);
    expect(ran[0]!).toBeGreaterThanOrEqual(soon);
  });

  it('when a timer is rescheduled while its handler runs, then finishing keeps the new time', async () => {
    const timers = new RedisTimers(redis, prefix);
    const kind = kindOf('resched');
    await timers.schedule(kind, [{ id: 5, at: new Date(Date.now() - 10) }]);
    const later = Date.now() + 600_000;
    let runs = 0;
    poll(timers, {
      [kind]: async (id) => {
        runs++;
        await timers.schedule(kind, [{ id, at: new Date(later) }]);
      },
    });
    await until('the handler ran', () => runs === 1, 5000);
    await sleep(100);
    expect(Number(await redis.zscore(timers.key(kind), '5'))).toBe(later);
  });

  it('when a claim runs, then items scheduled in the future are neither returned nor touched', async () => {
    const timers = new RedisTimers(redis, prefix);
    const kind = kindOf('future');
    const now = Date.now();
    await timers.schedule(kind, [{ id: 1, at: new Date(now - 1000) }, { id: 2, at: new Date(now) }, { id: 3, at: new Date(now + 3_600_000) }]);
    const claim = await timers.claim(kind, 100, now);
    expect(claim.ids.sort()).toEqual([1, 2]);
    expect(claim.lease).toBe(now + timers.leaseMs);
    expect(Number(await redis.zscore(timers.key(kind), '1'))).toBe(claim.lease);
    expect(Number(await redis.zscore(timers.key(kind), '3'))).toBe(now + 3_600_000);
    // Leased items are not due again until the lease ends.
    expect((await timers.claim(kind, 100, now + 1)).ids).toEqual([]);
    expect((await timers.claim(kind, 100, claim.lease)).ids.sort()).toEqual([1, 2]);
  });

  it('when two pollers run the same kind at once, then each of 200 due items runs exactly once', async () => {
    const timers = new RedisTimers(redis, prefix);
    const kind = kindOf('two');
    const ids = Array.from({ length: 200 }, (_, i) => i + 1);
    await timers.schedule(kind, ids.map((id) => ({ id, at: new Date(Date.now() - 5) })));
    const calls = new Map<number, number>();
    const byPoller = [0, 0];
    const handler = (p: number): TimerHandler => async (id) => {
      calls.set(id, (calls.get(id) ?? 0) + 1);
      byPoller[p]!++;
      await sleep(Math.random() * 5); // widens every race between the two
    };
    // Small claims, so the two pollers interleave many times.
    poll(timers, { [kind]: handler(0) }, { limit: 10 });
    poll(timers, { [kind]: handler(1) }, { limit: 10 });
    await until('every item ran', () => calls.size === 200);
    await until('the set emptied', async () => (await redis.zcard(timers.key(kind))) === 0);
    await sleep(200); // nothing runs a second time
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(byPoller[0]! + byPoller[1]!).toBe(200);
    expect(byPoller[0]).toBeGreaterThan(0);
    expect(byPoller[1]).toBeGreaterThan(0);
  });

  it('when a poller dies after claiming, then another one runs its items once their lease has ended', async () => {
    const timers = new RedisTimers(redis, prefix, { leaseMs: 800 });
    const kind = kindOf('dead');
    await timers.schedule(kind, [1, 2, 3].map((id) => ({ id, at: new Date(Date.now() - 5) })));
    // The "dead" worker: it claims and never reports back.
    const claim = await timers.claim(kind, 100);
    expect(claim.ids.sort()).toEqual([1, 2, 3]);
    const ran = new Map<number, number>();
    poll(timers, { [kind]: async (id) => void ran.set(id, Date.now()) });
    await until('the survivor ran them', () => ran.size === 3, 10_000);
    for (const at of ran.values()) expect(at).toBeGreaterThanOrEqual(claim.lease);
    await until('the set emptied', async () => (await redis.zcard(timers.key(kind))) === 0);
  });

  it('when a poller is closed while a handler runs, then close waits for it, gives back what it had not started, and claims nothing after', async () => {
    const timers = new RedisTimers(redis, prefix);
    const kind = kindOf('close');
    await timers.schedule(kind, [1, 2, 3].map((id) => ({ id, at: new Date(Date.now() - 5) })));
    const started: number[] = [];
    const finished: number[] = [];
    const p = poll(timers, {
      [kind]: async (id) => {
        started.push(id);
        await sleep(300);
        finished.push(id);
      },
    }, { concurrency: 1 });
    await until('the first handler started', () => started.length === 1, 5000);
    await p.close();
    const closedAt = Date.now();
    expect(finished).toEqual(started); // the running one finished before close resolved; no other started
    const left = await redis.zrange(timers.key(kind), 0, -1, 'WITHSCORES');
    expect(left.filter((_, i) => i % 2 === 0).map(Number).sort()).toEqual([1, 2, 3].filter((id) => id !== started[0]));
    // Given back due now, not held until the end of their 60 s lease.
    for (let i = 1; i < left.length; i += 2) expect(Number(left[i])).toBeLessThanOrEqual(closedAt);
    await sleep(200);
    expect(started).toHaveLength(1); // the closed poller took nothing more
    expect(await redis.zcard(timers.key(kind))).toBe(2);
  });

  it('when a handler fails, then it is retried with growing backoff, and after 5 attempts dropped with an error for the sweeper', async () => {
    const timers = new RedisTimers(redis, prefix, { backoffMs: 100 });
    const kind = kindOf('fail');
    await timers.schedule(kind, [{ id: 42, at: new Date(Date.now() - 5) }]);
    const runs: number[] = [];
    poll(timers, {
      [kind]: async () => {
        runs.push(Date.now());
        throw new Error('provider down');
      },
    });
    await until('five attempts', () => runs.length === 5, 10_000);
    await until('it was dropped', async () => (await redis.zcard(timers.key(kind))) === 0, 5000);
    await sleep(500);
    expect(runs).toHaveLength(5);
    const gaps = runs.slice(1).map((t, i) => t - runs[i]!);
    [100, 200, 400, 800].forEach((backoff, i) => expect(gaps[i]!).toBeGreaterThanOrEqual(backoff));
    expect(await redis.hexists(`${timers.key(kind)}:attempts`, '42')).toBe(0);
    const given = logLines.filter((l) => l.kind === kind && l.level === 50);
    expect(given).toHaveLength(1);
    expect(given[0]).toMatchObject({ id: 42, attempts: 5, err: 'provider down' });
    expect(String(given[0]!.msg)).toMatch(/sweeper will catch it/);
    expect(logLines.filter((l) => l.kind === kind && l.level === 40)).toHaveLength(4);
  });

  it('when a handler fails and then succeeds, then the timer is gone and its attempt count cleared', async () => {
    const timers = new RedisTimers(redis, prefix, { backoffMs: 50 });
    const kind = kindOf('recover');
    await timers.schedule(kind, [{ id: 9, at: new Date(Date.now() - 5) }]);
    let runs = 0;
    poll(timers, {
      [kind]: async () => {
        if (++runs < 3) throw new Error('not yet');
      },
    });
    await until('the third run', () => runs === 3, 5000);
    await until('it was removed', async () => (await redis.zcard(timers.key(kind))) === 0, 5000);
    expect(await redis.hexists(`${timers.key(kind)}:attempts`, '9')).toBe(0);
  });
});
