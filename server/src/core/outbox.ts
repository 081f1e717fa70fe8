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
    events.map((e) => ({ type: e.type, aggregateType: e.aggregateType, aggregateId: e.aggregateId, schemaVersion: EVENT_SCHEMA_VERSION, payload: e.payload, createdAt: now, fannedOutAt: null })),
  );
  // Wake the dispatcher once this transaction committed (at most once per transaction).
  if (tx.afterCommit && !tx.afterCommit.includes(wakeDispatcher)) tx.afterCommit.push(wakeDispatcher);
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
