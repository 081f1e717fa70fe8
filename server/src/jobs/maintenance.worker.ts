import { Queue, Worker } from 'bullmq';
import type { Services } from '../app';
import type { Infra } from '../core/infra';
import { createBullConnection } from '../core/redis';
import { createSystemContext } from '../core/system';

/** BullMQ keys share one hash tag so every queue script touches a single Redis Cluster slot. */
export function bullPrefix(redisPrefix: string): string {
  return `{${redisPrefix}bull}`;
}

/**
 * Housekeeping that is safe to run on any worker: BullMQ's job scheduler makes the repeat a single
 * job however many workers start, and each run is idempotent.
 */
export async function startMaintenanceWorker(infra: Infra, services: Services): Promise<{ close(): Promise<void> }> {
  const prefix = bullPrefix(infra.config.REDIS_PREFIX);
  const connection = createBullConnection(infra.config.REDIS_URL);
  const queue = new Queue('maintenance', { connection, prefix });
  await queue.upsertJobScheduler('purge-refresh-tokens', { every: 3600_000 }, { name: 'purge-refresh-tokens', data: {} });
  const worker = new Worker(
    'maintenance',
    async (job) => {
      if (job.name === 'purge-refresh-tokens') {
        const n = await services.auth.purgeExpiredRefreshTokens(createSystemContext(infra, 'maintenance'));
        return { purged: n };
      }
      return null;
    },
    { connection: createBullConnection(infra.config.REDIS_URL), prefix, concurrency: 1 },
  );
  worker.on('failed', (job, err) => infra.log.error({ job: job?.name, err: err.message }, 'maintenance job failed'));
  return {
    async close() {
      await worker.close();
      await queue.close();
      connection.disconnect();
    },
  };
}
