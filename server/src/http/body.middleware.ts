import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { ErrorCode } from '@tuan/shared';
import { DomainError } from './errors';
import type { AppState } from './types';

/** `application/json` and any `application/*+json` (what the hand-written parser accepted). */
const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * JSON request bodies through `@koa/bodyparser`, with a hard size limit. It leaves the parsed value
 * on `ctx.request.body` and the exact text on `ctx.request.rawBody`, which payment notifications are
 * verified over and idempotency keys are hashed over.
 *
 * Kept by hand, because the library does not do it: refusing a non-empty body that is not JSON
 * (the library silently skips types it does not parse, and the route would then see no body), and
 * turning its errors into our envelope codes.
 */
export function bodyMiddleware(opts: { limitBytes: number }): Middleware<AppState> {
  const parse = bodyParser({
    enableTypes: ['json'],
    detectJSON: (ctx) => Boolean(ctx.is(JSON_TYPES)),
    parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    jsonLimit: opts.limitBytes,
    onError: (err, ctx) => {
      throw bodyError(err as Error & { status?: number; type?: string }, opts.limitBytes, () => ctx.set('Connection', 'close'));
    },
  });
  return async (ctx, next) => {
    const declared = Number(ctx.get('content-length') || '0');
    const hasBody = declared > 0 || ctx.get('transfer-encoding') !== '';
    if (hasBody && !ctx.is(JSON_TYPES)) throw new DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Request body must be application/json');
    return parse(ctx as never, next);
  };
}

function bodyError(err: Error & { status?: number; type?: string }, limitBytes: number, closeConnection: () => void): Error {
  if (err.status === 413) {
    // Close rather than drain: a client that keeps sending would otherwise hold the socket.
    closeConnection();
    return new DomainError(ErrorCode.PAYLOAD_TOO_LARGE, `Request body exceeds ${limitBytes} bytes`, { limitBytes });
  }
  if (err.status === 415) return new DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Unsupported body encoding or charset');
  if (err.status === 400) return new DomainError(ErrorCode.MALFORMED_JSON, 'Request body is not valid JSON');
  return err;
}
