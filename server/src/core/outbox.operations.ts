import type { EntityManager } from 'typeorm';
import type { EventDeliveryView, FailedDeliveryView, OutboxStats } from '@tuan/shared';
import { ErrorCode } from '@tuan/shared';
import { DomainError } from '../http/errors';
import type { ServiceContext } from './context';
import { move, type Lifecycle } from './lifecycle';
import { EventDeliveryEntity, type DeliveryStatus } from './outbox.delivery.entity';
import { DomainEventEntity } from './outbox.entity';

/**
 * The outbox tables belong to core: modules (the operators' routes in `modules/admin`) read and move
 * deliveries only through these functions.
 */

/**
 * Deliveries as a lifecycle. The dispatcher's hot path (`pending → done`, and a failed attempt that
 * stays `pending`) is a guarded update without a history row — the delivery row and the receipt are
 * its record, and a history row per delivery would double the outbox's writes. The rare moves
 * (parking, an operator's retry) go through `move` and leave a `state_history` row.
 */
export const DELIVERY_LIFECYCLE: Lifecycle<DeliveryStatus, EventDeliveryEntity> = {
  name: 'event_delivery',
  entity: EventDeliveryEntity,
  transitions: { pending: ['done', 'parked'], parked: ['pending'], done: [] },
  touchesUpdatedAt: false,
};

export async function listParkedDeliveries(
  manager: EntityManager,
  q: { page: number; pageSize: number; subscriber?: string },
): Promise<{ items: FailedDeliveryView[]; total: number }> {
  const base = manager
    .createQueryBuilder(EventDeliveryEntity, 'd')
    .innerJoin(DomainEventEntity, 'e', 'e.id = d.eventId')
    .where('d.status = :parked', { parked: 'parked' });
  if (q.subscriber) base.andWhere('d.subscriber = :subscriber', { subscriber: q.subscriber });
  const total = await base.clone().getCount();
  const rows = await base
    .clone()
    .select(['d.id AS id', 'd.eventId AS eventId', 'e.type AS eventType', 'd.subscriber AS subscriber', 'd.aggregateType AS aggregateType', 'd.aggregateId AS aggregateId'])
    .addSelect(['d.attempts AS attempts', 'd.lastError AS lastError', 'e.payload AS payload', 'e.createdAt AS eventCreatedAt', 'd.nextAttemptAt AS parkedAt'])
    .orderBy('d.id', 'DESC')
    .offset((q.page - 1) * q.pageSize)
    .limit(q.pageSize)
    .getRawMany<{
      id: number; eventId: number; eventType: string; subscriber: string; aggregateType: string; aggregateId: number;
      attempts: number; lastError: string | null; payload: unknown; eventCreatedAt: Date; parkedAt: Date;
    }>();
  return {
    total,
    items: rows.map((r) => ({
      ...r,
      id: Number(r.id),
      eventId: Number(r.eventId),
      aggregateId: Number(r.aggregateId),
      attempts: Number(r.attempts),
      // The JSON column comes back parsed from the driver on MySQL, as text on MariaDB (LONGTEXT).
      payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
      eventCreatedAt: new Date(r.eventCreatedAt).toISOString(),
      parkedAt: new Date(r.parkedAt).toISOString(),
    })),
  };
}

export function deliveryView(d: EventDeliveryEntity): EventDeliveryView {
  return {
    id: Number(d.id),
    eventId: Number(d.eventId),
    subscriber: d.subscriber,
    aggregateType: d.aggregateType,
    aggregateId: Number(d.aggregateId),
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt.toISOString(),
    lastError: d.lastError,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
  };
}

/**
 * An operator sends a parked delivery back: `parked → pending`, attempts from zero, due at once.
 * Later deliveries of the same aggregate to the same subscriber were held back while it was parked
 * (order per aggregate) and follow it. In the caller's transaction; returns the row before and after.
 */
