import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { ServiceContext } from './context';
import { inList, insertedIds, insertRows, selectRows } from './sql';
import { affectedRows, withTransaction } from './transaction';

/**
 * Application-level group commit: requests that arrive together are handed to `run` together, and
 * each caller gets its own outcome back. `run` answers every item with a value or an error, so one
 * bad request never fails its neighbours; if `run` itself throws, every item of that batch gets the
 * error (callers that need per-item outcomes catch inside `run`).
 *
 * Batches form naturally: while `maxInFlight` batches are running, new items wait; the next batch
 * takes everything that waited (up to `maxSize`). At low load a request therefore goes alone and
 * waits for nothing; under load each batch carries what arrived during the previous one, so the
 * round trips and the commit of a transaction are shared by many requests. `windowMs` makes a
 * batch formed under load wait that long for company even when a slot is free: within `IDLE_AFTER_MS`
 * of a batch ending (the answers it sent bring the next requests back a few milliseconds later).
 * A request that finds the batcher idle still goes at once, so a quiet shop pays no wait.
 */
/** How requests are grouped into batches (config `GROUP_COMMIT_*`). */
export interface GroupCommitOptions {
  /** Most requests in one transaction. */
  maxSize: number;
  /** Batch transactions of one kind one process runs at once (the next batch forms meanwhile). */
  maxInFlight: number;
  /** Under load, how long a batch waits for company when a slot is free (0: the same event-loop turn only). */
  windowMs: number;
}

/** A batcher whose last batch ended longer ago than this is idle: its next request goes at once. */
export const IDLE_AFTER_MS = 100;

export class GroupCommit<I, O> {
  private queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  /** When the last batch ended (ms, `Date.now()`); -Infinity before the first. */
  private lastEndAt = -Infinity;

  constructor(
    private readonly run: (items: I[]) => Promise<Array<Settled<O>>>,
    private readonly opts: GroupCommitOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Requests waiting for a batch (for tests and metrics). */
  get waiting(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.inFlight >= this.opts.maxInFlight) return;
    if (this.queue.length >= this.opts.maxSize) {
      this.cancelTimer();
      this.flush();
      return;
    }
    if (this.timer) return;
    // setImmediate collects everything that arrived in the same turn (e.g. requests parsed from one
    // socket read); under load a window, if configured, waits for more: on the join bench 6 ms cut
    // MariaDB statements per join from 1.7 to 0.7–1.0 (bigger batches share their round trips).
    const go = () => {
      this.timer = null;
      this.flush();
    };
    const busy = this.inFlight > 0 || Date.now() - this.lastEndAt < IDLE_AFTER_MS;
    this.timer = this.opts.windowMs > 0 && busy ? setTimeout(go, this.opts.windowMs) : setImmediate(go);
  }

  private cancelTimer(): void {
    if (!this.timer) return;
    if ('hasRef' in this.timer && 'refresh' in this.timer) clearTimeout(this.timer as NodeJS.Timeout);
    else clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = null;
  }

  private flush(): void {
    while (this.queue.length && this.inFlight < this.opts.maxInFlight) {
      const batch = this.queue.splice(0, this.opts.maxSize);
      this.inFlight++;
      void this.execute(batch);
    }
  }

  private async execute(batch: GroupCommit<I, O>['queue']): Promise<void> {
    try {
      const results = await this.run(batch.map((b) => b.item));
      batch.forEach((b, i) => {
        const r = results[i];
        if (!r) b.reject(new Error('group commit: no outcome for an item'));
        else if (r.ok) b.resolve(r.value);
        else b.reject(r.error);
      });
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.inFlight--;
      this.lastEndAt = Date.now();
      if (this.queue.length) this.schedule();
    }
  }
}

export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

export const settledOk = <O>(value: O): Settled<O> => ({ ok: true, value });
export const settledError = <O>(error: unknown): Settled<O> => ({ ok: false, error });

/** A request inside a `GatedBatch`: its outcome so far (refused with `error`, or answered with `out`). */
export interface BatchSlot<R, O> {
  req: R;
  /** The request holds a token of its Redis gate (given back unless it ends with `out`). */
  gated?: boolean;
  error?: unknown;
  out?: O;
}

