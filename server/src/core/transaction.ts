import type { DataSource, EntityManager } from 'typeorm';
import type { ServiceContext } from './context';

const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);
const MAX_ATTEMPTS = 4;

/**
 * Pooled connections whose session isolation is already READ COMMITTED. Set once per connection
 * instead of `SET TRANSACTION ISOLATION LEVEL` before every transaction: one round trip less on every
 * write (a join is a dozen statements, so it shows). A connection the pool replaces is a new object
 * and gets set again.
 */
const readCommitted = new WeakSet<object>();

/**
 * Runs `fn` in one transaction. A transaction that is already open (ctx.manager inside
 * withTransaction) is reused, so services compose. Deadlocks and lock-wait timeouts are retried
 * with jitter: under contention MySQL picks a victim, and the victim's work is safe to redo because
 * nothing of it was committed.
 */
export async function withTransaction<T>(
  dataSource: DataSource,
  ctx: ServiceContext,
  fn: (tx: ServiceContext) => Promise<T>,
): Promise<T> {
  if (ctx.manager.queryRunner?.isTransactionActive) return fn(ctx);
  for (let attempt = 1; ; attempt++) {
    try {
      const afterCommit: Array<() => unknown> = [];
      const result = await inReadCommitted(dataSource, (manager) => fn({ ...ctx, manager, afterCommit }));
      for (const cb of afterCommit) {
        try {
          await cb();
        } catch (err) {
          ctx.log.warn({ err: (err as Error).message }, 'after-commit callback failed');
        }
      }
      return result;
    } catch (err) {
      const code = (err as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (err as { code?: string }).code;
      if (!code || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw err;
      ctx.log.warn({ code, attempt }, 'transaction retried');
      await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
    }
  }
}

/** `dataSource.transaction('READ COMMITTED', fn)` without the per-transaction SET (see `readCommitted`). */
async function inReadCommitted<T>(dataSource: DataSource, fn: (manager: EntityManager) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    const connection = (await runner.connect()) as object;
    if (!readCommitted.has(connection)) {
      await runner.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
      readCommitted.add(connection);
    }
    await runner.startTransaction();
    try {
      const result = await fn(runner.manager);
      await runner.commitTransaction();
      return result;
    } catch (err) {
      try {
        await runner.rollbackTransaction();
      } catch {
        // The connection may be gone (that is often why we are here); the original error matters.
      }
      throw err;
    }
  } finally {
    await runner.release();
  }
}

/** affectedRows of an UPDATE/DELETE/INSERT run through `manager.query`. */
export function affectedRows(result: unknown): number {
  if (Array.isArray(result)) return affectedRows(result[1] ?? result[0]);
  const r = result as { affectedRows?: number } | undefined;
  return r?.affectedRows ?? 0;
}

export function insertId(result: unknown): number {
  const r = result as { insertId?: number } | undefined;
  if (!r?.insertId) throw new Error('INSERT returned no insertId');
  return Number(r.insertId);
}

/** Whether a write failed on a unique key (the row exists: someone else did it first). */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e.code === 'ER_DUP_ENTRY' || e.driverError?.code === 'ER_DUP_ENTRY';
}
