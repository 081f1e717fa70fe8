import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { startTestApp } from './support/harness';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  return child;
}

const until = async (fn: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
};

describe('health and readiness', () => {
  it('when Redis stops, then /readyz is 503 and API calls that need Redis answer 503 fast; when it is back, then 200', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    const t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}/0` });
    try {
      expect((await t.http.get('/healthz')).status).toBe(200);
      const ready = await t.http.get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.checks).toEqual({ mysql: 'ok', redis: 'ok' });

      redis.kill('SIGKILL');
      expect(await until(async () => (await t.http.get('/readyz')).status === 503)).toBe(true);
      const down = await t.http.get('/readyz');
      expect(down.body.checks.mysql).toBe('ok');
      expect(down.body.checks.redis).not.toBe('ok');
      expect((await t.http.get('/healthz')).status).toBe(200); // the process itself is fine
      const started = Date.now();
      const login = await t.http.post('/api/auth/login').send({ code: 'dev:redis-down' });
      expect(login.status).toBe(503);
      expect(login.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(2000);

      redis = await startRedis(port);
      expect(await until(async () => (await t.http.get('/readyz')).status === 200)).toBe(true);
    } finally {
      await t.close();
      redis.kill('SIGKILL');
    }
  });
});

describe('API docs', () => {
  it('when /openapi.json is fetched, then it documents the routes from the shared schemas; /docs serves the viewer', async () => {
    const t = await startTestApp();
    try {
      const doc = await t.http.get('/openapi.json');
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toBe('3.1.0');
      expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/products', '/api/products/{id}', '/admin/products']));
      const login = doc.body.paths['/api/auth/login'].post;
      expect(login.requestBody.content['application/json'].schema.properties.code.type).toBe('string');
      expect(doc.body.paths['/admin/products'].post.security).toEqual([{ adminBearer: [] }]);
      const html = await t.http.get('/docs');
      expect(html.status).toBe(200);
      expect(html.text).toContain('swagger-ui-bundle.js');
      const asset = await t.http.get('/docs/assets/swagger-ui-bundle.js');
      expect(asset.status).toBe(200);
      // The introduction: logins, money, time, the envelope; then every error code with its status.
      const intro: string = doc.body.info.description;
      for (const needle of ['/api/auth/login', '/admin/auth/login', 'integer fen', 'UTC', 'serverTime', 'Idempotency-Key', 'requestId']) expect(intro).toContain(needle);
      expect(intro).toContain('| 409 | `GROUP_FULL` |');
      expect(intro).toContain('| 404 | `ORDER_NOT_FOUND` |');
      expect(intro).toContain('| 429 | `RATE_LIMITED` | 操作太频繁，请稍后再试 |');
      expect(doc.body.tags).toEqual(expect.arrayContaining([{ name: 'group-buy', description: expect.stringContaining('参团') }]));
      const join = doc.body.paths['/api/groups/{id}/join'].post;
      expect(join.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header' })]));
      expect(html.text).toContain('rel="icon"');
      const icon = await t.http.get('/favicon.ico');
      expect(icon.status).toBe(200);
      expect(icon.headers['content-type']).toContain('image/svg+xml');
      expect((await t.http.get('/static/products/orange.svg')).status).toBe(200);
      expect((await t.http.get('/static/..%2f..%2fpackage.json')).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
