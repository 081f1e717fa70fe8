import { insertRows } from './sql';
import { EVENT_SCHEMA_VERSION, type AggregateType, type DomainEventPayloads, type DomainEventType } from '@tuan/shared';
import type { ServiceContext } from './context';
import { DomainEventEntity } from './outbox.entity';

/** An event to write: its type fixes the payload's shape (see `DomainEventPayloads` in @tuan/shared). */
export type NewDomainEvent = {
  [T in DomainEventType]: { type: T; aggregateType: AggregateType; aggregateId: number; payload: DomainEventPayloads[T] };
}[DomainEventType];

/**
 * Writes domain events into the outbox **in the caller's transaction**: they exist exactly when the
 * change that caused them committed, and nothing is published before commit. The worker's
 * dispatcher delivers them (at least once, in order per aggregate); the
 * dispatcher is woken after commit, so dispatch does not wait for the next poll.
 */
export async function emit(tx: ServiceContext, ...events: NewDomainEvent[]): Promise<void> {
  if (!events.length) return;
  if (!tx.manager.queryRunner?.isTransactionActive) throw new Error('emit() must run inside withTransaction: events are written with the change that caused them');
  const now = new Date();
  await insertRows(
    tx,
    DomainEventEntity,
    events.map((e) => ({ type: e.type, aggregateType: e.aggregateType, aggregateId: e.aggregateId, schemaVersion: EVENT_SCHEMA_VERSION, payload: e.payload, createdAt: now, fannedOutAt: needsFanOut(e.type) ? null : now })),
  );
  // Wake the dispatcher once this transaction committed (at most once per transaction), if it has work.
  if (tx.afterCommit && !tx.afterCommit.includes(wakeDispatcher) && events.some((e) => needsFanOut(e.type))) tx.afterCommit.push(wakeDispatcher);
}

/**
 * The event types some subscriber handles, or null (not told: every event goes through fan-out). Set
 * by the process wiring from the subscribers the workers run (`createServices`); every process builds
 * the same list.
 */
let subscribedTypes: ReadonlySet<DomainEventType> | null = null;

/**
 * An event of a type no subscriber handles is written already fanned out (`fanned_out_at` = its
 * `created_at`): fan-out would create no delivery for it, only lock and update its row in the worker —
 * on the hot paths `order.created` (every join, launch, buy) and `coupon.issued` (every claim) have no
 * subscriber today. It stays in the outbox as the record of the change. A subscriber added later gets
 * the events written after every process runs the version that has it, as a new subscriber today gets
 * only events fanned out after it exists.
 */
export function setSubscribedEventTypes(types: Iterable<DomainEventType> | null): void {
  subscribedTypes = types === null ? null : new Set(types);
}

function needsFanOut(type: DomainEventType): boolean {
  return subscribedTypes === null || subscribedTypes.has(type);
}

let waker: () => unknown = () => undefined;
function wakeDispatcher(): unknown {
  return waker();
}

/**
 * Set by the process wiring: what to do after a transaction that wrote events committed (publish a
 * Redis wake-up the dispatchers listen to). Without it, dispatch waits for the next poll.
 */
export function setOutboxWaker(fn: () => unknown): void {
  waker = fn;
}
