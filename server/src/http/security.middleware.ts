import cors from '@koa/cors';
import helmet from 'koa-helmet';
import type { Middleware } from 'koa';
import type { AppState } from './types';

/** The API answers JSON only: nothing it sends may load anything, be framed, or leak a referrer. */
const API_CSP = { "default-src": ["'none'"], "frame-ancestors": ["'none'"], "base-uri": ["'none'"], "form-action": ["'none'"] };

/**
 * The Swagger UI page (/docs): its own scripts and styles from this origin only (the bootstrap is
 * the separate /docs/init.js, so no inline script is needed); Swagger UI sets inline styles and
 * shows data: images; "Try it out" calls this origin. Never framed.
 */
const DOCS_CSP = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'", "'unsafe-inline'"],
  "img-src": ["'self'", 'data:'],
  "connect-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'none'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
};

/**
 * Security headers from `koa-helmet` (helmet's defaults: HSTS, nosniff, COOP/CORP, …) with
 * X-Frame-Options DENY, `Referrer-Policy: no-referrer`, and a CSP per kind of answer.
 */
export function securityHeaders(docsPrefix = '/docs'): Middleware<AppState> {
  const common = { xFrameOptions: { action: 'deny' as const }, referrerPolicy: { policy: 'no-referrer' as const } };
  const api = helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: API_CSP } });
  const docs = helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: DOCS_CSP } });
  return (ctx, next) => (ctx.path === docsPrefix || ctx.path.startsWith(`${docsPrefix}/`) ? docs : api)(ctx as never, next);
}

/**
 * CORS through `@koa/cors` for the configured origins only (the h5 build); any other origin gets
 * no CORS headers at all, so the browser blocks it.
 */
export function corsFor(origins: readonly string[]): Middleware<AppState> {
  const allowed = new Set(origins);
  return cors({
    origin: (ctx) => (allowed.has(ctx.get('origin')) ? ctx.get('origin') : ''),
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
  }) as Middleware<AppState>;
}
