import Router, { type RouterContext } from '@koa/router';
import type { Middleware } from 'koa';
import { z, type ZodType } from 'zod';
import type { AdminRole } from '@tuan/shared';
import { isRouteContract, type AnyRouteContract, type RouteContract, type RouteInput } from '@tuan/shared/contracts';
import type { ServiceContext } from '../core/context';
import type { DataSource } from 'typeorm';
import { ValidationError } from './errors';
import { isIdempotencyMiddleware } from './idempotency.middleware';
import { PublicCache } from './public-cache';
import type { AppContext, AppState } from './types';

/** What the OpenAPI generator needs to know about a route: its contract. */
export type RouteDoc = AnyRouteContract;

/** Server-only concerns of a route, which its shared contract does not describe. */
export interface RouteOptions {
  /** Extra middleware run after auth and before validation (rate limits, idempotency). */
  before?: Middleware<AppState>[];
  /**
   * A public read answered from the process's `PublicCache` (≤ its TTL old; cleared by any write this
   * process answers), with `Cache-Control: public, max-age=<TTL>`. Only for `public` GET routes whose
   * answer is the same for everybody.
   */
  cached?: boolean;
}

/**
 * A read that is the same for everybody except a few top-level fields about the caller (an
 * `optional`-auth GET such as the group page: members and countdown for all, `myRole` for me). The
 * shared part is built as for an anonymous caller and kept in the `PublicCache` like a public read
 * (same TTL, same clearing); `viewer` answers the caller's fields on every request (`null` for an
 * anonymous caller: the shared part as it is). The answer stays `no-store`: it is personalised.
 */
export interface ViewerCachedOptions<I, R> {
  /** The caller's fields, each a nullable top-level field of the route's response. */
  fields: ReadonlyArray<keyof R & string>;
  viewer: (input: I, sctx: ServiceContext) => Promise<Partial<R> | null>;
}

/** Checks a viewer-cached route once, at registration, and builds the schema of its viewer fields. */
function viewerFieldsOf<I, R>(name: string, contract: AnyRouteContract, o: ViewerCachedOptions<I, R>): { read: ViewerCachedOptions<I, R>['viewer']; schema: ZodType } {
  if (!(contract.method === 'get' && contract.auth === 'optional') || !(contract.response instanceof z.ZodObject)) {
    throw new Error(`${name}: only optional-auth GET routes answering an object may be cached apart from their viewer fields`);
  }
  const shape = contract.response.shape as Record<string, ZodType>;
  const missing = o.fields.filter((f) => !shape[f]);
  if (missing.length) throw new Error(`${name}: viewer fields ${missing.join(', ')} are not in the response`);
  return { read: o.viewer, schema: z.object(Object.fromEntries(o.fields.map((f) => [f, shape[f]!]))).strict() };
}

export interface Authenticators {
  user: Middleware<AppState>;
  optionalUser: Middleware<AppState>;
  admin: (roles: readonly AdminRole[]) => Middleware<AppState>;
}

export type Ctx = RouterContext<AppState, AppContext>;

/**
 * A router whose routes are the route contracts of `@tuan/shared`, the same declarations the
 * mini-program calls. The contract validates input (unknown fields stripped, so `status`, `userId`
 * or `amount` can never be mass-assigned), checks the output against its schema (which also strips
 * anything not meant to leave the server), and documents the route in /openapi.json.
 */
export class ApiRouter {
  /**
   * One koa-router per first two path segments (`/api/groups`, `/admin/orders`): koa-router tests a
   * request against every route it holds, one regular expression each, and with all 137 routes in one
   * router that matching was 4.5 % of an API process's CPU on joins and 7.5 % on claims (`perf`,
   * 2026-12-03). A request is now matched only against its own group's routes. Every route of one path
   * is in one group, so 405/`Allow` and OPTIONS come out as before.
   */
  private readonly routers = new Map<string, { router: Router<AppState, AppContext>; serve: Middleware<AppState> }>();
  /** The contracts served, in registration order (OpenAPI and the contracts test read them). */
  readonly docs: RouteDoc[] = [];

  constructor(
    private readonly auth: Authenticators,
    private readonly dataSource: DataSource,
    private readonly cache: PublicCache = new PublicCache(0),
  ) {}

