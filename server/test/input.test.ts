import fc from 'fast-check';
import { ErrorCode } from '@tuan/shared';
import { loginAdmin, loginUser, productBody, startTestApp, type TestApp } from './support/harness';

let t: TestApp;
let op: Awaited<ReturnType<typeof loginAdmin>>;
let user: Awaited<ReturnType<typeof loginUser>>;
beforeAll(async () => {
  t = await startTestApp({ BODY_LIMIT_BYTES: '16384' });
  op = await loginAdmin(t, 'operator');
  user = await loginUser(t);
});
afterAll(() => t.close());

// Other test files create products at the same time, so counts are scoped to what this file can
// have created: products written by this file's operator (every product write is audited in its own
// transaction), or products in a category only one test uses.
const createdByOp = async () => Number((await t.infra.dataSource.query(`SELECT COUNT(*) AS n FROM audit_logs WHERE admin_id = ? AND action = 'product.create'`, [op.id]))[0].n);

describe('bad input', () => {
  it('when the JSON is malformed, then 400 MALFORMED_JSON', async () => {
    const res = await t.http.post('/admin/products').set(op.auth).set('content-type', 'application/json').send('{"title": ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(ErrorCode.MALFORMED_JSON);
  });

  it('when the body is not JSON, then 415', async () => {
    const res = await t.http.post('/api/auth/login').set('content-type', 'text/plain').send('code=dev:x');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  });

  it('when the body is larger than the limit, then 413 PAYLOAD_TOO_LARGE and nothing is written', async () => {
    const before = await createdByOp();
    const res = await t.http.post('/admin/products').set(op.auth).send(productBody({ description: 'x'.repeat(20_000) }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
    expect(await createdByOp()).toBe(before);
  });

  it('when fields have wrong types or are missing, then 400 VALIDATION_FAILED naming the field', async () => {
    const wrong = await t.http.post('/admin/products').set(op.auth).send(productBody({ skus: [{ specLabel: 'a', listPrice: 12.5, stock: 1 }] }));
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(wrong.body.error.message).toContain('body.skus.0.listPrice');
    const missing = await t.http.post('/admin/products').set(op.auth).send({ title: '缺字段' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.issues.length).toBeGreaterThan(0);
  });

  it('when a path id is not a number, then 400, not 500', async () => {
    for (const path of ['/api/products/abc', '/api/products/-1', '/api/products/1e99', '/api/products/0']) {
      const res = await t.http.get(path);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(ErrorCode.VALIDATION_FAILED);
    }
  });

  it('when unknown fields are sent, then they are stripped and can never set protected columns', async () => {
    const created = await t.http.post('/admin/products').set(op.auth).send({ ...productBody({ status: 'draft' }), id: 987654321, createdAt: '2000-01-01T00:00:00Z', code: 'HACK' });
    expect(created.status).toBe(201);
    expect(created.body.id).not.toBe(987654321);
    expect(created.body.createdAt).not.toContain('2000');
    const [row] = await t.infra.dataSource.query('SELECT code FROM products WHERE id = ?', [created.body.id]);
    expect(row.code).toBeNull();
    // status only moves through its own routes, never a PATCH.
    const patched = await t.http.patch(`/admin/products/${created.body.id}`).set(op.auth).send({ status: 'on_sale' });
    expect(patched.status).toBe(400);
    expect((await t.http.get(`/admin/products/${created.body.id}`).set(op.auth)).body.status).toBe('draft');
  });

  it('when an unknown route or method is used, then a 404/405 envelope', async () => {
    const res = await t.http.get('/api/nowhere');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe(ErrorCode.ROUTE_NOT_FOUND);
    const m = await t.http.delete('/api/products');
    expect(m.status).toBe(405);
  });
});

describe('generated bad bodies', () => {
  const anyJson = fc.jsonValue({ maxDepth: 3 });
  const routes: Array<{ method: 'post' | 'patch'; path: () => string; auth: () => Record<string, string> }> = [
    { method: 'post', path: () => '/admin/products', auth: () => op.auth },
    { method: 'patch', path: () => '/api/me', auth: () => user.auth },
    { method: 'post', path: () => '/api/auth/login', auth: () => ({}) },
    { method: 'post', path: () => '/api/auth/refresh', auth: () => ({}) },
    { method: 'post', path: () => '/admin/auth/login', auth: () => ({}) },
    { method: 'post', path: () => '/admin/admin-users', auth: () => op.auth },
  ];

  it('when any JSON value is sent to a sample of routes, then the answer is never a 5xx and always an envelope on error', async () => {
    const before = await createdByOp();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), anyJson, async (route, body) => {
        const res = await t.http[route.method](route.path()).set(route.auth()).set('content-type', 'application/json').send(JSON.stringify(body));
        if (res.status >= 500) throw new Error(`${route.method} ${route.path()} → ${res.status} for ${JSON.stringify(body)}`);
        if (res.status >= 400) expect(typeof res.body.error.code).toBe('string');
      }),
      { numRuns: 150 },
    );
    // Random bodies never add products (a valid product body is astronomically unlikely).
    expect(await createdByOp()).toBe(before);
  });

  it('when product bodies are almost right (one field broken), then 400 and no half-written product or SKU', async () => {
    const category = `fuzz${Date.now() % 1e9}`;
    const inCategory = async () => {
      const [row] = await t.infra.dataSource.query(`SELECT COUNT(DISTINCT p.id) AS products, COUNT(s.id) AS skus FROM products p LEFT JOIN skus s ON s.product_id = p.id WHERE p.category = ?`, [category]);
      return { products: Number(row.products), skus: Number(row.skus) };
    };
    const broken = fc.oneof(
      // Titles are trimmed before the length check, so an overlong one must stay overlong once trimmed.
      fc.record({ field: fc.constant('title'), value: fc.oneof(fc.constant(''), fc.string({ minLength: 61, maxLength: 80 }).filter((s) => s.trim().length > 60), fc.integer()) }),
      fc.record({ field: fc.constant('images'), value: fc.oneof(fc.constant([]), fc.constant(['http://insecure/x.png']), fc.constant(['javascript:alert(1)'])) }),
      fc.record({ field: fc.constant('skus'), value: fc.oneof(
        fc.constant([]),
        fc.array(fc.record({ specLabel: fc.string({ maxLength: 3 }), listPrice: fc.oneof(fc.double(), fc.integer({ max: 0 })), stock: fc.integer({ max: -1 }) }), { minLength: 1, maxLength: 3 }),
      ) }),
    );
    await fc.assert(
      fc.asyncProperty(broken, async ({ field, value }) => {
        const res = await t.http.post('/admin/products').set(op.auth).send(productBody({ category, [field]: value }));
        expect(res.status).toBe(400);
      }),
      { numRuns: 60 },
    );
    expect(await inCategory()).toEqual({ products: 0, skus: 0 });
    // The same body, unbroken, is accepted: the zero above is not an accident of the marker.
    expect((await t.http.post('/admin/products').set(op.auth).send(productBody({ category }))).status).toBe(201);
    expect(await inCategory()).toEqual({ products: 1, skus: 1 });
  });
});