export async function retryParkedDelivery(tx: ServiceContext, id: number): Promise<{ before: EventDeliveryView; after: EventDeliveryView }> {
  const row = await tx.manager.findOne(EventDeliveryEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  if (!row) throw new DomainError(ErrorCode.EVENT_DELIVERY_NOT_FOUND, `Event delivery ${id} not found`);
  const moved = await move(tx, DELIVERY_LIFECYCLE, id, row.status, 'pending', {
    set: { attempts: 0, lockedUntil: null, nextAttemptAt: () => 'UTC_TIMESTAMP(3)' },
    note: 'operator retry',
  });
  // The row is locked, so the move only fails by the transition table (done/pending → pending), which throws.
  if (!moved) throw new DomainError(ErrorCode.CONFLICT, `Event delivery ${id} changed meanwhile`);
  const after = await tx.manager.findOneByOrFail(EventDeliveryEntity, { id });
  return { before: deliveryView(row), after: deliveryView(after) };
}

/**
 * Backlog and dispatch lag. Lag is `delivered_at − domain_events.created_at`: from the moment the
 * change wrote the event to the subscriber's transaction having committed. `created_at` is taken
 * inside the writing transaction (its commit time is known nowhere), so under load the lag also
 * holds the rest of that transaction; on a quiet system it is the dispatch itself (~15 ms). Percentiles are read with ORDER BY … LIMIT 1 OFFSET k over the window, which the
 * `delivered_at` index keeps to the window's rows.
 */
export async function outboxStats(manager: EntityManager, windowMinutes: number): Promise<OutboxStats> {
  const [notFanned, byStatus, oldestUnfanned, oldestPending] = await Promise.all([
    manager.createQueryBuilder(DomainEventEntity, 'e').where('e.fannedOutAt IS NULL').getCount(),
    manager
      .createQueryBuilder(EventDeliveryEntity, 'd')
      .select('d.subscriber', 'subscriber')
      .addSelect(`SUM(d.status = 'pending')`, 'pending')
      .addSelect(`SUM(d.status = 'parked')`, 'parked')
      .where('d.status IN (:...open)', { open: ['pending', 'parked'] })
      .groupBy('d.subscriber')
      .orderBy('d.subscriber')
      .getRawMany<{ subscriber: string; pending: string | number; parked: string | number }>(),
    manager
      .createQueryBuilder(DomainEventEntity, 'e')
      .select('TIMESTAMPDIFF(MICROSECOND, MIN(e.createdAt), UTC_TIMESTAMP(3)) DIV 1000', 'ageMs')
      .where('e.fannedOutAt IS NULL')
      .getRawOne<{ ageMs: string | number | null }>(),
    manager
      .createQueryBuilder(EventDeliveryEntity, 'd')
      .innerJoin(DomainEventEntity, 'e', 'e.id = d.eventId')
      .select('TIMESTAMPDIFF(MICROSECOND, MIN(e.createdAt), UTC_TIMESTAMP(3)) DIV 1000', 'ageMs')
      .where('d.status = :pending', { pending: 'pending' })
      .getRawOne<{ ageMs: string | number | null }>(),
  ]);
  const bySubscriber = byStatus.map((r) => ({ subscriber: r.subscriber, pending: Number(r.pending), parked: Number(r.parked) }));
  const ages = [oldestUnfanned?.ageMs, oldestPending?.ageMs].filter((a): a is string | number => a !== null && a !== undefined).map(Number);

  const windowed = () =>
    manager
      .createQueryBuilder(EventDeliveryEntity, 'd')
      .innerJoin(DomainEventEntity, 'e', 'e.id = d.eventId')
      .where('d.deliveredAt >= DATE_SUB(UTC_TIMESTAMP(3), INTERVAL :minutes MINUTE)', { minutes: windowMinutes });
  const lagSql = 'TIMESTAMPDIFF(MICROSECOND, e.createdAt, d.deliveredAt) DIV 1000';
  const delivered = await windowed().getCount();
  const lagAt = async (k: number): Promise<number | null> => {
    const r = await windowed().select(lagSql, 'lagMs').orderBy('lagMs', 'ASC').offset(k).limit(1).getRawOne<{ lagMs: string | number }>();
    return r ? Math.max(0, Number(r.lagMs)) : null;
  };
  const rank = (p: number) => Math.min(delivered - 1, Math.max(0, Math.ceil((p / 100) * delivered) - 1));
  const [p50Ms, p99Ms, maxMs] = delivered ? await Promise.all([lagAt(rank(50)), lagAt(rank(99)), lagAt(delivered - 1)]) : [null, null, null];

  return {
    eventsNotFannedOut: notFanned,
    deliveriesPending: bySubscriber.reduce((a, s) => a + s.pending, 0),
    deliveriesParked: bySubscriber.reduce((a, s) => a + s.parked, 0),
    oldestPendingAgeMs: ages.length ? Math.max(0, ...ages) : null,
    bySubscriber,
    lag: { windowMinutes, delivered, p50Ms, p99Ms, maxMs },
    serverTime: new Date().toISOString(),
  };
}
