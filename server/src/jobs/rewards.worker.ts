import { Queue, Worker } from 'bullmq';
import type { Services } from '../app';
import type { Infra } from '../core/infra';
import { createBullConnection } from '../core/redis';
import { createSystemContext } from '../core/system';
import { bullPrefix } from './maintenance.worker';

/**
 * The ledger's periodic jobs (worker role), each a BullMQ job scheduler, so one run per period however
 * many workers start; each run is idempotent:
 * - `rewards-settle`: orders whose after-sale window passed with no open request → commissions available;
 * - `rewards-payout-query`: payouts in flight or with an unclear answer → asked about by their bill number;
 * - `rewards-reconcile`: the reconciliation report (never fixes anything).
 */
export async function startRewardsWorker(infra: Infra, services: Pick<Services, 'rewards'>): Promise<{ close(): Promise<void> }> {
  const { config } = infra;
  const prefix = bullPrefix(config.REDIS_PREFIX);
  const connection = createBullConnection(config.REDIS_URL);
  const queue = new Queue('rewards', { connection, prefix });
  await queue.upsertJobScheduler('rewards-settle', { every: config.REWARD_SETTLE_INTERVAL_MS }, { name: 'rewards-settle', data: {} });
  await queue.upsertJobScheduler('rewards-payout-query', { every: config.REWARD_PAYOUT_QUERY_INTERVAL_MS }, { name: 'rewards-payout-query', data: {} });
  await queue.upsertJobScheduler('rewards-reconcile', { every: config.REWARD_RECONCILE_INTERVAL_MS }, { name: 'rewards-reconcile', data: {} });
  const worker = new Worker(
    'rewards',
    async (job) => {
      const ctx = createSystemContext(infra, `job-${job.name}`);
      switch (job.name) {
        case 'rewards-settle':
          return { settled: await services.rewards.commissions.settleDue(ctx) };
        case 'rewards-payout-query':
          return { queried: await services.rewards.withdrawals.queryDue(ctx) };
        case 'rewards-reconcile': {
          const r = await services.rewards.reconciliation.run(ctx);
          return { ok: r.ok, transfers: r.transfers };
        }
        default:
          return null;
      }
    },
    { connection: createBullConnection(config.REDIS_URL), prefix, concurrency: 1 },
  );
  worker.on('failed', (job, err) => infra.log.error({ job: job?.name, err: err.message }, 'rewards job failed'));
  worker.on('error', (err) => infra.log.warn({ err: err.message }, 'rewards worker error'));
  return {
    async close() {
      await worker.close();
      await queue.close();
      connection.disconnect();
    },
  };
}
