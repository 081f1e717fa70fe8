import { Queue, Worker } from 'bullmq';
import type { Infra } from '../core/infra';
import { createBullConnection } from '../core/redis';
import { createSystemContext } from '../core/system';
import { RedisTimers, TimerPoller } from '../core/timers';
import type { Services } from '../app';
import type { DeadlineScheduler } from '../core/scheduler';
import { bullPrefix } from './maintenance.worker';

const QUEUE = 'deadlines';

/** Timer kinds (one Redis sorted set each, core/timers.ts); the member is the order's or group's id. */
export const TIMER_KINDS = { orderDeadline: 'order-deadline', groupDeadline: 'group-deadline', orderComplete: 'order-complete' } as const;

/** The timer store of this process (the same keys for every process of one REDIS_PREFIX). */
export function createTimers(infra: Infra): RedisTimers {
  return new RedisTimers(infra.redis, infra.config.REDIS_PREFIX);
}

/**
 * Producer side, used by every API process. Deadlines (payment, group, auto-completion) are durable
 * timers on a Redis sorted set (core/timers.ts: one ZADD per batch, rescheduling an id moves it);
 * refunds are BullMQ jobs with an idempotent job id (`refund-<id>`), so scheduling twice schedules
 * once. Scheduling runs after the transaction committed (right after it, or in outbox subscribers);
 * if Redis is unavailable the sweeper still finds the deadline or the due refund in MySQL, so a
 * failure here is logged, never surfaced.
 */
export function createDeadlineScheduler(infra: Infra): DeadlineScheduler & { close(): Promise<void> } {
  const connection = createBullConnection(infra.config.REDIS_URL);
  connection.on('error', () => undefined);
  const queue = new Queue(QUEUE, { connection, prefix: bullPrefix(infra.config.REDIS_PREFIX) });
  queue.on('error', () => undefined);
  const timers = createTimers(infra);
  const schedule = async (kind: string, items: ReadonlyArray<{ id: number; at: Date }>) => {
    try {
      await timers.schedule(kind, items);
    } catch (err) {
      infra.log.warn({ kind, ids: items.map((i) => i.id), err: (err as Error).message }, 'could not schedule deadline; the sweeper will catch it');
    }
  };
  return {
    // MySQL's pay_deadline_at stays the truth; a batch of joins is one ZADD.
    orderDeadlines: (deadlines) => schedule(TIMER_KINDS.orderDeadline, deadlines.map((d) => ({ id: d.orderId, at: d.at }))),
    groupDeadline: (groupId, at) => schedule(TIMER_KINDS.groupDeadline, [{ id: groupId, at }]),
    // A job, not a timer: work due now, with BullMQ's retries. One queued attempt per refund at a
    // time (a redelivered event adds nothing); the sweeper retries.
    async refundDue(refundId) {
      try {
        await queue.add('refund', { refundId }, { removeOnComplete: true, removeOnFail: 1000, attempts: 5, backoff: { type: 'exponential', delay: 1000 }, jobId: `refund-${refundId}` });
      } catch (err) {
        infra.log.warn({ jobId: `refund-${refundId}`, err: (err as Error).message }, 'could not schedule refund; the sweeper will catch it');
      }
    },
    orderAutoComplete: (orderId, at) => schedule(TIMER_KINDS.orderComplete, [{ id: orderId, at }]),
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}

/**
 * Consumer side (worker role): a timer poller for deadlines and auto-completion, a BullMQ worker for
 * refunds, plus a sweeper on a BullMQ job scheduler (one run per period however many workers) that
 * catches anything whose timer or job was lost. Handlers are guarded transitions, so a deadline that
 * fires twice, or in two workers, acts once; a worker killed mid-run leaves its timers to come due
 * again when their lease ends (another worker takes them), its jobs to BullMQ's stalled-job
 * recovery, and both to the sweeper.
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
        // Deadlines are timers now (below); these three cases run the delayed jobs an older build
        // queued before this one was deployed, until none is left.
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
  const { orderDeadline, groupDeadline, orderComplete } = TIMER_KINDS;
  const ctx = (kind: string) => createSystemContext(infra, `timer-${kind}`);
  const poller = new TimerPoller(createTimers(infra), {
    [orderDeadline]: (orderId) => services.outcomes.expireOrder(ctx(orderDeadline), orderId),
    [groupDeadline]: (groupId) => services.deadlines.expireGroup(ctx(groupDeadline), groupId),
    [orderComplete]: (orderId) => services.fulfilment.autoComplete(ctx(orderComplete), orderId),
  }, infra.log, { pollMs: infra.config.TIMER_POLL_MS }).start();
  return {
    async close() {
      await poller.close();
      await worker.close();
      await queue.close();
      schedulerConn.disconnect();
    },
  };
}
