import type Redis from 'ioredis';
import type { ErrorCode } from '@tuan/shared';
import { RateLimitedError } from '../http/errors';

// Fixed window counter: INCR and set the expiry on the first hit, atomically.
const SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`;

// Gives one hit back (a guess that turned out right), never below zero, keeping the window's expiry.
const GIVE_BACK = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 0
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

  async hit(name: string, subject: string, limit: number, windowSec: number, code?: ErrorCode): Promise<void> {
    const key = this.key(name, subject);
    const [count, pttl] = (await this.redis.eval(SCRIPT, 1, key, String(windowSec * 1000))) as [number, number];
    if (count > limit) throw new RateLimitedError(Math.max(1, Math.ceil(pttl / 1000)), code);
  }

  /**
   * Gives back one `hit` of the current window: for limits that count only failures (wrong pickup
   * codes), every attempt takes a hit first — so concurrent attempts can never pass the limit between
   * a check and a count — and an attempt that succeeded gives it back.
   */
  async giveBack(name: string, subject: string): Promise<void> {
    await this.redis.eval(GIVE_BACK, 1, this.key(name, subject));
  }

  private key(name: string, subject: string): string {
    return `${this.prefix}rl:${name}:{${subject}}`;
  }
}
