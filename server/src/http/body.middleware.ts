import type { Middleware } from 'koa';
import { ErrorCode } from '@tuan/shared';
import { DomainError } from './errors';
import type { AppState } from './types';

/**
 * Reads the request body with a hard size limit and parses JSON. The raw bytes are kept on
 * `ctx.state.rawBody` because payment notifications are verified over the exact bytes received.
 */
export function bodyMiddleware(opts: { limitBytes: number }): Middleware<AppState> {
  return async (ctx, next) => {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method)) return next();
    const declared = Number(ctx.get('content-length') || '0');
    if (declared > opts.limitBytes) throw tooLarge(opts.limitBytes);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      size += (chunk as Buffer).length;
      if (size > opts.limitBytes) {
        ctx.req.resume(); // drain the rest so the socket can be reused
        throw tooLarge(opts.limitBytes);
      }
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks);
    ctx.state.rawBody = raw;
    if (raw.length === 0) return next();
    const type = ctx.get('content-type');
    if (!/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
      throw new DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Request body must be application/json');
    }
    try {
      ctx.state.body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new DomainError(ErrorCode.MALFORMED_JSON, 'Request body is not valid JSON');
    }
    return next();
  };
}

function tooLarge(limit: number) {
  return new DomainError(ErrorCode.PAYLOAD_TOO_LARGE, `Request body exceeds ${limit} bytes`, { limitBytes: limit });
}
