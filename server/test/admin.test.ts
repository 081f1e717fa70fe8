import { ErrorCode } from '@tuan/shared';
import { DEV_ADMIN_PASSWORD } from '../src/core/config';
import { hashPassword } from '../src/core/crypto';
import { loginAdmin, loginUser, productBody, startTestApp, type TestApp } from './support/harness';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

async function auditFor(entityType: string, entityId: string | number) {
  return t.infra.dataSource.query('SELECT * FROM audit_logs WHERE entity_type = ? AND entity_id = ? ORDER BY id', [entityType, String(entityId)]);
}

describe('operator login', () => {
  it('when the password is right, then a token with the role comes back; when wrong, then 401', async () => {
    const op = await loginAdmin(t, 'operator');
    const me = await t.http.get('/admin/me').set(op.auth);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: op.username, role: 'operator' });
    const bad = await t.http.post('/admin/auth/login').send({ username: op.username, password: 'wrong-password' });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe(ErrorCode.ADMIN_CREDENTIALS_INVALID);
    const unknown = await t.http.post('/admin/auth/login').send({ username: 'nobody-at-all', password: 'whatever-1' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe(ErrorCode.ADMIN_CREDENTIALS_INVALID);
  });

  it('when an operator token is used on a shopper route, then 401', async () => {
    const op = await loginAdmin(t, 'operator');
    expect((await t.http.get('/api/me').set(op.auth)).status).toBe(401);
  });

  it('when an operator is disabled, then their still-valid token stops working at once', async () => {
    const op = await loginAdmin(t, 'operator');
    await t.infra.dataSource.query(`UPDATE admin_users SET status = 'disabled' WHERE id = ?`, [op.id]);
    const res = await t.http.get('/admin/me').set(op.auth);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe(ErrorCode.ADMIN_DISABLED);
  });
});

describe('production start-up guard', () => {
  it('when an active operator still has the development password, then it is reported (production refuses to start)', async () => {
    const username = `weak_${Date.now()}`;
    await t.infra.dataSource.query(`INSERT INTO admin_users (username, password_hash, role, status, created_at, updated_at) VALUES (?, ?, 'admin', 'active', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`, [username, await hashPassword(DEV_ADMIN_PASSWORD)]);
    expect(await t.services.admin.findAdminsWithDefaultPassword([username, 'nobody-else'])).toEqual([username]);
    await t.infra.dataSource.query(`UPDATE admin_users SET status = 'disabled' WHERE username = ?`, [username]);
    expect(await t.services.admin.findAdminsWithDefaultPassword([username])).toEqual([]);
  });
});

describe('role guard', () => {
  it('when no token is sent, then 401', async () => {
    const res = await t.http.post('/admin/products').send(productBody());
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('when support tries to create a product, then 403 and nothing is written', async () => {
    const support = await loginAdmin(t, 'support');
    const body = productBody();
    const res = await t.http.post('/admin/products').set(support.auth).send(body);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe(ErrorCode.FORBIDDEN);
    const [{ n }] = await t.infra.dataSource.query('SELECT COUNT(*) AS n FROM products WHERE title = ?', [body.title]);
    expect(Number(n)).toBe(0);
  });

  it('when finance reads products, then 200; when finance edits stock, then 403', async () => {
    const op = await loginAdmin(t, 'operator');
    const finance = await loginAdmin(t, 'finance');
    const created = await t.http.post('/admin/products').set(op.auth).send(productBody());
    expect((await t.http.get(`/admin/products/${created.body.id}`).set(finance.auth)).status).toBe(200);
    const res = await t.http.post(`/admin/skus/${created.body.skus[0].id}/stock-adjustments`).set(finance.auth).send({ delta: 5, reason: 'x' });
    expect(res.status).toBe(403);
  });

  it('when an operator creates operator accounts, then 403; when an admin does, then 201 and it is audited', async () => {
    const op = await loginAdmin(t, 'operator');
    const admin = await loginAdmin(t, 'admin');
    const body = { username: `sup_${Date.now()}`, password: 'long-enough-password', role: 'support' };
    expect((await t.http.post('/admin/admin-users').set(op.auth).send(body)).status).toBe(403);
    const res = await t.http.post('/admin/admin-users').set(admin.auth).send(body);
    expect(res.status).toBe(201);
    expect(res.body).not.toHaveProperty('passwordHash');
    const [row] = await auditFor('admin_user', res.body.id);
    expect(row).toMatchObject({ action: 'admin_user.create', admin_id: admin.id });
    expect(JSON.stringify(row.after)).not.toContain('long-enough-password');
  });
});

describe('audit log', () => {
  it('when an operator creates, edits, publishes and re-stocks a product, then each write leaves who, what, before and after', async () => {
    const op = await loginAdmin(t, 'operator');
    const created = await t.http.post('/admin/products').set(op.auth).send(productBody({ status: 'draft' }));
    expect(created.status).toBe(201);
    const id = created.body.id;
    await t.http.patch(`/admin/products/${id}`).set(op.auth).send({ title: '改过的标题' }).expect(200);
    await t.http.post(`/admin/products/${id}/publish`).set(op.auth).expect(200);
    const skuId = created.body.skus[0].id;
    await t.http.post(`/admin/skus/${skuId}/stock-adjustments`).set(op.auth).send({ delta: 7, reason: '到货' }).expect(200);

    const rows = await auditFor('product', id);
    expect(rows.map((r: { action: string }) => r.action)).toEqual(['product.create', 'product.update', 'product.on_sale']);
    const update = rows[1];
    expect(update.admin_id).toBe(op.id);
    expect(update.admin_username).toBe(op.username);
    expect(update.before.title).toBe(created.body.title);
    expect(update.after.title).toBe('改过的标题');
    expect(update.request_id).toBeTruthy();
    const [stock] = await auditFor('sku', skuId);
    expect(stock).toMatchObject({ action: 'sku.adjust_stock' });
    expect(stock.before).toEqual({ stock: 10 });
    expect(stock.after).toMatchObject({ stock: 17, delta: 7, reason: '到货' });

    const admin = await loginAdmin(t, 'admin');
    const listed = await t.http.get(`/admin/audit-logs?entityType=product&entityId=${id}`).set(admin.auth);
    expect(listed.status).toBe(200);
    expect(listed.body.total).toBe(3);
  });

  it('when an admin write fails validation, then no audit row is written', async () => {
    const op = await loginAdmin(t, 'operator');
    const before = await t.infra.dataSource.query('SELECT COUNT(*) AS n FROM audit_logs WHERE admin_id = ?', [op.id]);
    await t.http.post('/admin/products').set(op.auth).send(productBody({ skus: [] })).expect(400);
    const after = await t.infra.dataSource.query('SELECT COUNT(*) AS n FROM audit_logs WHERE admin_id = ?', [op.id]);
    expect(Number(after[0].n)).toBe(Number(before[0].n));
  });

  it('when a shopper calls an admin route, then 401', async () => {
    const u = await loginUser(t);
    expect((await t.http.get('/admin/audit-logs').set(u.auth)).status).toBe(401);
  });
});
