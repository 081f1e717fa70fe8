import type Redis from 'ioredis';

// Take one unit if any is left. -1: the counter is unknown (lost or never built) — rebuild it.
const TAKE = `
local v = redis.call('GET', KEYS[1])
if not v then return -1 end
if tonumber(v) <= 0 then return 0 end
redis.call('DECR', KEYS[1])
return 1
`;
// Give a unit back only to a counter that exists; a missing one is rebuilt from MySQL anyway.
const GIVE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
return -1
`;

/**
 * A Redis counter in front of a scarce MySQL resource (group seats, coupon stock). It only turns
 * requests away early so MySQL is spared hopeless work; the guarded SQL update stays the truth. A
 * Redis that lost its data rebuilds each counter from MySQL on first use (SET NX, so concurrent
 * rebuilders agree). Each call touches one key, so callers choose hash-tagged keys for Cluster.
 */
export class CounterGate {
  constructor(private readonly redis: Redis) {}

  async take(key: string, rebuild: () => Promise<{ left: number; ttlSec: number }>): Promise<boolean> {
    let r = Number(await this.redis.eval(TAKE, 1, key));
    if (r === -1) {
      const { left, ttlSec } = await rebuild();
      await this.redis.set(key, String(Math.max(0, left)), 'EX', Math.max(60, Math.ceil(ttlSec)), 'NX');
      r = Number(await this.redis.eval(TAKE, 1, key));
    }
    return r === 1;
  }

  async give(key: string): Promise<void> {
    await this.redis.eval(GIVE, 1, key);
  }

  async reset(key: string, left: number, ttlSec: number): Promise<void> {
    await this.redis.set(key, String(Math.max(0, left)), 'EX', Math.max(60, Math.ceil(ttlSec)));
  }

  async drop(...keys: string[]): Promise<void> {
    if (keys.length) await this.redis.del(...keys);
  }
}
