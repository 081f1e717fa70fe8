import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import type { DomainEvent, DomainEventPayloads, DomainEventType } from '@tuan/shared';
import type { Config } from './config';
import type { ServiceContext } from './context';
import { move } from './lifecycle';
import type { Logger } from './logger';
import { EventDeliveryEntity, EventReceiptEntity } from './outbox.delivery.entity';
import { DomainEventEntity } from './outbox.entity';
import { DELIVERY_LIFECYCLE, outboxStats } from './outbox.operations';
import { createRedis } from './redis';
import { createSystemContext } from './system';
import { affectedRows, withTransaction } from './transaction';

/**
 * A reaction to domain events, run by the worker's dispatcher after the change committed.
 *
 * - Delivery is at least once; the dispatcher makes it act exactly once by inserting
 *   `(subscriber, event_id)` into `event_receipts` in the same transaction as `handle`, so the
 *   handler must do its database work through `tx` (a redelivered event skips the handler). Effects
 *   outside MySQL (a Redis key, a BullMQ job) must be idempotent by themselves.
 * - Events of one aggregate arrive in event id order, one at a time per subscriber; different
 *   aggregates run in parallel.
 * - Throwing rolls `tx` back and retries with backoff; after `OUTBOX_MAX_ATTEMPTS` the delivery is
 *   parked (GET /admin/events/failed) and later events of that aggregate wait for it, while other
 *   aggregates and other subscribers go on.
 * - `name` is stored with every delivery and receipt: keep it stable; a renamed subscriber is a new
 *   one (it gets only events fanned out after it exists).
 */
export interface Subscriber<T extends DomainEventType = DomainEventType> {
  /** Stable and unique, `<module>.<reaction>`, at most 64 characters, e.g. 'groupbuy.seat-gate'. */
  name: string;
  events: readonly T[];
  handle(tx: ServiceContext, event: DomainEvent<T>): Promise<void>;
}

/** Typed helper: `events` narrows `event.payload` inside `handle`. */
export function defineSubscriber<T extends DomainEventType>(s: Subscriber<T>): Subscriber {
  return s;
}

export function outboxWakeChannel(redisPrefix: string): string {
  return `${redisPrefix}outbox:wake`;
}

/**
 * The after-commit wake-up `emit` triggers (see `setOutboxWaker`): a Redis PUBLISH the dispatchers
 * listen to. Fire and forget — it never delays the request that committed — and coalesced: while
 * one publish is in flight, any number of further commits cause exactly one more, sent after it,
 * so every commit is followed by a publish without one round-trip per commit. A lost wake-up
 * costs at most one poll period (`OUTBOX_POLL_MS`).
 */
export function createOutboxWaker(redis: Redis, redisPrefix: string): () => void {
  const channel = outboxWakeChannel(redisPrefix);
  let inFlight = false;
  let again = false;
  const publish = (): void => {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    redis
      .publish(channel, '1')
      .catch(() => undefined)
      .finally(() => {
        inFlight = false;
        if (again) {
          again = false;
          publish();
        }
      });
  };
  return publish;
}

export interface DispatcherOptions {
  maxAttempts: number;
  backoffMs: number;
  leaseMs: number;
  concurrency: number;
  /** Events taken per fan-out transaction. */
  fanOutBatch?: number;
}

const MAX_BACKOFF_MS = 3600_000;
const MIN_PASS_GAP_MS = 20;
const ERROR_MAX = 1000;

