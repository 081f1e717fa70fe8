import { send } from '@koa/send';
import type { Middleware } from 'koa';
import type { AppState } from './types';

/**
 * Serves files under `dir` at `prefix` with `@koa/send` (path resolution that never leaves `dir`,
 * content type, length, Last-Modified, max-age). The prefix mount is ours: `koa-static` has none
 * without `koa-mount`. Anything `send` refuses (missing, hidden, malformed or escaping path) falls
 * through to the router, which answers 404 — so a refused path reveals nothing about the disk.
 */
export function serveStatic(prefix: string, dir: string, maxAgeSec = 3600, opts: { crossOrigin?: boolean } = {}): Middleware<AppState> {
  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !ctx.path.startsWith(prefix + '/')) return next();
    let served: string | undefined;
    try {
      served = await send(ctx as never, ctx.path.slice(prefix.length + 1), {
        root: dir,
        maxage: maxAgeSec * 1000,
        gzip: false,
        brotli: false,
        // Product images are embedded by pages on other origins (h5 behind a CDN, the mini-program).
        setHeaders: opts.crossOrigin ? (res) => res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin') : undefined,
      });
    } catch (err) {
      if ((err as { status?: number }).status && (err as { status: number }).status < 500) return next();
      throw err;
    }
    if (!served) return next();
  };
}
