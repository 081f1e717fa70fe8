import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { Middleware } from 'koa';
import { CodedError, ErrorCode } from '@tuan/shared';
import { DomainError } from './errors';
import { statusOf } from './error-status';
import type { AppState } from './types';

const TTL_SEC = 24 * 3600;
const KEY_RE = /^[\w.:-]{8,128}$/;

/** Every middleware `idempotency()` made, so a route can be checked for having one. */
const made = new WeakSet<Middleware<AppState>>();

interface Stored {
  state: 'pending' | 'done';
  hash: string;
  status?: number;
  body?: unknown;
}

/**
 * `Idempotency-Key` on state-changing shopper routes. The first request with a key runs; a replay
 * gets the first response again; a duplicate arriving while the first still runs gets 409; the same
 * key with a different body gets 422. Keys are per user and live 24 h. A 5xx is not remembered, so
 * the client may retry it. Without the header the route runs normally.
 */
export function idempotency(redis: Redis, prefix: string, scope: string): Middleware<AppState> {
  const middleware: Middleware<AppState> = async (ctx, next) => {
    const key = ctx.get('idempotency-key');
    if (!key) return next();
    if (!KEY_RE.test(key)) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'Idempotency-Key must be 8–128 characters of [A-Za-z0-9_.:-]');
    const owner = ctx.state.user?.id ?? 'anon';
    const rkey = `${prefix}idem:{${owner}}:${scope}:${key}`;
    const hash = createHash('sha256').update(ctx.method).update(ctx.path).update(ctx.request.rawBody ?? '').digest('hex');
    const claimed = await redis.set(rkey, JSON.stringify({ state: 'pending', hash } satisfies Stored), 'EX', TTL_SEC, 'NX');
    if (claimed !== 'OK') {
      const raw = await redis.get(rkey);
      const prev = raw ? (JSON.parse(raw) as Stored) : null;
      if (prev && prev.hash !== hash) throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This Idempotency-Key was used with a different request');
      if (!prev || prev.state === 'pending') throw new DomainError(ErrorCode.IDEMPOTENCY_IN_PROGRESS, 'A request with this Idempotency-Key is still being processed');
      ctx.status = prev.status!;
      ctx.body = prev.body;
      ctx.set('Idempotent-Replayed', 'true');
      return;
    }
    try {
      await next();
      await redis.set(rkey, JSON.stringify({ state: 'done', hash, status: ctx.status, body: ctx.body } satisfies Stored), 'EX', TTL_SEC);
    } catch (err) {
      if (err instanceof CodedError && statusOf(err.code) < 500) {
        const body = { error: { code: err.code, message: err.message, details: err.details, requestId: ctx.state.requestId } };
        await redis.set(rkey, JSON.stringify({ state: 'done', hash, status: statusOf(err.code), body } satisfies Stored), 'EX', TTL_SEC);
      } else {
        await redis.del(rkey).catch(() => undefined);
      }
      throw err;
    }
  };
  made.add(middleware);
  return middleware;
}

/** Whether `mw` came from `idempotency()`: ApiRouter checks it against the contract's `idempotent`. */
export function isIdempotencyMiddleware(mw: Middleware<AppState>): boolean {
  return made.has(mw);
}