/**
 * The shape every group-committed write shares (joins, claims): checks that need no transaction for
 * the whole batch, a Redis gate per request, then ONE transaction that decides and writes all the
 * survivors. Each request is answered with its own outcome; if the transaction fails as a whole
 * (a race its locked reads could not foresee, a deadlock after retries) every survivor is decided
 * alone by the one-request path; gate tokens of requests that got nothing are given back.
 */
export abstract class GatedBatch<R extends { ctx: ServiceContext }, O, S extends BatchSlot<R, O> = BatchSlot<R, O>> {
  private readonly commit: GroupCommit<R, O>;
  /** Batches run, requests they carried, and batches that failed as a whole (then decided one by one). */
  readonly stats = { batches: 0, requests: 0, fallbacks: 0 };

  constructor(
    private readonly dataSource: DataSource,
    private readonly what: string,
    opts: GroupCommitOptions,
  ) {
    this.commit = new GroupCommit((reqs) => this.run(reqs), opts);
  }

  submit(req: R): Promise<O> {
    return this.commit.submit(req);
  }

  /**
   * The gate hooks default to a batch without a gate (buy-alone, launch: the guarded stock UPDATE is
   * the only truth there): nothing refused before the transaction, every request admitted.
   */
  /** Refuses what can be refused before the gate (sets `error`), for the whole batch at once. */
  protected async precheck(_ctx: ServiceContext, _slots: S[]): Promise<void> {}
  /** The request's Redis gate: true, a token was taken; false, refused (`refusal`). */
  protected async take(_slot: S): Promise<boolean> {
    return true;
  }
  protected async give(_slot: S): Promise<void> {}
  /** The error of a request its gate refused (asked only when `take` said false). */
  protected refusal(_slot: S): unknown {
    return new Error(`${this.what}: refused by its gate`);
  }
  /** Decides and writes the survivors in the batch's transaction (sets `error` or `out` of each). */
  protected abstract decideAndWrite(tx: ServiceContext, slots: S[]): Promise<void>;
  /** The one-request path, for a batch whose transaction failed as a whole. */
  protected abstract alone(slot: S): Promise<O>;

  private async run(reqs: R[]): Promise<Array<Settled<O>>> {
    this.stats.batches++;
    this.stats.requests += reqs.length;
    const slots = reqs.map((req) => ({ req }) as S);
    const ctx = reqs[0]!.ctx;
    await this.precheck(ctx, slots);
    await Promise.all(
      slots
        .filter((s) => !s.error)
        .map(async (s) => {
          try {
            if (await this.take(s)) s.gated = true;
            else s.error = this.refusal(s);
          } catch (err) {
            s.error = err;
          }
        }),
    );
    const live = slots.filter((s) => !s.error);
    if (live.length) {
      try {
        await withTransaction(this.dataSource, { ...ctx, requestId: `batch:${ctx.requestId}` }, async (tx) => {
          // From scratch on every attempt (MySQL may pick the batch as a deadlock victim).
          for (const s of live) s.error = s.out = undefined;
          await this.decideAndWrite(tx, live);
        });
      } catch (err) {
        this.stats.fallbacks++;
        ctx.log.warn({ err: (err as Error).message, size: live.length }, `${this.what} batch failed as a whole; deciding its requests one by one`);
        await Promise.all(
          live.map(async (s) => {
            s.error = s.out = undefined;
            try {
              s.out = await this.alone(s);
            } catch (e) {
              s.error = e;
            }
          }),
        );
      }
    }
    await Promise.all(slots.filter((s) => s.gated && s.out === undefined).map((s) => this.give(s).catch(() => undefined)));
    return slots.map((s) => (s.out !== undefined ? settledOk(s.out) : settledError<O>(s.error)));
  }
}

/**
 * A batch's per-key counters (per-user units and open groups of a campaign, per-user claims of a
 * coupon): adds each key's summed amounts to its row with ONE `UPDATE … CASE` (one CASE per counter
 * column), on rows the batch's transaction already holds locked, and checks every row was touched.
 * `table` and `cols` are the calling module's own (its table, its two key columns and the counter
 * columns); `items` are `[keyA, keyB, ...one amount per counter]`; the values are bound parameters.
 */