  add<P extends ZodType | undefined, Q extends ZodType | undefined, B extends ZodType | undefined, R extends ZodType>(
    contract: RouteContract<P, Q, B, R>,
    handler: (input: RouteInput<RouteContract<P, Q, B, R>>, sctx: ServiceContext, ctx: Ctx) => Promise<z.input<R>>,
    options: RouteOptions & { cachedExceptViewer?: ViewerCachedOptions<RouteInput<RouteContract<P, Q, B, R>>, z.input<R>> } = {},
  ): void {
    const name = `${contract.method.toUpperCase()} ${contract.path}`;
    // Fail at start-up, not in production traffic: a look-alike object would let a route drift from
    // what clients are built against, and a contract that promises Idempotency-Key must honour it.
    if (!isRouteContract(contract)) throw new Error(`${name}: routes are registered from a defineRoute() contract of @tuan/shared`);
    const before = options.before ?? [];
    if (contract.idempotent !== before.some(isIdempotencyMiddleware)) {
      throw new Error(`${name}: the contract says idempotent=${contract.idempotent} but the idempotency middleware is ${contract.idempotent ? 'missing' : 'present'}`);
    }
    if (options.cached && !isPublicRead(contract)) throw new Error(`${name}: only public GET routes may be cached`);
    const cache = options.cached && this.cache.enabled ? this.cache : null;
    // Checked at start-up even when the cache is off, so a misdeclared route fails everywhere.
    const viewerCached = options.cachedExceptViewer ? viewerFieldsOf(name, contract, options.cachedExceptViewer) : null;
    const viewer = this.cache.enabled ? viewerCached : null;
    this.docs.push(contract);
    const chain: Middleware<AppState>[] = [];
    // First in the chain, so even a 401 from the auth step carries it.
    if (!isPublicRead(contract)) chain.push(noStore);
    if (contract.auth === 'user') chain.push(this.auth.user);
    else if (contract.auth === 'optional') chain.push(this.auth.optionalUser);
    else if (contract.auth !== 'public') chain.push(this.auth.admin(contract.auth.roles));
    chain.push(...before);
    const dataSource = this.dataSource;
    chain.push(async (ctx) => {
      const c = ctx as Ctx;
      const input = {
        params: parse(contract.params, c.params, 'path'),
        query: parse(contract.query, ctx.query, 'query'),
        body: parse(contract.body, ctx.request.body, 'body'),
      } as RouteInput<RouteContract<P, Q, B, R>>;
      // `state` other than the request's own: the shared part of a viewer-cached read is built anonymously.
      const answer = async (state: AppState = ctx.state) => {
        const result = await handler(input, serviceContextOf(state, dataSource, ctx.ip), c);
        const checked = contract.response.safeParse(result);
        if (!checked.success) {
          // A response that breaks its own schema is a server bug; never send it half-right.
          throw new Error(`response of ${name} breaks its schema: ${checked.error.message}`);
        }
        return checked.data;
      };
      if (viewer) {
        const shared = await this.cache.get(`${name} ${JSON.stringify(input)}`, () => answer({ ...ctx.state, user: undefined }));
        const mine = await viewer.read(input, serviceContextOf(ctx.state, dataSource, ctx.ip));
        if (mine) {
          // The caller's fields are checked against the route's schema like any answer.
          const checked = viewer.schema.safeParse(mine);
          if (!checked.success) throw new Error(`viewer fields of ${name} break its schema: ${checked.error.message}`);
        }
        ctx.status = contract.status;
        ctx.type = 'application/json';
        ctx.body = mine ? personalise(name, shared, mine) : shared;
        return;
      }
      if (cache) {
        // Keyed by the parsed input: two spellings of one query share an entry.
        const json = await cache.get(`${name} ${JSON.stringify(input)}`, answer);
        ctx.status = contract.status;
        ctx.type = 'application/json';
        // Shared caches (a CDN or proxy in front) may keep it for the cache's TTL; browsers revalidate
        // every time, so a shopper never holds an answer older than the server's own second.
        ctx.set('Cache-Control', `public, max-age=0, s-maxage=${Math.max(1, Math.round(cache.ttlMs / 1000))}`);
        ctx.body = json;
        return;
      }
      const data = await answer();
      ctx.status = contract.status;
      ctx.body = data;
    });
    this.routerOf(name, contract.path).register(contract.path, [contract.method.toUpperCase()], chain as never);
  }

