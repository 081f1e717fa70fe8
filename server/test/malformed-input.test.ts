import { parse as parseQuery } from 'node:querystring';
import { z, type ZodType } from 'zod';
import type { RouteDoc } from '../src/http/route';
import { loginAdmin, loginUser, startTestApp, uniq, type TestApp, type TestUser } from './support/harness';
import { createCampaign, createCouponTemplate, launchAndPay } from './support/groupbuy.factory';

/**
 * Every route the API registers, fed malformed values derived from its own zod schemas (as JSON
 * Schema, the same form /openapi.json publishes): wrong types, huge, negative and fractional
 * numbers, overlong strings, lone UTF-16 surrogates, arrays for objects, missing required fields.
 * Whatever the route's schema refuses must be answered 4xx with the envelope — never a 5xx.
 * Values the schema accepts (bounds, the largest allowed numbers) must not be a 5xx either.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  format?: string;
  enum?: Json[];
  const?: Json;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}
type Path = Array<string | number>;
const MISSING = Symbol('missing');

const jsonSchemaOf = (s: ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
/** The first non-null branch of a union (nullable fields, discriminated unions). */
const main = (s: JsonSchema): JsonSchema => {
  const options = s.anyOf ?? s.oneOf;
  return options ? main(options.find((o) => o.type !== 'null') ?? options[0]!) : s;
};

let t: TestApp;
let shopper: TestUser;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
/** Real rows for ids, so schema-valid values reach the services instead of stopping at a 404. */
const ids: Record<string, number> = {};

beforeAll(async () => {
  t = await startTestApp();
  shopper = await loginUser(t);
  admin = await loginAdmin(t, 'admin');
  const { campaign, productId } = await createCampaign(t, { listPrice: 100_000_000, groupPrice: 90_000_000, stock: 500, limits: { perOrder: 99, openGroupsPerUser: 20, unitsPerUser: 999 } });
  const { groupId } = await launchAndPay(t, campaign.id);
  const order = await t.http.post('/api/orders/solo').set(shopper.auth).send({ campaignId: campaign.id, quantity: 1 });
  const { template } = await createCouponTemplate(t);
  Object.assign(ids, { productId, skuId: campaign.skuId, campaignId: campaign.id, groupId, orderId: order.body.id, templateId: template.id });
});
afterAll(() => t.close());

/** The fixture a path's `:id` names. */
function idFor(path: string): number {
  const owner = /\/([\w-]+)\/:id/.exec(path)?.[1];
  const byOwner: Record<string, string> = { products: 'productId', skus: 'skuId', campaigns: 'campaignId', groups: 'groupId', orders: 'orderId', 'coupon-templates': 'templateId' };
  return ids[byOwner[owner ?? ''] ?? ''] ?? 1;
}

// ---------- valid samples ----------

function sampleString(s: JsonSchema, name: string): string {
  if (s.format === 'date-time') return new Date(Date.now() + (name === 'startsAt' || name === 'from' ? -60_000 : 86_400_000)).toISOString();
  if (s.format === 'uri') return 'https://img.example.com/a.png';
  const min = Math.max(s.minLength ?? 1, 1);
  const candidates = ['/static/products/orange.svg', '13800138000', uniq('user_'), 'dev:malformed-input', 'a'.repeat(min)];
  return candidates.find((c) => (!s.pattern || new RegExp(s.pattern).test(c)) && c.length >= min && c.length <= (s.maxLength ?? Infinity)) ?? 'a'.repeat(min);
}

function sample(schema: JsonSchema, name = ''): Json {
  if (ids[name] !== undefined) return ids[name]!;
  const s = main(schema);
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0]!;
  switch (s.type) {
    case 'object':
      return Object.fromEntries((s.required ?? []).map((k) => [k, sample(s.properties?.[k] ?? {}, k)]));
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => sample(s.items ?? {}, name));
    case 'integer':
    case 'number':
      return Math.min(Math.max(1, s.minimum ?? 1, (s.exclusiveMinimum ?? 0) + 1), s.maximum ?? Infinity);
    case 'boolean':
      return false;
    case 'string':
      return sampleString(s, name);
    default:
      return 'x';
  }
}

