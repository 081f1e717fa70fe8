import type Redis from 'ioredis';
import { CounterGate } from '../../core/counter-gate';

/**
 * Seats left of each group as a Redis counter (see CounterGate). Keys of one group share the hash
 * tag `{gb:<id>}`, so they live in one Redis Cluster slot; the deadline key is for display and fast
 * checks, MySQL's `deadline_at` stays the truth.
 */
export class SeatGate {
  private readonly gate: CounterGate;
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.gate = new CounterGate(redis);
  }

  key(groupId: number): string {
    return `${this.prefix}{gb:${groupId}}:seats`;
  }

  deadlineKey(groupId: number): string {
    return `${this.prefix}{gb:${groupId}}:deadline`;
  }

  /** true: a seat may be tried; false: full. `rebuild` supplies seats left from MySQL when unknown. */
  async take(groupId: number, rebuild: () => Promise<{ seatsLeft: number; ttlSec: number }>): Promise<boolean> {
    return this.gate.take(this.key(groupId), async () => {
      const r = await rebuild();
      return { left: r.seatsLeft, ttlSec: r.ttlSec };
    });
  }

  async give(groupId: number): Promise<void> {
    await this.gate.give(this.key(groupId));
  }

  async open(groupId: number, seatsLeft: number, deadline: Date): Promise<void> {
    const ttl = Math.max(60, Math.ceil((deadline.getTime() - Date.now()) / 1000) + 600);
    await this.gate.reset(this.key(groupId), seatsLeft, ttl);
    await this.redis.set(this.deadlineKey(groupId), deadline.toISOString(), 'EX', ttl);
  }

  async close(groupId: number): Promise<void> {
    await this.gate.drop(this.key(groupId), this.deadlineKey(groupId));
  }
}
