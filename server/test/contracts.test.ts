import { defineRoute, routeContracts, type AnyRouteContract } from '@tuan/shared/contracts';
import { OkResponse } from '@tuan/shared';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
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

  it('when a route\'s first two path segments are not literal, then registering fails at start-up (requests are dispatched by them)', () => {
    const param = defineRoute({ method: 'get', path: '/t/:id', summary: 'p', tags: ['t'], auth: 'public', params: z.object({ id: z.string() }), response: OkResponse });
    expect(() => router().add(param, ok)).toThrow('must be literal');
  });

  it('when routes of several path groups are served, then each request reaches its own route, case and trailing slash as koa-router matches, and 405/404 as one router', async () => {
    const Koa = (await import('koa')).default;
    const r = router();
    const a = defineRoute({ method: 'get', path: '/t/a', summary: 'a', tags: ['t'], auth: 'public', response: OkResponse });
    const aItem = defineRoute({ method: 'post', path: '/t/a/:id/go', summary: 'a go', tags: ['t'], auth: 'public', params: z.object({ id: z.string() }), response: OkResponse });
    const b = defineRoute({ method: 'get', path: '/u/b', summary: 'b', tags: ['t'], auth: 'public', response: OkResponse });
    const hits: string[] = [];
    r.add(a, async () => (hits.push('a'), { ok: true as const }));
    r.add(aItem, async () => (hits.push('a go'), { ok: true as const }));
    const app = new Koa();
    app.use(r.routes() as never);
    // Added after routes() was taken: served all the same.
    r.add(b, async () => (hits.push('b'), { ok: true as const }));
    const server = app.listen(0);
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const call = async (method: string, path: string) => {
        const res = await fetch(`${base}${path}`, { method });
        return [res.status, res.headers.get('allow')];
      };
      expect(await call('GET', '/t/a')).toEqual([200, null]);
      expect(await call('GET', '/T/A/')).toEqual([200, null]);
      expect(await call('POST', '/t/a/7/go')).toEqual([201, null]);
      expect(await call('GET', '/u/b')).toEqual([200, null]);
      expect(hits).toEqual(['a', 'a', 'a go', 'b']);
      expect(await call('DELETE', '/t/a')).toEqual([405, 'HEAD, GET']);
      expect(await call('GET', '/t/a/7/go')).toEqual([405, 'POST']);
      expect((await call('GET', '/t/nowhere'))[0]).toBe(404);
      expect((await call('GET', '/v/nowhere'))[0]).toBe(404);
      // A method no router implements is 501 on a path of no group too, as one router answered it.
      expect((await call('PROPFIND', '/v/nowhere'))[0]).toBe(501);
    } finally {
      server.close();
    }
  });
});