/** Full exponential backoff with "equal jitter": between half and all of base·2^(attempt−1). */
export function backoffDelay(baseMs: number, attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/**
 * A due delivery with its event, as the candidates query returns it. `attempts` is as read before
 * the claim: the failure update is guarded by it, so a stale value (another worker failed it in
 * between) makes that update a no-op and the lease simply runs out.
 */
interface DueRow {
  id: number | string;
  subscriber: string;
  attempts: number | string;
  eventId: number | string;
  eId: number | string | null;
  type: DomainEventType;
  aggregateType: DomainEvent['aggregateType'];
  aggregateId: number | string;
  schemaVersion: number | string;
  payload: object | string;
  createdAt: Date | string;
}
interface ClaimedDelivery {
  id: number;
  subscriber: string;
  attempts: number;
  eventId: number;
}

interface UnfannedEventRow {
  id: number;
  type: DomainEventType;
  aggregate_type: string;
  aggregate_id: number;
}

/**
 * Delivers the outbox. Each pass:
 * 1. **Fan-out**: takes events not yet fanned out, in id order, with `FOR UPDATE SKIP LOCKED` (so two
 *    workers split the work instead of queueing on each other), inserts one `event_deliveries` row
 *    per interested subscriber and sets `fanned_out_at`, in one transaction. There is no global
 *    cursor: auto-increment ids commit out of order, and a cursor would skip the late ones.
 * 2. **Delivery**: picks due deliveries of this process's subscribers whose aggregate has nothing
 *    earlier still undelivered — no pending or parked delivery of an earlier event to the same
 *    subscriber, and no earlier event of the aggregate still waiting for fan-out (another worker's
 *    fan-out may not have committed yet) — claims each with a guarded lease update, and runs it in
 *    the subscriber's own transaction (receipt, handler, `done`). That check, made against the
 *    database, is what keeps order per aggregate across any number of workers.
 *
 * Order per aggregate is event id order. It matches the order of the changes because emitters write
 * an aggregate's event after the guarded update of its row: two transactions on one aggregate are
 * serialized by that row lock, so the later one's event gets the higher id and is only visible after
 * the earlier one committed.
 *
 * Passes run on a Redis wake-up (published after every commit that wrote events), on a poll as a
 * backstop, when a delivery finishes (a slot is free) and when a retry falls due.
 */
export class OutboxDispatcher {
  private readonly byName = new Map<string, Subscriber>();
  private readonly byType = new Map<DomainEventType, Subscriber[]>();
  private readonly running = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private pass: Promise<void> | null = null;
  private scheduled: NodeJS.Timeout | null = null;
  private lastPassAt = 0;
  private again = false;
  private stopped = false;
  private readonly fanOutBatch: number;

  constructor(
    private readonly dataSource: DataSource,
    subscribers: readonly Subscriber[],
    private readonly log: Logger,
    private readonly opts: DispatcherOptions,
  ) {
    for (const s of subscribers) {
      if (!s.name || s.name.length > 64) throw new Error(`outbox subscriber name must be 1–64 characters: "${s.name}"`);
      if (this.byName.has(s.name)) throw new Error(`two outbox subscribers are named "${s.name}"`);
      if (!s.events.length) throw new Error(`outbox subscriber "${s.name}" listens to no event`);
      this.byName.set(s.name, s);
      for (const t of new Set(s.events)) this.byType.set(t, [...(this.byType.get(t) ?? []), s]);
    }
    this.fanOutBatch = opts.fanOutBatch ?? 200;
  }

  get subscriberNames(): string[] {
    return [...this.byName.keys()];
  }

  /**
   * Runs a pass now, or right after the one in progress (wake-ups meanwhile collapse into one).
   * Passes start at most every MIN_PASS_GAP_MS: under load every commit of every API process wakes
   * every worker, and back-to-back passes would poll the database flat out for little gain.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.pass || this.scheduled) {
      this.again = true;
      return;
    }
    const wait = this.lastPassAt + MIN_PASS_GAP_MS - Date.now();
    if (wait > 0) {
      this.scheduled = setTimeout(() => {
        this.scheduled = null;
        this.startPass();
      }, wait);
      return;
    }
    this.startPass();
  }

  private startPass(): void {
    if (this.stopped) return;
    this.lastPassAt = Date.now();
    this.again = false;
    this.pass = this.runPass().finally(() => {
      this.pass = null;
      if (this.again) this.wake();
    });
  }

  /** Stops taking work and waits (up to `timeoutMs`) for the deliveries in flight. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    if (this.scheduled) clearTimeout(this.scheduled);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const all = Promise.allSettled([...(this.pass ? [this.pass] : []), ...this.running]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private async runPass(): Promise<void> {
    try {
      let rounds = 0;
      let n: number;
      do n = await this.fanOut();
      while (n === this.fanOutBatch && ++rounds < 10 && !this.stopped);
      if (n === this.fanOutBatch) this.again = true; // a backlog: keep going, but deliver in between
      await this.fillSlots();
    } catch (err) {
      // The database is down or overloaded: the next wake-up or poll tries again.
      this.again = false;
      this.log.warn({ err: (err as Error).message }, 'outbox pass failed');
    }
  }

  /** Turns up to one batch of committed events into deliveries; returns how many events it took. */
  private async fanOut(): Promise<number> {
    // One cheap look first: most passes find nothing to fan out, and need no transaction for that.
    const any = await this.dataSource.createQueryBuilder(DomainEventEntity, 'e').select('e.id', 'id').where('e.fannedOutAt IS NULL').limit(1).getRawOne();
    if (!any) return 0;
    const ctx = createSystemContext({ dataSource: this.dataSource, log: this.log }, 'outbox-fanout');
    return withTransaction(this.dataSource, ctx, async (tx) => {
      // Raw SQL: TypeORM only emits SKIP LOCKED for MySQL ≥ 8 and refuses it on MariaDB, which has it since 10.6.
      const rows: UnfannedEventRow[] = await tx.manager.query(
        `SELECT id, type, aggregate_type, aggregate_id FROM domain_events
          WHERE fanned_out_at IS NULL ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`,
        [this.fanOutBatch],
      );
      if (!rows.length) return 0;
      const deliveries = rows.flatMap((e) =>
        (this.byType.get(e.type) ?? []).map((s) => ({
          eventId: Number(e.id),
          subscriber: s.name,
          aggregateType: e.aggregate_type as EventDeliveryEntity['aggregateType'],
          aggregateId: Number(e.aggregate_id),
          status: 'pending' as const,
          attempts: 0,
          nextAttemptAt: () => 'UTC_TIMESTAMP(3)',
          lockedUntil: null,
          lastError: null,
          createdAt: () => 'UTC_TIMESTAMP(3)',
          deliveredAt: null,
        })),
      );
      // IGNORE: the unique (subscriber, event_id) makes a repeated fan-out harmless, should one happen.
      if (deliveries.length) await tx.manager.createQueryBuilder().insert().into(EventDeliveryEntity).values(deliveries).orIgnore().execute();
      await tx.manager
        .createQueryBuilder()
        .update(DomainEventEntity)
        .set({ fannedOutAt: () => 'UTC_TIMESTAMP(3)' })
        .where('id IN (:...ids)', { ids: rows.map((r) => Number(r.id)) })
        .execute();
      return rows.length;
    });
  }

  /**
   * Claims due deliveries for the free slots and starts them. The candidates come with their event
   * (one query), so a delivery costs its claim plus its own transaction.
   */
  private async fillSlots(): Promise<void> {
    const free = this.opts.concurrency - this.running.size;
    if (free <= 0 || !this.byName.size || this.stopped) return; // a finishing delivery wakes us
    const due = await this.dataSource
      .createQueryBuilder(EventDeliveryEntity, 'd')
      // LEFT JOIN: a delivery whose event is gone must fail (and be parked), not wait unseen forever.
      .leftJoin(DomainEventEntity, 'e', 'e.id = d.eventId')
      .select(['d.id AS id', 'd.subscriber AS subscriber', 'd.attempts AS attempts', 'd.eventId AS eventId'])
      .addSelect(['e.id AS eId', 'e.type AS type', 'e.aggregateType AS aggregateType', 'e.aggregateId AS aggregateId'])
      .addSelect(['e.schemaVersion AS schemaVersion', 'e.payload AS payload', 'e.createdAt AS createdAt'])
      .where('d.status = :pending AND d.nextAttemptAt <= UTC_TIMESTAMP(3)')
      .andWhere('(d.lockedUntil IS NULL OR d.lockedUntil < UTC_TIMESTAMP(3))')
      .andWhere('d.subscriber IN (:...names)')
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM event_deliveries p WHERE p.subscriber = d.subscriber AND p.aggregate_type = d.aggregate_type
           AND p.aggregate_id = d.aggregate_id AND p.event_id < d.event_id AND p.status <> :done)`,
      )
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM domain_events u WHERE u.aggregate_type = d.aggregate_type AND u.aggregate_id = d.aggregate_id
           AND u.id < d.event_id AND u.fanned_out_at IS NULL)`,
      )
      .setParameters({ pending: 'pending', done: 'done', names: this.subscriberNames })
      .orderBy('d.nextAttemptAt', 'ASC')
      .limit(free)
      .getRawMany<DueRow>();
    for (const row of due) {
      if (this.stopped || this.running.size >= this.opts.concurrency) break;
      const d = { id: Number(row.id), subscriber: row.subscriber, attempts: Number(row.attempts), eventId: Number(row.eventId) };
      if (!(await this.claim(d.id))) continue; // another worker took it
      const p: Promise<void> = this.deliver(d, row).finally(() => {
        this.running.delete(p);
        this.wake();
      });
      this.running.add(p);
    }
  }

  /** The lease: only one worker runs a delivery until it is done, failed, or the lease ran out. */
  private async claim(id: number): Promise<boolean> {
    const res = await this.dataSource
      .createQueryBuilder()
      .update(EventDeliveryEntity)
      .set({ lockedUntil: () => 'DATE_ADD(UTC_TIMESTAMP(3), INTERVAL :leaseUs MICROSECOND)' })
      .where('id = :id AND status = :pending AND next_attempt_at <= UTC_TIMESTAMP(3) AND (locked_until IS NULL OR locked_until < UTC_TIMESTAMP(3))')
      .setParameters({ id, pending: 'pending', leaseUs: this.opts.leaseMs * 1000 })
      .execute();
    return res.affected === 1;
  }

  /** Keeps the lease while a slow handler runs, so a live worker is not mistaken for a dead one. */
  private renewLease(id: number): NodeJS.Timeout {
    const timer = setInterval(
      () =>
        void this.dataSource
          .createQueryBuilder()
          .update(EventDeliveryEntity)
          .set({ lockedUntil: () => 'DATE_ADD(UTC_TIMESTAMP(3), INTERVAL :leaseUs MICROSECOND)' })
          .where('id = :id AND status = :pending')
          .setParameters({ id, pending: 'pending', leaseUs: this.opts.leaseMs * 1000 })
          .execute()
          .catch(() => undefined),
      Math.max(100, Math.floor(this.opts.leaseMs / 3)),
    );
    timer.unref();
    return timer;
  }

  private async deliver(d: ClaimedDelivery, row: DueRow): Promise<void> {
    const renew = this.renewLease(d.id);
    try {
      const sub = this.byName.get(d.subscriber);
      if (!sub) return; // not ours (cannot happen: we only select our own); the lease runs out
      if (row.eId === null) throw new Error(`event ${d.eventId} no longer exists`);
      const event = toDomainEvent({
        id: Number(row.eId),
        type: row.type,
        aggregateType: row.aggregateType,
        aggregateId: Number(row.aggregateId),
        schemaVersion: Number(row.schemaVersion),
        payload: row.payload,
        createdAt: new Date(row.createdAt),
      });
      const ctx = createSystemContext({ dataSource: this.dataSource, log: this.log }, `outbox-${sub.name}`);
      const started = Date.now();
      await withTransaction(this.dataSource, ctx, async (tx) => {
        // The receipt first: a concurrent run of the same event (an expired lease) waits on this key
        // and then finds it taken; an earlier committed run makes this a no-op delivery.
        const receipt = await tx.manager
          .createQueryBuilder()
          .insert()
          .into(EventReceiptEntity)
          .values({ subscriber: sub.name, eventId: event.id, createdAt: () => 'UTC_TIMESTAMP(3)' })
          .orIgnore()
          .execute();
        if (affectedRows(receipt.raw) === 1) await sub.handle(tx, event);
        else tx.log.info({ subscriber: sub.name, eventId: event.id }, 'outbox event already processed; skipped');
        await tx.manager
          .createQueryBuilder()
          .update(EventDeliveryEntity)
          .set({ status: 'done', deliveredAt: () => 'UTC_TIMESTAMP(3)', lockedUntil: null })
          .where('id = :id AND status = :pending', { id: d.id, pending: 'pending' })
          .execute();
      });
      this.log.debug({ subscriber: sub.name, eventId: event.id, type: event.type, ms: Date.now() - started }, 'outbox event delivered');
    } catch (err) {
      await this.recordFailure(d, err);
    } finally {
      clearInterval(renew);
    }
  }

  /** attempts + 1, then either due again after a backoff (lease released) or parked. */
  private async recordFailure(d: ClaimedDelivery, err: unknown): Promise<void> {
    const attempts = d.attempts + 1;
    const message = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, ERROR_MAX);
    const log = { subscriber: d.subscriber, eventId: d.eventId, deliveryId: d.id, attempts, err: message };
    const ctx = createSystemContext({ dataSource: this.dataSource, log: this.log }, 'outbox-failure');
    try {
      if (attempts >= this.opts.maxAttempts) {
        await withTransaction(this.dataSource, ctx, (tx) =>
          move(tx, DELIVERY_LIFECYCLE, d.id, 'pending', 'parked', {
            set: { attempts, lastError: message, lockedUntil: null, nextAttemptAt: () => 'UTC_TIMESTAMP(3)' },
            guard: 'attempts = :seen',
            params: { seen: d.attempts },
            note: message.slice(0, 255),
          }),
        );
        this.log.error(log, 'outbox delivery parked after its last attempt');
        return;
      }
      const delay = backoffDelay(this.opts.backoffMs, attempts);
      await this.dataSource
        .createQueryBuilder()
        .update(EventDeliveryEntity)
        .set({ attempts, lastError: message, lockedUntil: null, nextAttemptAt: () => 'DATE_ADD(UTC_TIMESTAMP(3), INTERVAL :delayUs MICROSECOND)' })
        .where('id = :id AND status = :pending AND attempts = :seen')
        .setParameters({ id: d.id, pending: 'pending', seen: d.attempts, delayUs: delay * 1000 })
        .execute();
      this.log.warn({ ...log, retryInMs: delay }, 'outbox delivery failed; will retry');
      // Due before the next poll, most of the time: look again when it is.
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.wake();
      }, delay + 5);
      t.unref();
      this.timers.add(t);
    } catch (e) {
      // Not even the failure could be written: the lease runs out and the delivery is tried again.
      this.log.error({ ...log, recordErr: (e as Error).message }, 'outbox delivery failure could not be recorded');
    }
  }

  /** Backlog and lag of the last minute, for the logs (the admin stats route has the same figures). */
  async logLag(): Promise<void> {
    try {
      const s = await outboxStats(this.dataSource.manager, 1);
      if (!s.lag.delivered && !s.eventsNotFannedOut && !s.deliveriesPending && !s.deliveriesParked) return;
      this.log.info(
        { eventsNotFannedOut: s.eventsNotFannedOut, pending: s.deliveriesPending, parked: s.deliveriesParked, oldestPendingAgeMs: s.oldestPendingAgeMs, lag: s.lag },
        'outbox dispatch lag (last minute)',
      );
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'outbox lag could not be read');
    }
  }
}

