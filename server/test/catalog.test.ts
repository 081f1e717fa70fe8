import { ErrorCode } from '@tuan/shared';
import { loginAdmin, productBody, startTestApp, type TestApp } from './support/harness';

let t: TestApp;
let op: Awaited<ReturnType<typeof loginAdmin>>;
beforeAll(async () => {
  t = await startTestApp();
  op = await loginAdmin(t, 'operator');
});
afterAll(() => t.close());

async function create(overrides: Record<string, unknown> = {}) {
  const res = await t.http.post('/admin/products').set(op.auth).send(productBody(overrides));
  expect(res.status).toBe(201);
  return res.body;
}

async function shopperTitles(): Promise<string[]> {
  const titles: string[] = [];
  for (let page = 1; ; page++) {
    const res = await t.http.get(`/api/products?page=${page}&pageSize=50`);
    expect(res.status).toBe(200);
    titles.push(...res.body.items.map((p: { title: string }) => p.title));
    if (page * 50 >= res.body.total) return titles;
  }
}

describe('catalog CRUD', () => {
  it('when an operator creates a product with SKUs, then the shopper sees it with its prices in fen', async () => {
    const p = await create({ skus: [{ specLabel: '小份', listPrice: 1234, stock: 3 }, { specLabel: '大份', listPrice: 5678, stock: 0 }] });
    const detail = await t.http.get(`/api/products/${p.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.skus.map((s: { listPrice: number }) => s.listPrice)).toEqual([1234, 5678]);
    expect(detail.body.serverTime).toBeTruthy();
    const list = await t.http.get('/api/products?pageSize=50');
    const summary = list.body.items.find((i: { id: number }) => i.id === p.id);
    expect(summary).toMatchObject({ minPrice: 1234, maxPrice: 5678, stock: 3, coverImage: '/static/products/orange.svg' });
  });

  it('when an operator edits a product and a SKU, then the changes show', async () => {
    const p = await create();
    await t.http.patch(`/admin/products/${p.id}`).set(op.auth).send({ title: '新标题', description: '新的描述' }).expect(200);
    await t.http.patch(`/admin/skus/${p.skus[0].id}`).set(op.auth).send({ listPrice: 999 }).expect(200);
    await t.http.post(`/admin/products/${p.id}/skus`).set(op.auth).send({ specLabel: '加量装', listPrice: 1999, stock: 4 }).expect(201);
    const d = await t.http.get(`/api/products/${p.id}`);
    expect(d.body.title).toBe('新标题');
    expect(d.body.skus.map((s: { listPrice: number }) => s.listPrice)).toEqual([999, 1999]);
  });

  it('when a product is a draft, then shoppers do not see it; once published they do', async () => {
    const p = await create({ status: 'draft' });
    expect((await t.http.get(`/api/products/${p.id}`)).status).toBe(404);
    expect(await shopperTitles()).not.toContain(p.title);
    await t.http.post(`/admin/products/${p.id}/publish`).set(op.auth).expect(200);
    expect((await t.http.get(`/api/products/${p.id}`)).status).toBe(200);
  });

  it('when a product is archived, then shoppers never see it and it cannot come back', async () => {
    const p = await create();
    await t.http.post(`/admin/products/${p.id}/archive`).set(op.auth).expect(200);
    const detail = await t.http.get(`/api/products/${p.id}`);
    expect(detail.status).toBe(404);
    expect(detail.body.error.code).toBe(ErrorCode.PRODUCT_NOT_FOUND);
    expect(await shopperTitles()).not.toContain(p.title);
    const back = await t.http.post(`/admin/products/${p.id}/publish`).set(op.auth);
    expect(back.status).toBe(409);
    expect(back.body.error.code).toBe(ErrorCode.ILLEGAL_TRANSITION);
    const edit = await t.http.patch(`/admin/products/${p.id}`).set(op.auth).send({ title: '复活' });
    expect(edit.body.error.code).toBe(ErrorCode.PRODUCT_ARCHIVED);
    // Operators still see it, with its status.
    const admin = await t.http.get(`/admin/products?status=archived&q=${encodeURIComponent(p.title)}`).set(op.auth);
    expect(admin.body.items.map((i: { id: number }) => i.id)).toContain(p.id);
  });

  it('when a product is published, unpublished and archived, then each move is in state_history', async () => {
    const p = await create({ status: 'draft' });
    for (const action of ['publish', 'unpublish', 'publish', 'archive']) await t.http.post(`/admin/products/${p.id}/${action}`).set(op.auth).expect(200);
    expect((await t.http.post(`/admin/products/${p.id}/unpublish`).set(op.auth)).body.error.code).toBe(ErrorCode.ILLEGAL_TRANSITION);
    const rows = await t.infra.dataSource.query(`SELECT from_status, to_status FROM state_history WHERE entity = 'product' AND entity_id = ? ORDER BY id`, [p.id]);
    expect(rows.map((r: { from_status: string | null; to_status: string }) => [r.from_status, r.to_status])).toEqual([
      [null, 'draft'],
      ['draft', 'on_sale'],
      ['on_sale', 'draft'],
      ['draft', 'on_sale'],
      ['on_sale', 'archived'],
    ]);
  });

  it('when a product does not exist, then 404 PRODUCT_NOT_FOUND (shopper and operator)', async () => {
    expect((await t.http.get('/api/products/999999999')).body.error.code).toBe(ErrorCode.PRODUCT_NOT_FOUND);
    expect((await t.http.get('/admin/products/999999999').set(op.auth)).status).toBe(404);
  });

  it('when the shopper list is paged, then pages do not overlap and the total is stable', async () => {
    // A category of this test's own: other test files add products to the same database meanwhile,
    // and an insert between the two page reads would shift offset pages under an unfiltered list.
    const category = `page-${Date.now().toString(36)}`;
    const made = [await create({ category }), await create({ category }), await create({ category })];
    const a = await t.http.get('/api/products').query({ page: 1, pageSize: 2, category });
    const b = await t.http.get('/api/products').query({ page: 2, pageSize: 2, category });
    expect(a.body.items).toHaveLength(2);
    expect(b.body.items).toHaveLength(1);
    const ids = new Set([...a.body.items, ...b.body.items].map((i: { id: number }) => i.id));
    expect(ids.size).toBe(a.body.items.length + b.body.items.length);
    expect(ids).toEqual(new Set(made.map((p: { id: number }) => p.id)));
    expect([a.body.total, b.body.total]).toEqual([3, 3]);
  });
});

describe('stock', () => {
  it('when 50 decrements of 1 race on stock 10, then exactly 10 succeed and stock ends at 0, never below', async () => {
    const p = await create({ skus: [{ specLabel: '限量', listPrice: 100, stock: 10 }] });
    const skuId = p.skus[0].id;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => t.http.post(`/admin/skus/${skuId}/stock-adjustments`).set(op.auth).send({ delta: -1, reason: '并发扣减' })),
    );
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 409);
    expect(ok).toHaveLength(10);
    expect(refused).toHaveLength(40);
    expect(refused.every((r) => r.body.error.code === ErrorCode.INSUFFICIENT_STOCK)).toBe(true);
    expect(results.some((r) => r.status >= 500)).toBe(false);
    const [{ stock }] = await t.infra.dataSource.query('SELECT stock FROM skus WHERE id = ?', [skuId]);
    expect(stock).toBe(0);
    // Every movement is recorded, and they add up to the stock.
    const [{ total }] = await t.infra.dataSource.query('SELECT SUM(delta) AS total FROM stock_movements WHERE sku_id = ?', [skuId]);
    expect(Number(total)).toBe(0);
  });

  it('when the service takes stock concurrently across many callers, then it never oversells', async () => {
    const p = await create({ skus: [{ specLabel: '限量', listPrice: 100, stock: 7 }] });
    const skuId = p.skus[0].id;
    const ctx = { actor: { kind: 'system' as const, name: 'test' }, requestId: 'r', log: t.infra.log, manager: t.infra.dataSource.manager };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => t.services.catalog.decrementStock(ctx, skuId, 1 + (i % 2), { type: 'test', id: i, reason: 'race' })),
    );
    const taken = outcomes.reduce((sum, o, i) => sum + (o.status === 'fulfilled' ? 1 + (i % 2) : 0), 0);
    const [{ stock }] = await t.infra.dataSource.query('SELECT stock FROM skus WHERE id = ?', [skuId]);
    expect(stock).toBeGreaterThanOrEqual(0);
    expect(taken + stock).toBe(7);
  });
});