// ---------- malformed values ----------

/** Values to put where a value of schema `s` belongs. */
function badValues(s: JsonSchema, base: Json): Json[] {
  const wrong: Json[] = [null, [], { nested: 1 }];
  if (s.type !== 'string') wrong.push('x', '');
  if (s.type !== 'integer' && s.type !== 'number') wrong.push(12345, -1);
  if (s.type !== 'boolean') wrong.push(true);
  if (s.enum || s.const !== undefined) wrong.push('not-a-listed-value');
  switch (s.type) {
    case 'integer':
    case 'number': {
      const bounds = [s.minimum, s.maximum, s.exclusiveMinimum].filter((b): b is number => b !== undefined);
      // Each bound, one past it, and the numbers that overflow 32-bit, 53-bit and 64-bit integers.
      wrong.push('1', 1.5, 0, -1, -(2 ** 31), 2 ** 31, 2 ** 53 + 2, 1e20, -1e20, ...bounds, ...bounds.map((b) => b + 1), ...bounds.map((b) => b - 1));
      break;
    }
    case 'string':
      wrong.push('', '   ', '\ud800', 'a\udc00b', '\udfff\ud800', 'x'.repeat((s.maxLength ?? 255) + 1), 'y'.repeat(20_000), 1, false);
      break;
    case 'array':
      wrong.push('x', [[]], [null], Array.from({ length: (s.maxItems ?? 50) + 1 }, () => sample(s.items ?? {})));
      break;
    case 'object':
      wrong.push('x', [base], [[]]);
      break;
  }
  return wrong;
}

/** Every single-point change of `base`: a bad value at each path, or a required field left out. */
function mutations(schema: JsonSchema, base: Json, path: Path = []): Array<{ path: Path; value: Json | typeof MISSING }> {
  const s = main(schema);
  const out: Array<{ path: Path; value: Json | typeof MISSING }> = badValues(s, base).map((value) => ({ path, value }));
  if (s.type === 'object' && s.properties) {
    const obj = base && typeof base === 'object' && !Array.isArray(base) ? base : {};
    for (const [key, prop] of Object.entries(s.properties)) {
      if (s.required?.includes(key)) out.push({ path: [...path, key], value: MISSING });
      out.push(...mutations(prop, obj[key] ?? sample(prop, key), [...path, key]));
    }
  }
  if (s.type === 'array' && s.items) {
    const first = Array.isArray(base) && base.length ? base[0]! : sample(s.items);
    out.push(...mutations(s.items, first, [...path, 0]));
  }
  return out;
}

function setAt(base: Json, path: Path, value: Json | typeof MISSING): Json | undefined {
  if (path.length === 0) return value === MISSING ? undefined : value;
  const root = structuredClone(base ?? {}) as Record<string | number, Json>;
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    if (node[key] === null || typeof node[key] !== 'object') node[key] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, Json>;
  }
  const last = path[path.length - 1]!;
  if (value === MISSING) delete node[last];
  else node[last] = value;
  return root as Json;
}

// ---------- requests ----------

interface Case {
  route: RouteDoc;
  where: 'path' | 'query' | 'body';
  url: string;
  body?: string;
  /** Does the route's own schema refuse this input? Then it must be a 4xx. */
  refused: boolean;
  shown: string;
}

const short = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
};

