import { Queue, Worker } from 'bullmq';
import type { Infra } from '../core/infra';
import { createBullConnection } from '../core/redis';
import { createSystemContext } from '../core/system';
import type { Services } from '../app';
import type { DeadlineScheduler } from '../core/scheduler';
import { bullPrefix } from './maintenance.worker';

const QUEUE = 'deadlines';

/**
 * Producer side, used by every API process: each deadline becomes a BullMQ delayed job with an
 * idempotent job id (`order-<id>`, `group-<id>`, `refund-<id>`, `order-complete-<id>`), so scheduling twice schedules once. Scheduling runs
 * in outbox subscribers, after the transaction committed; if Redis is unavailable the sweeper still finds the deadline in
 * MySQL, so a failure here is logged, never surfaced.
 */
export function createDeadlineScheduler(infra: Infra): DeadlineScheduler & { close(): Promise<void> } {
  const connection = createBullConnection(infra.config.REDIS_URL);
  connection.on('error', () => undefined);
  const queue = new Queue(QUEUE, { connection, prefix: bullPrefix(infra.config.REDIS_PREFIX) });
  queue.on('error', () => undefined);
  const jobOpts = { removeOnComplete: true, removeOnFail: 1000, attempts: 5, backoff: { type: 'exponential' as const, delay: 1000 } };
  const add = async (name: string, jobId: string, at: Date, data: Record<string, number>) => {
    try {
      await queue.add(name, data, { ...jobOpts, jobId, delay: Math.max(0, at.getTime() - Date.now()) });
    } catch (err) {
      infra.log.warn({ jobId, err: (err as Error).message }, 'could not schedule deadline; the sweeper will catch it');
    }
  };
  return {
    async orderDeadlines(deadlines) {
      if (!deadlines.length) return;
      const now = Date.now();
      // Display and fast checks; MySQL's pay_deadline_at stays the truth. One pipeline for the keys
      // and one addBulk for the jobs: a batch of joins pays two round trips, not two per order.
      const keys = infra.redis.pipeline();
      for (const d of deadlines) keys.set(`${infra.config.REDIS_PREFIX}{ord:${d.orderId}}:deadline`, d.at.toISOString(), 'PX', Math.max(1000, d.at.getTime() - now + 600_000));
      await keys.exec().catch(() => undefined);
      try {
        await queue.addBulk(deadlines.map((d) => ({ name: 'order-deadline', data: { orderId: d.orderId }, opts: { ...jobOpts, jobId: `order-${d.orderId}`, delay: Math.max(0, d.at.getTime() - now) } })));
      } catch (err) {
        infra.log.warn({ orders: deadlines.length, err: (err as Error).message }, 'could not schedule payment deadlines; the sweeper will catch them');
      }
    },
    groupDeadline: (groupId, at) => add('group-deadline', `group-${groupId}`, at, { groupId }),
    // One queued attempt per refund at a time (a redelivered event adds nothing); the sweeper retries.
    refundDue: (refundId) => add('refund', `refund-${refundId}`, new Date(), { refundId }),
    orderAutoComplete: (orderId, at) => add('order-complete', `order-complete-${orderId}`, at, { orderId }),
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}

/**
 * Consumer side (worker role): runs deadlines and refunds, plus a sweeper on a BullMQ job scheduler
 * (one run per period however many workers) that catches anything whose job was lost. Handlers are
 * guarded transitions, so a deadline that fires twice, or in two workers, acts once; a worker killed
 * mid-job leaves the job to be retried by another (BullMQ stalled-job recovery) or the sweeper.
 */
export async function startDeadlineWorker(infra: Infra, services: Pick<Services, 'outcomes' | 'deadlines' | 'refunds' | 'fulfilment' | 'sweep'>): Promise<{ close(): Promise<void> }> {
  const prefix = bullPrefix(infra.config.REDIS_PREFIX);
  const schedulerConn = createBullConnection(infra.config.REDIS_URL);
  const queue = new Queue(QUEUE, { connection: schedulerConn, prefix });
  await queue.upsertJobScheduler('sweep', { every: infra.config.SWEEP_INTERVAL_MS }, { name: 'sweep', data: {} });
  const worker = new Worker(
    QUEUE,
    async (job) => {
      const ctx = createSystemContext(infra, `job-${job.name}`);
      switch (job.name) {
        case 'order-deadline':
          return { cancelled: await services.outcomes.expireOrder(ctx, job.data.orderId) };
        case 'group-deadline':
          return { result: await services.deadlines.expireGroup(ctx, job.data.groupId) };
        case 'order-complete':
          return { completed: await services.fulfilment.autoComplete(ctx, job.data.orderId) };
        case 'refund':
          return { result: await services.refunds.process(ctx, job.data.refundId) };
        case 'sweep':
          return services.sweep(ctx);
        default:
          return null;
      }
    },
    { connection: createBullConnection(infra.config.REDIS_URL), prefix, concurrency: 8, stalledInterval: 5000, lockDuration: 15000 },
  );
  worker.on('failed', (job, err) => infra.log.error({ job: job?.name, jobId: job?.id, err: err.message }, 'deadline job failed'));
  worker.on('error', (err) => infra.log.warn({ err: err.message }, 'deadline worker error'));
  return {
    async close() {
      await worker.close();
      await queue.close();
      schedulerConn.disconnect();
    },
  };
}
