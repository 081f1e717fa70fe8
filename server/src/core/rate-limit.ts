import type Redis from 'ioredis';
import { RateLimitedError } from '../http/errors';

// Fixed window counter: INCR and set the expiry on the first hit, atomically.
const SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`;

/**
 * Redis-backed limiter shared by all processes. Each key is its own hash slot (one key per script),
 * so it works on Redis Cluster.
 */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async hit(name: string, subject: string, limit: number, windowSec: number): Promise<void> {
    const key = `${this.prefix}rl:${name}:{${subject}}`;
    const [count, pttl] = (await this.redis.eval(SCRIPT, 1, key, String(windowSec * 1000))) as [number, number];
    if (count > limit) throw new RateLimitedError(Math.max(1, Math.ceil(pttl / 1000)));
  }
}
