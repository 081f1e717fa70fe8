import Router, { type RouterContext } from '@koa/router';
import type { Middleware } from 'koa';
import { z, type ZodType } from 'zod';
import type { AdminRole } from '@tuan/shared';
import type { ServiceContext } from '../core/context';
import type { DataSource } from 'typeorm';
import { ValidationError } from './errors';
import type { AppContext, AppState } from './types';

/** `optional`: public, but a valid shopper token (if sent) identifies the viewer. */
export type RouteAuth = 'public' | 'optional' | 'user' | { roles: readonly AdminRole[] };
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteDef<P extends ZodType, Q extends ZodType, B extends ZodType, R extends ZodType> {
  method: Method;
  path: string;
  summary: string;
  tags: string[];
  auth: RouteAuth;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  status?: number;
  /** Extra middleware run after auth and before validation (rate limits, idempotency). */
  before?: Middleware<AppState>[];
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

/** What the OpenAPI generator needs to know about a route. */
export interface RouteDoc {
  method: Method;
  path: string;
  summary: string;
  tags: string[];
  auth: RouteAuth;
  params?: ZodType;
  query?: ZodType;
  body?: ZodType;
  response: ZodType;
  status: number;
}

export interface Authenticators {
  user: Middleware<AppState>;
  optionalUser: Middleware<AppState>;
  admin: (roles: readonly AdminRole[]) => Middleware<AppState>;
}

type Ctx = RouterContext<AppState, AppContext>;

/**
 * A router whose routes are declared with the shared zod schemas. The same declaration validates
 * input (unknown fields stripped, so `status`, `userId` or `amount` can never be mass-assigned),
 * checks the output against its schema (which also strips anything not meant to leave the server),
 * and documents the route in /openapi.json.
 */
export class ApiRouter {
  readonly router = new Router<AppState, AppContext>();
  readonly docs: RouteDoc[] = [];

  constructor(
    private readonly auth: Authenticators,
    private readonly dataSource: DataSource,
  ) {}

  add<P extends ZodType = ZodType<Record<string, never>>, Q extends ZodType = ZodType<Record<string, never>>, B extends ZodType = ZodType<undefined>, R extends ZodType = ZodType>(
    def: RouteDef<P, Q, B, R>,
    handler: (input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>, sctx: ServiceContext, ctx: Ctx) => Promise<z.input<R>>,
  ): void {
    const status = def.status ?? (def.method === 'post' ? 201 : 200);
    this.docs.push({ ...def, status });
    const chain: Middleware<AppState>[] = [];
    // First in the chain, so even a 401 from the auth step carries it.
    if (!isPublicRead(def)) chain.push(noStore);
    if (def.auth === 'user') chain.push(this.auth.user);
    else if (def.auth === 'optional') chain.push(this.auth.optionalUser);
    else if (def.auth !== 'public') chain.push(this.auth.admin(def.auth.roles));
    chain.push(...(def.before ?? []));
    const dataSource = this.dataSource;
    chain.push(async (ctx) => {
      const c = ctx as Ctx;
      const input = {
        params: parse(def.params, c.params, 'path'),
        query: parse(def.query, ctx.query, 'query'),
        body: parse(def.body, ctx.request.body, 'body'),
      } as RouteInput<z.output<P>, z.output<Q>, z.output<B>>;
      const sctx = serviceContextOf(ctx.state, dataSource, ctx.ip);
      const result = await handler(input, sctx, c);
      const checked = def.response.safeParse(result);
      if (!checked.success) {
        // A response that breaks its own schema is a server bug; never send it half-right.
        throw new Error(`response of ${def.method.toUpperCase()} ${def.path} breaks its schema: ${checked.error.message}`);
      }
      ctx.status = status;
      ctx.body = checked.data;
    });
    this.router.register(def.path, [def.method.toUpperCase()], chain as never);
  }
}

/**
 * Caching rule: only public reads (GET on a `public` route — the catalogue, running campaigns) may be
 * stored by browsers and proxies. Everything else answers for someone (a shopper or operator token,
 * or an optional one that personalises the answer) or hands out tokens (the public login and
 * refresh POSTs), so it is `no-store`.
 */
function isPublicRead(def: { method: Method; auth: RouteAuth }): boolean {
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
