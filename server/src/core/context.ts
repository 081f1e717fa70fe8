import type { EntityManager } from 'typeorm';
import type { AdminRole } from '@tuan/shared';
import type { Logger } from './logger';

/** Who is acting. Services authorize against this, never against ids taken from the request body. */
export type Actor =
  | { kind: 'user'; userId: number }
  | { kind: 'admin'; adminId: number; role: AdminRole; username: string }
  | { kind: 'system'; name: string };

/**
 * Passed first to every service method. `manager` is set inside `withTransaction`, so one
 * transaction spans the whole use case; outside a transaction services use the root manager.
 */
export interface ServiceContext {
  actor: Actor;
  requestId: string;
  log: Logger;
  manager: EntityManager;
  ip?: string;
  /**
   * Set inside `withTransaction`: callbacks run once the outermost transaction committed (never on
   * rollback). For best-effort fast paths only (a Redis wake-up, a cache poke): anything that must
   * happen goes through the outbox (`emit`), which survives a crash between commit and callback.
   */
  afterCommit?: Array<() => unknown>;
}

export function userIdOf(ctx: ServiceContext): number {
  if (ctx.actor.kind !== 'user') throw new Error('user actor required');
  return ctx.actor.userId;
}
