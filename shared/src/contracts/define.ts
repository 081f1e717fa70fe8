import type { z, ZodObject, ZodType } from 'zod';
import type { AdminRole } from '../enums';

export type RouteMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route. `optional`: public, but a valid shopper token (if sent) identifies the
 * viewer; `{ roles }`: an operator token with one of the roles (the `admin` role always passes).
 */
export type RouteAuth = 'public' | 'optional' | 'user' | { readonly roles: readonly AdminRole[] };

/** A route as both sides see it: the server serves it, clients call it, /openapi.json documents it. */
export interface RouteContract<
  P extends ZodType | undefined = ZodType | undefined,
  Q extends ZodType | undefined = ZodType | undefined,
  B extends ZodType | undefined = ZodType | undefined,
  R extends ZodType = ZodType,
  A extends RouteAuth = RouteAuth,
  I extends boolean = boolean,
> {
  readonly method: RouteMethod;
  /** Koa-style path; `:name` segments are declared by `params`. */
  readonly path: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly auth: A;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly response: R;
  /** Status of a successful answer (201 for POST unless declared, 200 otherwise). */
  readonly status: number;
  /**
   * The route takes an `Idempotency-Key` header: a replay with the same key gets the first answer
   * instead of running again, so a client may retry a lost answer without doing the action twice.
   */
  readonly idempotent: I;
}

/** Any contract, whatever its schemas (for lists and checks). */
export type AnyRouteContract = RouteContract;

/** `'/api/groups/:id/join'` → `'id'`. */
export type PathParamNames<Path extends string> = Path extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParamNames<`/${Rest}`>
  : Path extends `${string}:${infer Name}`
    ? Name
    : never;

/**
 * Checks `params` against the path: an object schema with exactly the path's `:name` segments, absent
 * when there are none. A mismatch demands a property no route has, whose type is the message, so the
 * compiler points at the declaration; the contracts spec checks the same at run time.
 */
type ParamsCheck<Path extends string, P> = [PathParamNames<Path>] extends [never]
  ? [P] extends [undefined]
    ? unknown
    : { paramsMismatch: 'this path has no :params, so it takes no params schema' }
  : P extends ZodObject<infer Shape>
    ? [keyof Shape] extends [PathParamNames<Path>]
      ? [PathParamNames<Path>] extends [keyof Shape]
        ? unknown
        : { paramsMismatch: `params must declare every path parameter: ${PathParamNames<Path>}` }
      : { paramsMismatch: `params must declare only the path parameters: ${PathParamNames<Path>}` }
    : { paramsMismatch: `params must be an object schema of the path parameters: ${PathParamNames<Path>}` };

interface RouteSpec<Path extends string, P, Q, B, R, A, I> {
  method: RouteMethod;
  path: Path;
  summary: string;
  tags: readonly string[];
  auth: A;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  status?: number;
  idempotent?: I;
}

const CONTRACT = Symbol.for('tuan.routeContract');

/**
 * Declares a route once for server and clients. Fills in the defaults (status 201 for POST, 200
 * otherwise; not idempotent) so every consumer reads the same values instead of re-deriving them.
 */
export function defineRoute<
  const Path extends string,
  R extends ZodType,
  const A extends RouteAuth,
  P extends ZodType | undefined = undefined,
  Q extends ZodType | undefined = undefined,
  B extends ZodType | undefined = undefined,
  const I extends boolean = false,
>(s: RouteSpec<Path, P, Q, B, R, A, I> & ParamsCheck<Path, P>): RouteContract<P, Q, B, R, A, I> {
  const contract = {
    method: s.method,
    path: s.path,
    summary: s.summary,
    tags: s.tags,
    auth: s.auth,
    params: s.params as P,
    query: s.query as Q,
    body: s.body as B,
    response: s.response,
    status: s.status ?? (s.method === 'post' ? 201 : 200),
    idempotent: (s.idempotent ?? false) as I,
  };
  // Marked so the server can refuse a hand-written look-alike: every route must come from here.
  Object.defineProperty(contract, CONTRACT, { value: true });
  return Object.freeze(contract);
}

export function isRouteContract(value: unknown): value is AnyRouteContract {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CONTRACT] === true;
}

/** The path with its `:name` segments filled in (URL-encoded); throws on a missing value. */
export function buildPath(contract: Pick<AnyRouteContract, 'path'>, params: Readonly<Record<string, unknown>> = {}): string {
  return contract.path.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null || value === '') throw new Error(`${contract.path}: missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

/** The `:name` segments of a path, in order. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}

// ---------- types both sides derive from a contract ----------

/**
 * What a client sends for a path or query schema. Coerced fields (`z.coerce.number()`) accept
 * anything on input, so the client is held to what the server ends up with instead (`id: number`).
 */
export type WireInput<S extends ZodType> = {
  [K in keyof z.input<S>]: unknown extends z.input<S>[K] ? (K extends keyof z.output<S> ? z.output<S>[K] : never) : z.input<S>[K];
};

/** What a handler receives once the server parsed the request (unknown fields stripped). */
export interface RouteInput<C extends AnyRouteContract> {
  params: C['params'] extends ZodType ? z.output<C['params']> : Record<string, never>;
  query: C['query'] extends ZodType ? z.output<C['query']> : Record<string, never>;
  body: C['body'] extends ZodType ? z.output<C['body']> : undefined;
}

/** What a client passes to call a route: the parts the contract declares, required where needed. */
export type RouteRequest<C extends AnyRouteContract> = (C['params'] extends ZodType ? { params: WireInput<C['params']> } : { params?: undefined }) &
  (C['query'] extends ZodType ? { query?: WireInput<C['query']> } : { query?: undefined }) &
  (C['body'] extends ZodType ? { body: z.input<C['body']> } : { body?: undefined });

/** What a successful call resolves to, after parsing with the response schema. */
export type RouteResponse<C extends AnyRouteContract> = z.output<C['response']>;

