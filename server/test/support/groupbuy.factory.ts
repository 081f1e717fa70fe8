import { loginAdmin, loginUser, productBody, type TestApp, type TestUser } from './harness';

export interface CampaignOpts {
  groupSize?: number;
  groupDurationSec?: number;
  paymentTimeoutSec?: number;
  stock?: number;
  listPrice?: number;
  groupPrice?: number;
  limits?: { perOrder?: number; openGroupsPerUser?: number; unitsPerUser?: number };
  openerMode?: 'group_price' | 'opener_price' | 'free';
  openerPrice?: number;
  newUsersOnly?: boolean;
  virtualCompletion?: { enabled: boolean; minRealMembers: number };
  allowSolo?: boolean;
  status?: 'draft' | 'active';
}

/** A product with one SKU and a running campaign on it, created by an operator over HTTP. */
export async function createCampaign(t: TestApp, opts: CampaignOpts = {}) {
  const op = await loginAdmin(t, 'operator');
  const stock = opts.stock ?? 100;
  const product = await t.http.post('/admin/products').set(op.auth).send(productBody({ skus: [{ specLabel: '一份', listPrice: opts.listPrice ?? 3990, stock: stock + 10 }] }));
  if (product.status !== 201) throw new Error(JSON.stringify(product.body));
  const res = await t.http.post('/admin/campaigns').set(op.auth).send({
    skuId: product.body.skus[0].id,
    groupPrice: opts.groupPrice ?? 2990,
    groupSize: opts.groupSize ?? 3,
    groupDurationSec: opts.groupDurationSec ?? 3600,
    paymentTimeoutSec: opts.paymentTimeoutSec ?? 900,
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    endsAt: new Date(Date.now() + 86_400_000).toISOString(),
    stock,
    limits: { perOrder: 2, openGroupsPerUser: 3, unitsPerUser: 10, ...opts.limits },
    openerMode: opts.openerMode ?? 'group_price',
    ...(opts.openerPrice !== undefined ? { openerPrice: opts.openerPrice } : {}),
    newUsersOnly: opts.newUsersOnly ?? false,
    virtualCompletion: opts.virtualCompletion ?? { enabled: false, minRealMembers: 1 },
    allowSolo: opts.allowSolo ?? true,
    status: opts.status ?? 'active',
  });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return { campaign: res.body as { id: number; skuId: number; groupSize: number; groupPrice: number; openerPrice: number }, op, productId: product.body.id as number };
}

/** Pays an order through the sandbox: the server sends itself a signed, encrypted notification. */
export async function pay(t: TestApp, user: TestUser, orderId: number) {
  const res = await t.http.post(`/api/orders/${orderId}/sandbox-pay`).set(user.auth);
  if (res.status !== 200) throw new Error(`pay failed ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { status: string };
}

export async function launchAndPay(t: TestApp, campaignId: number, opener?: TestUser) {
  const u = opener ?? (await loginUser(t));
  const order = await t.http.post('/api/groups').set(u.auth).send({ campaignId, quantity: 1 });
  if (order.status !== 201) throw new Error(JSON.stringify(order.body));
  await pay(t, u, order.body.id);
  return { opener: u, groupId: order.body.groupId as number, orderId: order.body.id as number };
}

export async function joinGroup(t: TestApp, groupId: number, user?: TestUser) {
  const u = user ?? (await loginUser(t));
  const res = await t.http.post(`/api/groups/${groupId}/join`).set(u.auth).send({ quantity: 1 });
  return { user: u, res };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const sysCtx = (t: TestApp) => ({ actor: { kind: 'system' as const, name: 'test' }, requestId: 'test', log: t.infra.log, manager: t.infra.dataSource.manager });

/** A coupon template created by an operator over HTTP (defaults: centre, 满30减5, stock 100). */
export async function createCouponTemplate(t: TestApp, overrides: Record<string, unknown> = {}) {
  const op = await loginAdmin(t, 'operator');
  const res = await t.http.post('/admin/coupon-templates').set(op.auth).send({
    name: '测试券',
    kind: 'amount_off',
    amountOff: 500,
    threshold: 3000,
    validity: { type: 'relative', days: 7 },
    totalStock: 100,
    perUserLimit: 1,
    endsAt: new Date(Date.now() + 86_400_000).toISOString(),
    ...overrides,
  });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return { template: res.body as { id: number; issued: number; totalStock: number }, op };
}

/** Many users at once, created in the database with signed tokens (for claim storms). */
export async function bulkUsers(t: TestApp, n: number, prefix: string): Promise<TestUser[]> {
  const now = new Date();
  const rows = Array.from({ length: n }, (_, i) => [`bulk_${prefix}_${i}`, `用户${i}`, 'dev', now, now, now]);
  for (let i = 0; i < rows.length; i += 500) {
    await t.infra.dataSource.query(`INSERT INTO users (openid, nickname, login_provider, last_login_at, created_at, updated_at) VALUES ?`, [rows.slice(i, i + 500)]);
  }
  const ids: Array<{ id: number }> = await t.infra.dataSource.query(`SELECT id FROM users WHERE openid LIKE ? ORDER BY id`, [`bulk\\_${prefix}\\_%`]);
  return Promise.all(
    ids.map(async ({ id }) => {
      const { token } = await t.services.tokens.signUser(Number(id));
      return { id: Number(id), token, refreshToken: '', login: undefined as never, auth: { Authorization: `Bearer ${token}` } };
    }),
  );
}
