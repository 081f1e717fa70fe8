import { loginAdmin, loginUser, startTestApp, type TestApp } from './support/harness';
import { createCampaign, pay } from './support/groupbuy.factory';
import { spawnServer, type ServerProcess } from './support/processes';

// Two API processes (no worker: nothing here is swept) against the test database: approvals and
// operator refunds of one order race across processes, and the refunds never add up past what was paid.
let t: TestApp;
let a: ServerProcess;
let b: ServerProcess;
beforeAll(async () => {
  t = await startTestApp();
  [a, b] = await Promise.all([spawnServer('api', {}), spawnServer('api', {})]);
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await t?.close();
});

const q = async (sql: string, params: unknown[] = []) => t.infra.dataSource.query(sql, params);
async function post(base: string, path: string, auth: { Authorization: string }, body: object = {}) {
  const res = await fetch(base + path, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { status?: string; error?: { code: string } } };
}

/** A paid solo order (3990 fen) with an open 仅退款 request for `amount`. */
async function orderWithRequest(campaignId: number, amount: number) {
  const u = await loginUser(t);
  const o = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId });
  await pay(t, u, o.body.id);
  const r = await t.http.post(`/api/orders/${o.body.id}/after-sales`).set(u.auth).send({ kind: 'refund_only', reason: 'damaged', amount });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  return { orderId: o.body.id as number, afterSaleId: r.body.id as number };
}

async function refundsOf(orderId: number) {
  const [o] = await q(`SELECT paid_amount, refunded_amount FROM orders WHERE id = ?`, [orderId]);
  const [{ total, n }] = await q(`SELECT COALESCE(SUM(amount), 0) total, COUNT(*) n FROM refunds WHERE order_id = ?`, [orderId]);
  return { paid: Number(o.paid_amount), counter: Number(o.refunded_amount), total: Number(total), n: Number(n) };
}

describe('refunds racing across two API processes', () => {
  it('when support approves a request on one process while finance refunds the same order on the other, then exactly one goes through and the refunds never pass what was paid', async () => {
    const { campaign } = await createCampaign(t, { listPrice: 3990, stock: 50 });
    const support = await loginAdmin(t, 'support');
    const finance = await loginAdmin(t, 'finance');
    const cases = await Promise.all(Array.from({ length: 8 }, () => orderWithRequest(campaign.id, 2500)));
    const results = await Promise.all(
      cases.map(async (c, i) => {
        const [x, y] = i % 2 === 0 ? [a.url, b.url] : [b.url, a.url];
        const [approve, refund] = await Promise.all([
          post(x, `/admin/after-sales/${c.afterSaleId}/approve`, support.auth),
          post(y, `/admin/orders/${c.orderId}/refund`, finance.auth, { amount: 2500, note: '补偿' }),
        ]);
        return { c, approve, refund };
      }),
    );
    for (const { c, approve, refund } of results) {
      expect([approve.status, refund.status].sort()).toEqual([200, 409]);
      const loser = approve.status === 409 ? approve : refund;
      expect(loser.body.error?.code).toBe('REFUND_EXCEEDS_PAID');
      const r = await refundsOf(c.orderId);
      expect(r).toEqual({ paid: 3990, counter: 2500, total: 2500, n: 1 });
      // A refused approval left the request as it was.
      const [s] = await q(`SELECT status FROM after_sales WHERE id = ?`, [c.afterSaleId]);
      expect(s.status).toBe(approve.status === 200 ? 'refunding' : 'requested');
    }
  }, 60_000);

  it('when two support agents approve the same request on two processes at once, then one refund is created', async () => {
    const { campaign } = await createCampaign(t, { listPrice: 3990, stock: 50 });
    const s1 = await loginAdmin(t, 'support');
    const s2 = await loginAdmin(t, 'admin');
    const cases = await Promise.all(Array.from({ length: 6 }, () => orderWithRequest(campaign.id, 3990)));
    for (const c of cases) {
      const res = await Promise.all([post(a.url, `/admin/after-sales/${c.afterSaleId}/approve`, s1.auth), post(b.url, `/admin/after-sales/${c.afterSaleId}/approve`, s2.auth)]);
      expect(res.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(await refundsOf(c.orderId)).toEqual({ paid: 3990, counter: 3990, total: 3990, n: 1 });
      const [o] = await q(`SELECT status FROM orders WHERE id = ?`, [c.orderId]);
      expect(o.status).toBe('refunding');
    }
  }, 60_000);
});
