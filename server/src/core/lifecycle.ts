import { insertRows } from './sql';
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { ServiceContext } from './context';
import { emit, type NewDomainEvent } from './outbox';
import { StateHistoryEntity } from './outbox.entity';
import { assertTransition, type TransitionTable } from './state';

/**
 * A lifecycle as data: which entity, its transition table, and where its moves are recorded.
 * Every status change of every entity goes through `move` with one of these.
 */
export interface Lifecycle<S extends string, E extends ObjectLiteral = ObjectLiteral> {
  /** The name used in errors and in `state_history.entity` (e.g. `order`, `group`). */
  name: string;
  entity: EntityTarget<E>;
  transitions: TransitionTable<S>;
  /** Whether the row has an `updated_at` column to touch on every move. */
  touchesUpdatedAt: boolean;
  /**
   * Writes the history row of a move, in the same transaction. Default: core's `state_history`.
   * Orders use their own `order_events` (the shopper's timeline).
   */
  history?: (tx: ServiceContext, moves: Array<HistoryMove<S>>) => Promise<void>;
}

/** One row of history: `from` is null for a creation. */
export interface HistoryMove<S extends string> {
  id: number;
  from: S | null;
  to: S;
  note: string | null;
}

export interface MoveOptions<E extends ObjectLiteral> {
  /** Other columns changed in the same guarded UPDATE (e.g. `paidAt`, `cancelReason`). */
  set?: QueryDeepPartialEntity<E>;
  /** An extra guard in SQL on column names, e.g. `paid_count = size` (with `params`). */
  guard?: string;
  params?: Record<string, unknown>;
  note?: string | null;
  /** Domain events written (only) when the move happened. */
  events?: NewDomainEvent[] | ((id: number) => NewDomainEvent[]);
}

/**
 * The one transition helper. Asserts the move is in the lifecycle's table (an illegal move is an
 * error, never a silent overwrite), applies it as `UPDATE … SET status = :to WHERE id = :id AND
 * status = :from [AND guard]` and checks the affected rows — which makes it exactly-once across
 * processes — then writes the history row and the outbox events, all in the caller's transaction.
 * Returns false (and writes nothing) when the row was not in `from` any more: someone else moved it.
 */
export async function move<S extends string, E extends ObjectLiteral>(
  tx: ServiceContext,
  lc: Lifecycle<S, E>,
  id: number,
  from: S,
  to: S,
  opts: MoveOptions<E> = {},
): Promise<boolean> {
  assertTransition(lc.name, lc.transitions, from, to);
  const set = { ...(opts.set ?? {}), status: to } as Record<string, unknown>;
  if (lc.touchesUpdatedAt) set.updatedAt = () => 'UTC_TIMESTAMP(3)';
  const res = await tx.manager
    .createQueryBuilder()
    .update(lc.entity)
    .set(set as QueryDeepPartialEntity<E>)
    .where(`id = :__id AND status = :__from${opts.guard ? ` AND (${opts.guard})` : ''}`, { ...(opts.params ?? {}), __id: id, __from: from })
    .execute();
  if (res.affected !== 1) return false;
  const note = opts.note ?? null;
  await writeHistory(tx, lc, [{ id, from, to, note }]);
  const events = typeof opts.events === 'function' ? opts.events(id) : (opts.events ?? []);
  await emit(tx, ...events);
  return true;
}

/** Records the first state of a new row (its creation) in the same history as its later moves. */
export async function recordCreated<S extends string, E extends ObjectLiteral>(tx: ServiceContext, lc: Lifecycle<S, E>, id: number, status: S, note: string | null = null): Promise<void> {
  await writeHistory(tx, lc, [{ id, from: null, to: status, note }]);
}

/**
 * `recordCreated` for many new rows of one lifecycle at once (a batch of joins, the batches a cut-off
 * forms): one multi-row INSERT per thousand rows instead of a round trip per row.
 */
export async function recordCreatedMany<S extends string, E extends ObjectLiteral>(tx: ServiceContext, lc: Lifecycle<S, E>, ids: readonly number[], status: S, note: string | null = null): Promise<void> {
  for (let i = 0; i < ids.length; i += 1000) await writeHistory(tx, lc, ids.slice(i, i + 1000).map((id) => ({ id, from: null, to: status, note })));
}

async function writeHistory<S extends string, E extends ObjectLiteral>(tx: ServiceContext, lc: Lifecycle<S, E>, moves: Array<HistoryMove<S>>): Promise<void> {
  if (lc.history) return lc.history(tx, moves);
  const createdAt = new Date();
  const requestId = tx.requestId.slice(0, 64);
  await insertRows(
    tx,
    StateHistoryEntity,
    moves.map((m) => ({ entity: lc.name, entityId: m.id, fromStatus: m.from, toStatus: m.to, note: m.note, requestId, createdAt })),
  );
}
