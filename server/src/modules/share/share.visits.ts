import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../core/logger';

/** Queues (and dedupe keys) are spread over this many Redis hash slots. */
const SHARDS = 16;
/** Visits written to MySQL per statement. */
const BATCH = 500;
const DEDUPE_TTL_SEC = 2 * 86_400;

// A first open of the day sets the dedupe key and queues the visit in one step: a visit answered
// `counted` is always in the queue (same hash slot: KEYS[1] and KEYS[2] share the shard's tag).
const RECORD = `
if redis.call('SET', KEYS[1], '1', 'EX', ARGV[1], 'NX') then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  return 1
end
return 0`;

// Moves up to ARGV[1] queued visits to the shard's processing list and returns them. A processing
// list that is not empty is a flush that died after taking it: return it again (the insert is
// INSERT IGNORE against the unique key, so doing it twice changes nothing).
const TAKE = `
if redis.call('EXISTS', KEYS[2]) == 1 then return redis.call('LRANGE', KEYS[2], 0, -1) end
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return items end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('RPUSH', KEYS[2], unpack(items))
return items`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface VisitRecord {
  shareId: number;
  visitorKey: string;
  userId: number | null;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  scene: number | null;
  at: Date;
}

/**
 * The visit hot path's write: Redis decides "first open of the day" (`SET NX`) and queues the visit
 * in the same script; a flusher moves queued visits to MySQL in multi-row `INSERT IGNORE`s (the
 * unique key `(share_id, visitor_key, day)` stays the truth). Each flush takes a batch into a
 * processing list first and removes it only after the insert committed, so a process dying mid-flush
 * loses nothing: the next flush inserts that batch again. Once flushed, the rows in MySQL equal the
 * visits answered `counted: true`.
 */
export class VisitWriter {
  private timer: NodeJS.Timeout | null = null;
  /** Flushes run one after another in a process; a flush asked for starts after the current one. */
  private chain: Promise<number> = Promise.resolve(0);
  private busy = false;

  constructor(
    private readonly redis: Redis,
    private readonly dataSource: DataSource,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  private keys(shard: number) {
    const tag = `${this.prefix}{svq:${shard}}`;
    return { queue: `${tag}:q`, processing: `${tag}:p`, lock: `${tag}:lock`, tag };
  }

  /** True when this is the visitor's first open of the share today (then it is queued). */
  async record(v: VisitRecord): Promise<boolean> {
    const k = this.keys(v.shareId % SHARDS);
    const payload = JSON.stringify([v.shareId, v.visitorKey, v.userId, v.day, v.scene, v.at.getTime()]);
    const res = await this.redis.eval(RECORD, 2, `${k.tag}:d:${v.shareId}:${v.visitorKey}:${v.day}`, k.queue, String(DEDUPE_TTL_SEC), payload);
    return res === 1;
  }

  /** Takes the day's dedupe key without queueing (the caller writes the visit itself); true when taken. */
  async claim(v: VisitRecord): Promise<boolean> {
    const k = this.keys(v.shareId % SHARDS);
    return (await this.redis.set(`${k.tag}:d:${v.shareId}:${v.visitorKey}:${v.day}`, '1', 'EX', DEDUPE_TTL_SEC, 'NX')) === 'OK';
  }

  /**
   * Writes every visit queued before this call to MySQL (flushes are serialised per process; each
   * shard is locked across processes, so a shard another process is flushing is left to it).
   */
  flush(): Promise<number> {
    this.chain = this.chain.catch(() => 0).then(() => this.flushAll());
    return this.chain;
  }

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.busy) return; // a slow flush: the next tick after it takes the rest
      this.busy = true;
      this.flush()
        .catch((err: unknown) => this.log.warn({ err }, 'visit flush failed; retried on the next tick'))
        .finally(() => (this.busy = false));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush().catch(() => undefined);
  }

  private async flushAll(): Promise<number> {
    // Only shards with something queued (or a batch a dead flush left in processing): every API
    // process ticks five times a second, and locking, taking and releasing all 16 shards one after
    // another cost 48 Redis round trips a tick with nothing to write. One EXISTS per shard, sent
    // together, asks first (both keys share the shard's hash slot).
    const shards = Array.from({ length: SHARDS }, (_, shard) => shard);
    const pending = await Promise.all(
      shards.map((shard) => {
        const k = this.keys(shard);
        return this.redis.exists(k.queue, k.processing);
      }),
    );
    let n = 0;
    for (const shard of shards) if (pending[shard]! > 0) n += await this.flushShard(shard);
    return n;
  }

  private async flushShard(shard: number): Promise<number> {
    const k = this.keys(shard);
    const owner = randomUUID();
    if ((await this.redis.set(k.lock, owner, 'PX', 30_000, 'NX')) !== 'OK') return 0;
    let n = 0;
    try {
      for (;;) {
        const items = (await this.redis.eval(TAKE, 2, k.queue, k.processing, String(BATCH))) as string[];
        if (!items.length) break;
        const rows = items.map((s) => {
          const [shareId, visitorKey, userId, day, scene, at] = JSON.parse(s) as [number, string, number | null, string, number | null, number];
          return [shareId, visitorKey, userId, day, scene, new Date(at)];
        });
        await this.dataSource.query(`INSERT IGNORE INTO share_visits (share_id, visitor_key, user_id, day, scene, visited_at) VALUES ?`, [rows]);
        await this.redis.del(k.processing);
        n += items.length;
        if (items.length < BATCH) break;
      }
    } finally {
      await this.redis.eval(RELEASE, 1, k.lock, owner).catch(() => undefined);
    }
    return n;
  }
}
