import { ZodObject } from 'zod';
import { buildPath, pathParamNames, routeContracts } from './index';

const label = (c: { method: string; path: string }) => `${c.method.toUpperCase()} ${c.path}`;

describe('route contracts', () => {
  it('when listed, then every domain contributes and each (method, path) appears once', () => {
    expect(routeContracts.length).toBeGreaterThan(40);
    const seen = new Map<string, number>();
    for (const c of routeContracts) seen.set(label(c), (seen.get(label(c)) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n > 1).map(([k]) => k)).toEqual([]);
  });

  it('when a path has :params, then its params schema declares exactly those keys (and none without)', () => {
    const mismatches = routeContracts.flatMap((c) => {
      const inPath = pathParamNames(c.path).sort();
      const declared = c.params instanceof ZodObject ? Object.keys(c.params.shape).sort() : c.params === undefined ? [] : ['<not an object schema>'];
      return JSON.stringify(inPath) === JSON.stringify(declared) ? [] : [`${label(c)}: path ${inPath.join(',')} vs params ${declared.join(',')}`];
    });
    expect(mismatches).toEqual([]);
  });

  it('when a route is idempotent, then it changes state (never a GET), and every route answers a 2xx', () => {
    expect(routeContracts.filter((c) => c.idempotent && c.method === 'get').map(label)).toEqual([]);
    expect(routeContracts.filter((c) => c.status < 200 || c.status > 299).map(label)).toEqual([]);
  });

  it('when a path is built, then params are URL-encoded and a missing one is refused', () => {
    expect(buildPath({ path: '/api/groups/:id/join' }, { id: 12 })).toBe('/api/groups/12/join');
    expect(buildPath({ path: '/x/:a/:b' }, { a: 'a b', b: 'c/d' })).toBe('/x/a%20b/c%2Fd');
    expect(() => buildPath({ path: '/api/groups/:id/join' }, {})).toThrow('missing path parameter id');
  });
});