export function toDomainEvent(row: Omit<DomainEventEntity, 'fannedOutAt' | 'payload'> & { payload: object | string }): DomainEvent {
  // MariaDB keeps JSON as LONGTEXT: the driver hands it back as text there (and raw queries always do).
  const payload = typeof row.payload === 'string' ? (JSON.parse(row.payload) as object) : row.payload;
  return {
    id: Number(row.id),
    type: row.type,
    aggregateType: row.aggregateType,
    aggregateId: Number(row.aggregateId),
    schemaVersion: row.schemaVersion,
    payload: payload as DomainEventPayloads[DomainEventType],
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Starts the dispatcher of a worker process: a dedicated Redis connection subscribed to the wake-up
 * channel (a subscribed connection can do nothing else), the poll, and the periodic lag log.
 */
export async function startOutboxDispatcher(
  infra: { config: Config; dataSource: DataSource; log: Logger },
  subscribers: readonly Subscriber[],
  opts: { lagLogMs?: number } = {},
): Promise<{ dispatcher: OutboxDispatcher; close(): Promise<void> }> {
  const { config } = infra;
  const log = infra.log.child({ component: 'outbox' });
  const dispatcher = new OutboxDispatcher(infra.dataSource, subscribers, log, {
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    backoffMs: config.OUTBOX_BACKOFF_MS,
    leaseMs: config.OUTBOX_LEASE_MS,
    concurrency: config.OUTBOX_CONCURRENCY,
  });
  const sub = createRedis(config.REDIS_URL, { enableOfflineQueue: true, maxRetriesPerRequest: null });
  sub.on('error', (err) => log.debug({ err: err.message }, 'outbox wake-up connection error'));
  sub.on('message', () => dispatcher.wake());
  // Not awaited: with Redis down the poll still dispatches; ioredis subscribes once it connects and
  // re-subscribes after a reconnect.
  sub.subscribe(outboxWakeChannel(config.REDIS_PREFIX)).catch((err: Error) => log.warn({ err: err.message }, 'outbox wake-up subscription failed; polling only'));
  const poll = setInterval(() => dispatcher.wake(), config.OUTBOX_POLL_MS);
  const lag = setInterval(() => void dispatcher.logLag(), opts.lagLogMs ?? 60_000);
  lag.unref();
  dispatcher.wake();
  log.info({ subscribers: dispatcher.subscriberNames, pollMs: config.OUTBOX_POLL_MS }, 'outbox dispatcher started');
  return {
    dispatcher,
    async close() {
      clearInterval(poll);
      clearInterval(lag);
      sub.disconnect();
      await dispatcher.stop(config.SHUTDOWN_TIMEOUT_MS);
    },
  };
}