  /**
   * The middleware serving every route: the request's group's router, then its `allowedMethods()`
   * (405 with `Allow`, OPTIONS). A path of no group goes through an empty router, so it is answered
   * exactly as a single router answered a path none of its routes matched.
   */
  routes(): Middleware<AppState> {
    const none = serveRouter(new Router<AppState, AppContext>());
    return (ctx, next) => (this.routers.get(groupOf(ctx.path))?.serve ?? none)(ctx, next);
  }

  private routerOf(name: string, path: string): Router<AppState, AppContext> {
    const key = groupOf(path);
    // The group is read from the request's path before any route matches, so it must be literal.
    if (!/^(\/[a-z0-9._-]+){1,2}$/.test(key)) throw new Error(`${name}: the first two segments of a route's path must be literal (the router dispatches by them)`);
    let group = this.routers.get(key);
    if (!group) {
      // koa-router's middleware reads its routes when a request comes, so routes added later are served.
      const router = new Router<AppState, AppContext>();
      this.routers.set(key, (group = { router, serve: serveRouter(router) }));
    }
    return group.router;
  }
}

/** A router's routes, then its `allowedMethods()` for what none of them answered. */
function serveRouter(r: Router<AppState, AppContext>): Middleware<AppState> {
  const routes = r.routes() as unknown as Middleware<AppState>;
  const allowed = r.allowedMethods() as unknown as Middleware<AppState>;
  return (ctx, next) => routes(ctx, () => allowed(ctx, next));
}

/**
 * A path's first two segments, lower-cased as koa-router matches (case-insensitive; a trailing slash
 * is optional): `/API/Groups/7/join` and `/api/groups/` → `/api/groups`, `/api/` → `/api`.
 */
function groupOf(path: string): string {
  return (/^\/[^/]*(?:\/[^/]*)?/.exec(path)?.[0] ?? '').replace(/\/$/, '').toLowerCase();
}

/**
 * The shared JSON text with the caller's top-level fields filled in. The shared part was built for an
 * anonymous caller, so each such field is `"key":null` exactly once at the top level — a string value
 * cannot contain that sequence (its quotes are escaped), and a nested object with the same key would
 * make two: refused, never guessed.
 */
function personalise(name: string, shared: string, fields: Record<string, unknown>): string {
  let text = shared;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    const marker = `"${key}":null`;
    const at = text.indexOf(marker);
    if (at < 0 || text.indexOf(marker, at + 1) >= 0) throw new Error(`${name}: viewer field ${key} is not one top-level null of the shared answer`);
    text = `${text.slice(0, at)}"${key}":${JSON.stringify(value)}${text.slice(at + marker.length)}`;
  }
  return text;
}

/**
 * Caching rule: only public reads (GET on a `public` route — the catalogue, running campaigns) may be
 * stored by browsers and proxies. Everything else answers for someone (a shopper or operator token,
 * or an optional one that personalises the answer) or hands out tokens (the public login and
 * refresh POSTs), so it is `no-store`.
 */
function isPublicRead(def: Pick<RouteDoc, 'method' | 'auth'>): boolean {
  return def.auth === 'public' && def.method === 'get';
}

const noStore: Middleware<AppState> = (ctx, next) => {
  ctx.set('Cache-Control', 'no-store');
  return next();
};

function parse(schema: ZodType | undefined, value: unknown, where: 'path' | 'query' | 'body'): unknown {
  if (!schema) {
    if (where === 'body' && value !== undefined) {
      // Routes without a body schema accept only an empty object (clients often send `{}`).
      if (typeof value === 'object' && value !== null && Object.keys(value).length === 0) return undefined;
      throw new ValidationError('This route takes no request body');
    }
    return {};
  }
  const r = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message, code: i.code }));
    const first = issues[0];
    throw new ValidationError(first ? `${first.path}: ${first.message}` : `invalid ${where}`, { issues });
  }
  return r.data;
}

export function serviceContextOf(state: AppState, dataSource: DataSource, ip?: string): ServiceContext {
  const actor: ServiceContext['actor'] = state.admin
    ? { kind: 'admin', adminId: state.admin.id, role: state.admin.role, username: state.admin.username }
    : state.user
      ? { kind: 'user', userId: state.user.id }
      : { kind: 'system', name: 'anonymous' };
  return { actor, requestId: state.requestId, log: state.log, manager: dataSource.manager, ip };
}
