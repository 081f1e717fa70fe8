import type Redis from 'ioredis';

// Seats left of one group, as a Redis counter in front of MySQL. -1: unknown (rebuild from MySQL).
const TAKE = `
local v = redis.call('GET', KEYS[1])
if not v then return -1 end
if tonumber(v) <= 0 then return 0 end
redis.call('DECR', KEYS[1])
return 1
`;
const GIVE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
return -1
`;

/**
 * The fast gate for group seats. It only ever turns requests away early; the guarded SQL update is
 * the truth. Keys of one group share a hash tag so they live in one Redis Cluster slot. A Redis that
 * lost its data rebuilds the counter from MySQL on first use.
 */
export class SeatGate {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  key(groupId: number): string {
    return `${this.prefix}{gb:${groupId}}:seats`;
  }

  deadlineKey(groupId: number): string {
    return `${this.prefix}{gb:${groupId}}:deadline`;
  }

  /** true: a seat may be tried; false: full. `rebuild` supplies seats left from MySQL when unknown. */
  async take(groupId: number, rebuild: () => Promise<{ seatsLeft: number; ttlSec: number }>): Promise<boolean> {
    const key = this.key(groupId);
    let r = Number(await this.redis.eval(TAKE, 1, key));
    if (r === -1) {
      const { seatsLeft, ttlSec } = await rebuild();
      await this.redis.set(key, String(Math.max(0, seatsLeft)), 'EX', Math.max(60, ttlSec), 'NX');
      r = Number(await this.redis.eval(TAKE, 1, key));
    }
    return r === 1;
  }

  async give(groupId: number): Promise<void> {
    await this.redis.eval(GIVE, 1, this.key(groupId));
  }

  async open(groupId: number, seatsLeft: number, deadline: Date): Promise<void> {
    const ttl = Math.max(60, Math.ceil((deadline.getTime() - Date.now()) / 1000) + 600);
    await this.redis.multi().set(this.key(groupId), String(seatsLeft), 'EX', ttl).set(this.deadlineKey(groupId), deadline.toISOString(), 'EX', ttl).exec();
  }

  async close(groupId: number): Promise<void> {
    await this.redis.del(this.key(groupId), this.deadlineKey(groupId));
  }
}