export async function addToCounters(
  tx: ServiceContext,
  table: string,
  cols: { keys: readonly [string, string]; counters: readonly string[] },
  items: ReadonlyArray<readonly number[]>,
): Promise<void> {
  const sums = new Map<string, number[]>();
  for (const [a, b, ...ns] of items) {
    const e = sums.get(`${a}:${b}`) ?? [a!, b!, ...cols.counters.map(() => 0)];
    ns.forEach((n, i) => (e[2 + i]! += n));
    sums.set(`${a}:${b}`, e);
  }
  const rows = [...sums.values()];
  const [ka, kb] = cols.keys;
  const when = rows.map(() => `WHEN ${ka} = ? AND ${kb} = ? THEN ?`).join(' ');
  const set = cols.counters.map((c) => `${c} = ${c} + CASE ${when} ELSE 0 END`).join(', ');
  const res = await tx.manager.query(`UPDATE ${table} SET ${set} WHERE (${ka}, ${kb}) IN (${rows.map(() => '(?, ?)').join(', ')})`, [
    ...cols.counters.flatMap((_, i) => rows.flatMap((r) => [r[0], r[1], r[2 + i]])),
    ...rows.flatMap(([a, b]) => [a, b]),
  ]);
  if (affectedRows(res) !== rows.length) throw new Error(`${table}: counter update touched ${affectedRows(res)} of ${rows.length} rows`);
}

/**
 * A batch's rows whose ids it needs one by one (a coupon's id is its answer, a group's id goes into its
 * order), written by ONE multi-row INSERT instead of an INSERT per row. Where the server promises
 * consecutive ids for one statement (`innodb_autoinc_lock_mode` 0 or 1, MariaDB's default; see
 * `insertedIds`) they are computed from LAST_INSERT_ID and nothing is read. Otherwise (MySQL 8's 2
 * interleaves concurrent statements, so ids only increase in row order) one read takes, in id order,
 * the rows with id >= that first id that match `mine` (SQL on the table's own columns): values only
 * this transaction can be writing now, e.g. keys whose counter rows it holds locked and the batch's
 * own timestamp. It checks there are exactly as many as were inserted, each with the `key` of its
 * input row. Anything else throws: the batch's transaction rolls back and its requests are decided one by one,
 * so an id is never guessed.
 */
export async function insertReturningIds<E extends ObjectLiteral & { id: number }>(
  tx: ServiceContext,
  entity: EntityTarget<E>,
  rows: Array<QueryDeepPartialEntity<E>>,
  mine: { where: string; params: readonly unknown[] },
  key: keyof E & string,
): Promise<number[]> {
  const res = await insertRows(tx, entity, rows);
  const consecutive = await insertedIds(tx, res, rows.length);
  if (consecutive) return consecutive;
  const found = await selectRows(tx, entity, `(${mine.where}) AND id >= ?`, [...mine.params, res.insertId], { columns: ['id', key], orderBy: 'id' });
  if (found.length !== rows.length || found.some((f, i) => String(f[key]) !== String((rows[i] as Record<string, unknown>)[key]))) {
    throw new Error(`insert read-back found ${found.length} rows for ${rows.length} written (another writer matched)`);
  }
  return found.map((f) => Number(f.id));
}

/**
 * `mine` for `insertReturningIds`: the rows of these `(a, b)` key pairs (e.g. template and user, whose
 * counter rows the batch holds locked) that also match `extra` (e.g. the batch's own timestamp).
 * Column names are the calling module's own; the values are bound.
 */
export function mineOf(a: string, b: string, pairs: ReadonlyArray<readonly [number, number]>, extra: string, extraParams: readonly unknown[]): { where: string; params: unknown[] } {
  const as = [...new Set(pairs.map((p) => p[0]))];
  const bs = [...new Set(pairs.map((p) => p[1]))];
  return { where: `${a} IN ${inList(as.length)} AND ${b} IN ${inList(bs.length)} AND ${extra}`, params: [...as, ...bs, ...extraParams] };
}