function casesFor(route: RouteDoc): Case[] {
  const cases: Case[] = [];
  const validPath = route.path.replace(/:id\b/g, String(idFor(route.path)));
  // Path parameters: only values the schema refuses (a value it accepts would act on a real row).
  if (route.params) {
    for (const raw of ['abc', '-1', '0', '1.5', '99999999999999999999', '1e400', '%F0%9F%8D%8A', '%ED%A0%80', '%00']) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(raw);
      } catch {
        decoded = raw;
      }
      const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      if (!route.params.safeParse(Object.fromEntries(names.map((n) => [n, decoded]))).success) {
        cases.push({ route, where: 'path', url: route.path.replace(/:\w+/g, raw), refused: true, shown: `:${names.join(',:')}=${raw}` });
      }
    }
  }
  // Query strings: each key gets garbage (GETs only read, so accepted values are sent too).
  if (route.query) {
    const props = Object.keys(jsonSchemaOf(route.query).properties ?? {});
    for (const key of props) {
      for (const raw of ['abc', '-1', '0', '1.5', '1e400', '99999999999999999999', encodeURIComponent('x'.repeat(2000)), '', '%ED%A0%80', '%00', 'a&' + key + '=b']) {
        const qs = `${key}=${raw}`;
        cases.push({ route, where: 'query', url: `${validPath}?${qs}`, refused: !route.query.safeParse(parseQuery(qs)).success, shown: `?${qs.slice(0, 60)}` });
      }
    }
  }
  // Bodies: every single-point change of a valid-looking body, and bodies on routes that take none.
  if (route.method !== 'get') {
    if (route.body) {
      const schema = jsonSchemaOf(route.body);
      const base = sample(schema);
      const seen = new Set<string>();
      for (const m of mutations(schema, base)) {
        const value = setAt(base, m.path, m.value);
        const body = JSON.stringify(value) ?? '';
        if (seen.has(body)) continue;
        seen.add(body);
        cases.push({ route, where: 'body', url: validPath, body, refused: !route.body.safeParse(value).success, shown: `${m.path.join('.') || '(body)'}=${m.value === MISSING ? '(missing)' : short(m.value)}` });
      }
    } else {
      cases.push({ route, where: 'body', url: validPath, body: JSON.stringify({ unexpected: ['\ud800', 2 ** 53 + 2] }), refused: true, shown: 'body on a route that takes none' });
    }
  }
  return cases;
}

async function send(c: Case): Promise<string | null> {
  const token = c.route.auth === 'public' ? null : typeof c.route.auth === 'object' ? admin.auth.Authorization : shopper.auth.Authorization;
  const headers: Record<string, string> = {};
  if (token) headers.authorization = token;
  if (c.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${t.url}${c.url}`, { method: c.route.method.toUpperCase(), headers, body: c.body });
  const text = await res.text();
  let envelope = false;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    envelope = typeof body.error?.code === 'string' && typeof body.error?.message === 'string';
  } catch {
    envelope = false;
  }
  const what = `${c.route.method.toUpperCase()} ${c.route.path} [${c.where}] ${c.shown} → ${res.status} ${text.slice(0, 160)}`;
  if (res.status >= 500) return `5xx: ${what}`;
  if (c.refused && (res.status < 400 || !envelope)) return `accepted or bare answer to what the schema refuses: ${what}`;
  if (res.status >= 400 && !envelope) return `no envelope: ${what}`;
  return null;
}

describe('malformed input on every registered route', () => {
  it('when each route gets malformed values derived from its own schemas, then every refusal is a 4xx envelope and nothing is a 5xx', async () => {
    expect(t.routes.length).toBeGreaterThan(30);
    const cases = t.routes.flatMap(casesFor);
    // Every route is exercised: malformed ids, queries, bodies, or a body where none belongs.
    const covered = new Set(cases.map((c) => `${c.route.method} ${c.route.path}`));
    const uncovered = t.routes.filter((r) => !covered.has(`${r.method} ${r.path}`)).map((r) => `${r.method} ${r.path}`);
    // A GET without params or query (e.g. /api/me) has no input to malform.
    expect(uncovered.every((r) => r.startsWith('get '))).toBe(true);
    expect(cases.filter((c) => c.refused).length).toBeGreaterThan(1000);

    const failures: string[] = [];
    const queue = [...cases];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const failure = await send(c);
          if (failure) failures.push(failure);
        }
      }),
    );
    expect(failures).toEqual([]);
  }, 240_000);
});
