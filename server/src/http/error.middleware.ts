import type { Middleware } from 'koa';
import { ErrorCode } from '@tuan/shared';
import { DomainError, RateLimitedError } from './errors';
import { statusOf } from './error-status';
import type { AppState } from './types';

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'POOL_CLOSED',
  'ER_SERVER_SHUTDOWN',
]);

/** Is this an infrastructure outage (DB or Redis) rather than a bug? Those answer 503, not 500. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string }; name?: string; message?: string };
  const code = e?.driverError?.code ?? e?.code;
  if (code && CONNECTION_ERRORS.has(code)) return true;
  if (e?.name === 'MaxRetriesPerRequestError') return true;
  const msg = e?.message ?? '';
  return /Stream isn't writeable|enableOfflineQueue|Connection is closed|connect ECONNREFUSED|Pool is closed/.test(msg);
}

/**
 * Maps every thrown error to the fixed envelope `{ error: { code, message, details?, requestId } }`.
 * Unknown errors are logged with their stack and answered as a generic 500 without internals.
 */
export function errorMiddleware(): Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { error: { code: ErrorCode.ROUTE_NOT_FOUND, message: `No route for ${ctx.method} ${ctx.path}`, requestId: ctx.state.requestId } };
      }
    } catch (err) {
      const requestId = ctx.state.requestId;
      if (err instanceof DomainError) {
        ctx.status = statusOf(err.code);
        if (err instanceof RateLimitedError) ctx.set('Retry-After', String(err.retryAfterSec));
        ctx.body = { error: { code: err.code, message: err.message, details: err.details, requestId } };
        if (ctx.status >= 500) ctx.state.log.warn({ code: err.code }, err.message);
        return;
      }
      const dbCode = (err as { driverError?: { code?: string } }).driverError?.code;
      if (dbCode === 'ER_LOCK_DEADLOCK' || dbCode === 'ER_LOCK_WAIT_TIMEOUT') {
        // Still conflicting after withTransaction's retries: nothing was written; the client may retry.
        ctx.state.log.warn({ code: dbCode }, 'transaction conflict after retries');
        ctx.status = 409;
        ctx.body = { error: { code: ErrorCode.CONFLICT, message: 'Too many concurrent changes; retry', requestId } };
        return;
      }
      if (isUnavailable(err)) {
        ctx.state.log.error({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, 'backing service unavailable');
        ctx.status = 503;
        ctx.set('Retry-After', '2');
        ctx.body = { error: { code: ErrorCode.SERVICE_UNAVAILABLE, message: 'Service temporarily unavailable; retry shortly', requestId } };
        return;
      }
      ctx.state.log.error({ err }, 'unhandled error');
      ctx.status = 500;
      ctx.body = { error: { code: ErrorCode.INTERNAL, message: 'Internal error', requestId } };
    }
  };
}
