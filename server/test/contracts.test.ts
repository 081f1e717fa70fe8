import { defineRoute, routeContracts, type AnyRouteContract } from '@tuan/shared/contracts';
import { OkResponse } from '@tuan/shared';
import type { DataSource } from 'typeorm';
import { idempotency } from '../src/http/idempotency.middleware';
import { ApiRouter } from '../src/http/route';
import { startTestApp, type TestApp } from './support/harness';

const label = (c: AnyRouteContract) => `${c.method.toUpperCase()} ${c.path}`;

describe('route contracts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('when the app starts, then it serves every contract of @tuan/shared and nothing else', () => {
    const served = new Set(t.routes);
    const declared = new Set(routeContracts);
    expect(routeContracts.filter((c) => !served.has(c)).map(label)).toEqual([]);
    expect(t.routes.filter((c) => !declared.has(c)).map(label)).toEqual([]);
    expect(t.routes.length).toBe(declared.size); // none registered twice
  });

  it('when /openapi.json is read, then each contract is documented, with Idempotency-Key exactly on idempotent routes', async () => {
    const res = await t.http.get('/openapi.json');
    expect(res.status).toBe(200);
    const paths = res.body.paths as Record<string, Record<string, { summary: string; tags: string[]; parameters: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
    for (const c of routeContracts) {
      const op = paths[c.path.replace(/:(\w+)/g, '{$1}')]?.[c.method];
      expect({ route: label(c), summary: op?.summary, tags: op?.tags }).toEqual({ route: label(c), summary: c.summary, tags: [...c.tags] });
      expect(op!.responses[String(c.status)]).toBeDefined();
      const idem = op!.parameters.some((p) => p.in === 'header' && p.name === 'Idempotency-Key');
      expect({ route: label(c), idem }).toEqual({ route: label(c), idem: c.idempotent });
    }
  });
});

describe('ApiRouter', () => {
  const auth = { user: async () => undefined, optionalUser: async () => undefined, admin: () => async () => undefined };
  const router = () => new ApiRouter(auth, {} as DataSource);
  const ping = defineRoute({ method: 'post', path: '/t/ping', summary: 'ping', tags: ['t'], auth: 'user', response: OkResponse });
  const idemPing = defineRoute({ method: 'post', path: '/t/idem', summary: 'idem', tags: ['t'], auth: 'user', response: OkResponse, idempotent: true });
  const ok = async () => ({ ok: true as const });

  it('when a route is not a defineRoute() contract, then registering it fails at start-up', () => {
    const lookAlike = { ...ping };
    expect(() => router().add(lookAlike, ok)).toThrow('defineRoute');
  });

  it('when the contract and the idempotency middleware disagree, then registering fails at start-up', () => {
    const mw = idempotency({} as never, 'p:', 'scope');
    expect(() => router().add(idemPing, ok)).toThrow('idempotency middleware is missing');
    expect(() => router().add(ping, ok, { before: [mw] })).toThrow('idempotency middleware is present');
    expect(() => router().add(idemPing, ok, { before: [mw] })).not.toThrow();
  });
});
