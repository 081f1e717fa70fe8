import type Redis from 'ioredis';
import type { Logger } from '../../core/logger';
import { parseTopic, type LiveSnapshots } from './live.snapshots';

/**
 * The worker side of live pages: hears the topics requests marked dirty after their commit and
 * rebuilds each (once per change burst, under the topic's lock, whichever worker gets there first —
 * see `LiveSnapshots`). Runs in every worker-role process.
 */
export class LiveRebuilder {
  private readonly sub: Redis;

  constructor(
    redis: Redis,
    private readonly snapshots: LiveSnapshots,
    private readonly log: Logger,
  ) {
    this.sub = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.sub.on('error', (err) => log.debug({ err: err.message }, 'live: rebuilder redis error'));
    this.sub.on('message', (_channel: string, message: string) => {
      for (const raw of message.split(',')) {
        const topic = parseTopic(raw);
        if (topic) this.snapshots.rebuild(topic).catch((err: Error) => this.log.warn({ err: err.message, topic }, 'live: rebuild failed'));
      }
    });
  }

  async start(): Promise<void> {
    await this.sub.subscribe(this.snapshots.dirtyChannel);
  }

  async close(): Promise<void> {
    this.sub.disconnect();
  }
}
