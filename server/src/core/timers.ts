import type Redis from 'ioredis';
import type { Logger } from './logger';

/*
 * Durable timers ("something must happen to entity X at time T") on one Redis sorted set per kind:
 * member = entity id, score = due time in epoch ms.
 *
 * Why not BullMQ on this path: every order gets a payment deadline on the join hot path, and a
 * BullMQ delayed job is a heavy script per job (job hash, events stream, delay marker) plus the
 * worker's reaction to each marker — measured ~0.4 ms of CPU per join across API, Redis and worker,
 * about 17 % of a join. A timer here is one ZADD member, and a whole batch of joins is one ZADD.
 * BullMQ stays for jobs (refunds: work to do now, with retries) and the sweeper's job scheduler.
 *
 * Timers are a fast path, not the truth: every deadline is also in MySQL and the sweeper finds what
 * a lost timer missed. Handlers are guarded transitions, so a timer that fires twice (a lease that
 * ran out under a slow handler, a reschedule racing a run) acts once.
 */

// Claims up to ARGV[2] members due at ARGV[1] (now) by moving each one's score to ARGV[3], its lease
// (now + leaseMs). One script, so two workers never take the same due item at once; a worker that
// dies before finishing leaves its items to come due again when the lease ends (crash recovery with
// nothing else to clean up).
const CLAIM = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #due == 0 then return due end
local args = {}
for i = 1, #due do
  args[2 * i - 1] = ARGV[3]
  args[2 * i] = due[i]
end
redis.call('ZADD', KEYS[1], unpack(args))
return due
`;

// Done: remove the member only if it still holds our lease (ARGV[2]); a member rescheduled while
// its handler ran keeps its new time. Its attempt count goes either way: this run succeeded.
const DONE = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
`;

// Failed: only while we still hold the lease (otherwise it was rescheduled, or our lease ran out and
// another worker owns it). Counts the attempt; below ARGV[5] attempts the member comes due again
// after ARGV[4] · 2^(attempts−1) ms from ARGV[3] (now); at ARGV[5] it is dropped. Returns the
// attempts so far, 0 when dropped, -1 when it was not ours any more.
const FAIL = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return -1 end
local n = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if n >= tonumber(ARGV[5]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 0
end
local at = tonumber(ARGV[3]) + tonumber(ARGV[4]) * 2 ^ (n - 1)
redis.call('ZADD', KEYS[1], string.format('%d', at), ARGV[1])
return n
`;

// Gives claimed items back (a poller closing before it started them): each member still holding our
// lease (ARGV[1]) is due again at ARGV[2] (now), for another worker to take at once.
const RELEASE = `
local n = 0
for i = 3, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[i])
    n = n + 1
  end
