import type { DataSource, EntityManager } from 'typeorm';
import type { ServiceContext } from './context';

const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);
const MAX_ATTEMPTS = 4;

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
      const result = await dataSource.transaction('READ COMMITTED', (manager: EntityManager) => fn({ ...ctx, manager, afterCommit }));
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
