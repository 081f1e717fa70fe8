import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../core/logger';
import type { AppState } from './types';

const SAFE_ID = /^[\w.-]{8,64}$/;

/** A request id on every log line and in every error envelope; a caller's own id is kept if sane. */
export function requestIdMiddleware(log: Logger): Middleware<AppState> {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = SAFE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = log.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      ctx.state.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    }
  };
}
