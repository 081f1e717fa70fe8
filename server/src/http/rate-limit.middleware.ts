import type { Middleware } from 'koa';
import type { RateLimiter } from '../core/rate-limit';
import type { AppState } from './types';

/** Per-subject fixed-window limit (subject defaults to the client IP). */
export function rateLimit(
  limiter: RateLimiter,
  opts: { name: string; limit: number; windowSec: number; subject?: (state: AppState, ip: string) => string },
): Middleware<AppState> {
  return async (ctx, next) => {
    const subject = opts.subject ? opts.subject(ctx.state, ctx.ip) : ctx.ip;
    await limiter.hit(opts.name, subject, opts.limit, opts.windowSec);
    return next();
  };
}
