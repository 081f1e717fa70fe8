import { IllegalTransitionError } from '../http/errors';

/**
 * Lifecycles are data: a table from each status to the statuses it may move to. `assertTransition`
 * is the one guard; the SQL that applies a transition is `UPDATE … SET status = :to WHERE id = :id
 * AND status = :from`, whose affected-row count makes the move exactly-once across processes.
 */
export type TransitionTable<S extends string> = Readonly<Record<S, readonly S[]>>;

export function canTransition<S extends string>(table: TransitionTable<S>, from: S, to: S): boolean {
  return table[from]?.includes(to) ?? false;
}

export function assertTransition<S extends string>(entity: string, table: TransitionTable<S>, from: S, to: S): void {
  if (!canTransition(table, from, to)) throw new IllegalTransitionError(entity, from, to);
}

/** The statuses from which `to` may be reached — the `WHERE status IN (…)` of a guarded update. */
export function sourcesOf<S extends string>(table: TransitionTable<S>, to: S): S[] {
  return (Object.keys(table) as S[]).filter((from) => table[from].includes(to));
}
