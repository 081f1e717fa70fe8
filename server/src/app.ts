import { dirname, join } from 'node:path';
import Koa from 'koa';
import { createSystemContext } from './core/system';
import type { Infra } from './core/infra';
import { withTimeout } from './core/infra';
import { bodyMiddleware } from './http/body.middleware';
import { errorMiddleware } from './http/error.middleware';
import { createAuthenticators } from './http/auth.middleware';
import { DOCS_HTML, DOCS_INIT_JS, buildOpenApi } from './http/openapi';
import { requestIdMiddleware } from './http/request-id.middleware';
import { ApiRouter } from './http/route';
import { serveStatic } from './http/static.middleware';
import type { AppContext, AppState } from './http/types';
import { AdminService, registerAdminRoutes } from './modules/admin';
import { AuthService, DevLoginProvider, TokenService, WechatLoginProvider, registerAuthRoutes, type LoginProvider } from './modules/auth';
import { CatalogService, registerCatalogAdminRoutes, registerCatalogRoutes } from './modules/catalog';

export interface Services {
  tokens: TokenService;
  auth: AuthService;
  admin: AdminService;
  catalog: CatalogService;
}

export function createServices(infra: Infra): Services {
  const { config, dataSource, cipher } = infra;
  const tokens = new TokenService(config.JWT_SECRET, config.JWT_ISSUER, config.ACCESS_TOKEN_TTL_SEC);
  const provider: LoginProvider =
    config.LOGIN_PROVIDER === 'wechat'
      ? new WechatLoginProvider({ appId: config.WECHAT_APP_ID, appSecret: config.WECHAT_APP_SECRET, apiBase: config.WECHAT_API_BASE, timeoutMs: config.WECHAT_TIMEOUT_MS })
      : new DevLoginProvider(config.NODE_ENV);
  return {
    tokens,
    auth: new AuthService({ dataSource, tokens, provider, cipher, refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS }),
    admin: new AdminService(dataSource, tokens),
    catalog: new CatalogService(dataSource),
  };
}

const STATIC_DIR = join(__dirname, '..', 'static');
const SWAGGER_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

/**
 * The Koa app. Middleware order: request id → errors → CORS → body → routes (each route adds its
 * own auth and validation).
 */
export function createApp(infra: Infra, services: Services = createServices(infra)) {
  const { config } = infra;
  const app = new Koa<AppState, AppContext>({ proxy: config.TRUST_PROXY });
  const api = new ApiRouter(createAuthenticators(services.tokens, services.admin), infra.dataSource);
  registerAuthRoutes(api, services.auth, infra.limiter, config.LOGIN_RATE_LIMIT_PER_MIN);
  registerAdminRoutes(api, services.admin, infra.limiter, config.LOGIN_RATE_LIMIT_PER_MIN);
  registerCatalogRoutes(api, services.catalog);
  registerCatalogAdminRoutes(api, services.catalog);

  const openapi = buildOpenApi(api.docs, { title: 'Tuan (团) API', version: '0.1.0' });
  const corsOrigins = new Set(config.CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean));

  app.use(requestIdMiddleware(infra.log));
  app.use(errorMiddleware());
  app.use(async (ctx, next) => {
    const origin = ctx.get('origin');
    if (origin && corsOrigins.has(origin)) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Vary', 'Origin');
      ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, Idempotency-Key, X-Request-Id');
      ctx.set('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
      if (ctx.method === 'OPTIONS') {
        ctx.status = 204;
        return;
      }
    }
    ctx.set('X-Content-Type-Options', 'nosniff');
    return next();
  });
  app.use(async (ctx, next) => {
    switch (ctx.path) {
      case '/healthz':
        ctx.body = { status: 'ok', serverTime: new Date().toISOString() };
        return;
      case '/readyz': {
        const checks = await readiness(infra);
        ctx.status = checks.ok ? 200 : 503;
        ctx.body = { status: checks.ok ? 'ready' : 'unavailable', checks: checks.detail, serverTime: new Date().toISOString() };
        return;
      }
      case '/openapi.json':
        ctx.body = openapi;
        return;
      case '/docs':
      case '/docs/':
        ctx.type = 'html';
        ctx.body = DOCS_HTML;
        return;
      case '/docs/init.js':
        ctx.type = 'application/javascript';
        ctx.body = DOCS_INIT_JS;
        return;
      default:
        return next();
    }
  });
  app.use(serveStatic('/static', STATIC_DIR, 86400));
  app.use(serveStatic('/docs/assets', SWAGGER_DIR, 86400));
  app.use(bodyMiddleware({ limitBytes: config.BODY_LIMIT_BYTES }));
  app.use(api.router.routes());
  app.use(api.router.allowedMethods());
  return { app, services, openapi, system: () => createSystemContext(infra) };
}

async function readiness(infra: Infra): Promise<{ ok: boolean; detail: Record<string, string> }> {
  const detail: Record<string, string> = {};
  await Promise.all([
    withTimeout(infra.dataSource.query('SELECT 1'), 1000, 'mysql').then(
      () => (detail.mysql = 'ok'),
      (e: Error) => (detail.mysql = e.message),
    ),
    withTimeout(infra.redis.ping(), 1000, 'redis').then(
      () => (detail.redis = 'ok'),
      (e: Error) => (detail.redis = e.message),
    ),
  ]);
  return { ok: detail.mysql === 'ok' && detail.redis === 'ok', detail };
}
