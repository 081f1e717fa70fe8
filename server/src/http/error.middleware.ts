import type { Middleware, ParameterizedContext } from 'koa';
import { CodedError, ErrorCode } from '@tuan/shared';
import { RateLimitedError } from './errors';
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
      if (ctx.status >= 400 && (ctx.body === undefined || ctx.body === null)) bareAnswer(ctx);
    } catch (err) {
      const requestId = ctx.state.requestId;
      if (err instanceof CodedError) {
        ctx.status = statusOf(err.code);
        if (err instanceof RateLimitedError) ctx.set('Retry-After', String(err.retryAfterSec));
        ctx.body = { error: { code: err.code, message: err.message, details: err.details, requestId } };
        if (ctx.status >= 500) ctx.state.log.warn({ code: err.code }, err.message);
        return;
      }
      const http = err as { status?: unknown; expose?: unknown; message?: string };
      if (http.expose === true && typeof http.status === 'number' && http.status >= 400 && http.status < 500) {
        // An HTTP error a library threw on purpose (http-errors): the client's mistake, not ours.
        const code = codeForStatus(http.status);
        ctx.status = statusOf(code);
        ctx.body = { error: { code, message: http.message ?? 'Bad request', requestId } };
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

/**
 * Answers nobody gave a body: nothing matched (404), or the router matched the path but not the
 * method — it says 405, or 501 for a method it does not know at all (TRACE, PROPFIND…). Both become
 * 405 METHOD_NOT_ALLOWED with the router's `Allow` header: an unknown method is the client's
 * mistake, not a server failure. A 501 on a path that has no routes is a plain 404.
 */
function bareAnswer(ctx: ParameterizedContext<AppState>): void {
  const requestId = ctx.state.requestId;
  const allow = ctx.response.get('Allow');
  if ((ctx.status === 405 || ctx.status === 501) && allow) {
    ctx.status = 405;
    ctx.body = { error: { code: ErrorCode.METHOD_NOT_ALLOWED, message: `${ctx.method} is not allowed here; use ${allow}`, details: { allow: allow.split(/,\s*/) }, requestId } };
  } else if (ctx.status === 404 || ctx.status === 405 || ctx.status === 501) {
    ctx.status = 404;
    ctx.body = { error: { code: ErrorCode.ROUTE_NOT_FOUND, message: `No route for ${ctx.method} ${ctx.path}`, requestId } };
  } else {
    const code = codeForStatus(ctx.status);
    ctx.status = statusOf(code);
    ctx.body = { error: { code, message: code === ErrorCode.INTERNAL ? 'Internal error' : 'Bad request', requestId } };
  }
}

/** Library HTTP errors and bare statuses carry no code of ours: the nearest stable one. */
const CODE_OF_STATUS: Partial<Record<number, ErrorCode>> = {
  401: ErrorCode.UNAUTHENTICATED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.METHOD_NOT_ALLOWED,
  409: ErrorCode.CONFLICT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: ErrorCode.RATE_LIMITED,
};

function codeForStatus(status: number): ErrorCode {
  return status >= 500 ? ErrorCode.INTERNAL : (CODE_OF_STATUS[status] ?? ErrorCode.BAD_REQUEST);
}