end
return n
`;

export interface TimerOptions {
  /** How long a claimed item stays with its worker before it comes due again (crash recovery). */
  leaseMs?: number;
  /** First retry delay after a failing handler; doubled on each further failure. */
  backoffMs?: number;
  /** Runs of a failing handler before the timer is dropped (the sweeper is the backstop). */
  maxAttempts?: number;
}

export interface TimerClaim {
  ids: number[];
  /** The score every claimed item holds until it is done: `done` and `fail` act only on it. */
  lease: number;
}

/**
 * The timer store. API processes `schedule`; the worker role's {@link TimerPoller} claims, and
 * reports each item `done` or `fail`. Keys are `<prefix>{timers}:<kind>` (and `…:attempts`), one
 * hash tag, so each script touches one Redis Cluster slot.
 */
export class RedisTimers {
  readonly leaseMs: number;
  readonly backoffMs: number;
  readonly maxAttempts: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    opts: TimerOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.backoffMs = opts.backoffMs ?? 1000;
    this.maxAttempts = opts.maxAttempts ?? 5;
  }

  key(kind: string): string {
    return `${this.prefix}{timers}:${kind}`;
  }

  private attemptsKey(kind: string): string {
    return `${this.key(kind)}:attempts`;
  }

  /**
   * Sets each id's due time, all in ONE `ZADD` (a batch of joins pays one round trip). An id already
   * scheduled moves to its new time: the later truth wins.
   */
  async schedule(kind: string, items: ReadonlyArray<{ id: number; at: Date }>): Promise<void> {
    if (!items.length) return;
    const args: string[] = [];
    for (const item of items) args.push(String(item.at.getTime()), String(item.id));
    await this.redis.zadd(this.key(kind), ...args);
  }

  /** Takes up to `limit` items due at `now`, leased to the caller until `lease`. */
  async claim(kind: string, limit: number, now = Date.now()): Promise<TimerClaim> {
    const lease = now + this.leaseMs;
    const ids = (await this.redis.eval(CLAIM, 1, this.key(kind), String(now), String(limit), String(lease))) as string[];
    return { ids: ids.map(Number), lease };
  }

  /** The handler succeeded: the timer is gone (unless it was rescheduled meanwhile). */
  async done(kind: string, id: number, lease: number): Promise<void> {
    await this.redis.eval(DONE, 2, this.key(kind), this.attemptsKey(kind), String(id), String(lease));
  }

  /** Claimed items not started: due again now (unless rescheduled, or no longer the caller's). */
  async release(kind: string, ids: readonly number[], lease: number, now = Date.now()): Promise<void> {
    if (ids.length) await this.redis.eval(RELEASE, 1, this.key(kind), String(lease), String(now), ...ids.map(String));
  }

  /**
   * The handler failed: retried after backoff, or dropped after `maxAttempts` runs. Returns the
   * attempts counted so far, 0 when dropped, -1 when the item was no longer this caller's.
   */
  async fail(kind: string, id: number, lease: number, now = Date.now()): Promise<number> {
    return Number(await this.redis.eval(FAIL, 2, this.key(kind), this.attemptsKey(kind), String(id), String(lease), String(now), String(this.backoffMs), String(this.maxAttempts)));
  }
}

export type TimerHandler = (id: number) => Promise<unknown>;

export interface PollerOptions {
  /** Wait between claims that found less than a full batch. */
  pollMs: number;
  /** Items claimed at once per kind. */
  limit?: number;
  /** Handlers running at once per kind. */
  concurrency?: number;
}

/** After a Redis error the loop waits at least this long: errors repeat while Redis is down. */
const ERROR_PAUSE_MS = 1000;

/**
 * The worker side: per kind, a loop that claims due items, runs their handler (`concurrency` at
 * once), marks each done or failed, then waits `pollMs` — or claims again at once after a full
 * batch (a backlog). Any number of pollers may run on the same kinds: the claim splits the work.
 */
export class TimerPoller {
  private closed = false;
  private readonly loops: Promise<void>[] = [];
  private readonly wakers = new Set<() => void>();
  private readonly limit: number;
  private readonly concurrency: number;

  constructor(
    private readonly timers: RedisTimers,
    private readonly handlers: Readonly<Record<string, TimerHandler>>,
    private readonly log: Logger,
    private readonly opts: PollerOptions,
  ) {
    this.limit = opts.limit ?? 100;
    this.concurrency = opts.concurrency ?? 8;
  }

  start(): this {
    for (const [kind, handler] of Object.entries(this.handlers)) this.loops.push(this.loop(kind, handler));
    return this;
  }

  /**
   * Stops claiming and waits for the handlers already running; claimed items not started yet are
   * given back (due now), so another worker takes them instead of waiting for their lease.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.wakers) wake();
    await Promise.all(this.loops);
  }

  private async loop(kind: string, handler: TimerHandler): Promise<void> {
    while (!this.closed) {
      let pause = this.opts.pollMs;
      try {
        const claim = await this.timers.claim(kind, this.limit);
        await this.runAll(kind, handler, claim);
        if (claim.ids.length >= this.limit) pause = 0;
      } catch (err) {
        this.log.warn({ kind, err: (err as Error).message }, 'timer poll failed; trying again');
        pause = Math.max(pause, ERROR_PAUSE_MS);
      }
      if (pause > 0) await this.sleep(pause);
    }
  }

  private async runAll(kind: string, handler: TimerHandler, claim: TimerClaim): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (next < claim.ids.length && !this.closed) await this.runOne(kind, handler, claim.ids[next++]!, claim.lease);
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, claim.ids.length) }, lane));
    if (next < claim.ids.length) await this.timers.release(kind, claim.ids.slice(next), claim.lease);
  }

  private async runOne(kind: string, handler: TimerHandler, id: number, lease: number): Promise<void> {
    let failure: Error | null = null;
    try {
      await handler(id);
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
    try {
      if (!failure) return await this.timers.done(kind, id, lease);
      const attempts = await this.timers.fail(kind, id, lease);
      if (attempts === 0) {
        this.log.error({ kind, id, attempts: this.timers.maxAttempts, err: failure.message }, 'timer handler failed for the last time; dropped, the sweeper will catch it');
      } else {
        this.log.warn({ kind, id, attempts, err: failure.message }, 'timer handler failed; retried after backoff');
      }
    } catch (err) {
      // Redis is unreachable: the item keeps its lease and comes due again when the lease ends.
      this.log.warn({ kind, id, err: (err as Error).message }, 'could not record a timer outcome; it runs again after its lease');
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }
}
