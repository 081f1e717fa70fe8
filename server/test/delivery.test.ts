import { ErrorCode } from '@tuan/shared';
import { addAddress, addressBody, loginAdmin, loginUser, startTestApp, type TestApp, type TestUser } from './support/harness';
import { createCampaign, pay, sleep, sysCtx } from './support/groupbuy.factory';

let t: TestApp;
beforeAll(async () => {
  // Short timers: auto-complete 2 s after shipping, after-sale window 2 s after completion.
  t = await startTestApp({ AUTO_COMPLETE_AFTER_SEC: '2', AFTER_SALE_WINDOW_SEC: '2' });
});
afterAll(() => t.close());

const q = async (sql: string, params: unknown[] = []) => t.infra.dataSource.query(sql, params);

/** A solo order (list price 3990 unless told) paid through the sandbox: `to_fulfil`. */
async function paidOrder(user?: TestUser, listPrice = 3990) {
  const u = user ?? (await loginUser(t));
  const { campaign } = await createCampaign(t, { listPrice });
  const o = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, quantity: 1 });
  if (o.status !== 201) throw new Error(JSON.stringify(o.body));
  await pay(t, u, o.body.id);
  return { user: u, orderId: o.body.id as number, orderNo: o.body.orderNo as string, campaignId: campaign.id };
}

async function ship(orderId: number, role: 'operator' | 'admin' = 'operator') {
  const op = await loginAdmin(t, role);
  return t.http.post(`/admin/orders/${orderId}/ship`).set(op.auth).send({ carrier: '顺丰', trackingNo: `SF${Date.now()}` });
}

async function runRefunds() {
  for (const id of await t.services.refunds.due(sysCtx(t))) await t.services.refunds.process(sysCtx(t), id);
}

describe('address book', () => {
  it('when a shopper adds, edits, defaults and deletes addresses, then exactly one is the default and the owner sees the full phone', async () => {
    const u = await loginUser(t, undefined, { withAddress: false });
    const first = await t.http.post('/api/addresses').set(u.auth).send(addressBody({ isDefault: false }));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ isDefault: true, phone: '13812345678', phoneMasked: '138****5678' }); // the first one is the default
    const second = await t.http.post('/api/addresses').set(u.auth).send(addressBody({ name: '李四', isDefault: true }));
    expect(second.body.isDefault).toBe(true);
    let list = await t.http.get('/api/addresses').set(u.auth);
    expect(list.body.items.map((a: { id: number; isDefault: boolean }) => [a.id, a.isDefault])).toEqual([[second.body.id, true], [first.body.id, false]]);
    expect((await t.http.post(`/api/addresses/${first.body.id}/default`).set(u.auth)).body.isDefault).toBe(true);
    const edited = await t.http.put(`/api/addresses/${second.body.id}`).set(u.auth).send(addressBody({ detail: '新地址 8 号', isDefault: false }));
    expect(edited.body).toMatchObject({ detail: '新地址 8 号', isDefault: false });
    expect((await t.http.delete(`/api/addresses/${first.body.id}`).set(u.auth)).body).toEqual({ ok: true });
    list = await t.http.get('/api/addresses').set(u.auth);
    expect(list.body.items).toEqual([expect.objectContaining({ id: second.body.id, isDefault: true })]); // the default moved on
    // Stored encrypted.
    const [row] = await q(`SELECT phone_enc FROM addresses WHERE id = ?`, [second.body.id]);
    expect(row.phone_enc).not.toContain('13812345678');
  });

  it('when 25 addresses are added at once, then exactly 20 exist and the rest get 409 ADDRESS_LIMIT_REACHED', async () => {
    const u = await loginUser(t, undefined, { withAddress: false });
    const res = await Promise.all(Array.from({ length: 25 }, (_, i) => t.http.post('/api/addresses').set(u.auth).send(addressBody({ detail: `楼 ${i}`, isDefault: i % 3 === 0 }))));
    expect(res.filter((r) => r.status === 201)).toHaveLength(20);
    expect(res.filter((r) => r.status === 409).every((r) => r.body.error.code === ErrorCode.ADDRESS_LIMIT_REACHED)).toBe(true);
    const [{ n, d }] = await q(`SELECT COUNT(*) n, COUNT(default_user_id) d FROM addresses WHERE user_id = ?`, [u.id]);
    expect([Number(n), Number(d)]).toEqual([20, 1]);
  });

  it('when the input is bad, then 400 and nothing is written', async () => {
    const u = await loginUser(t, undefined, { withAddress: false });
    for (const bad of [{ phone: '123' }, { name: '' }, { detail: 'x\uD800' }, { province: 'x'.repeat(21) }]) {
      const r = await t.http.post('/api/addresses').set(u.auth).send(addressBody(bad));
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe(ErrorCode.VALIDATION_FAILED);
    }
    expect((await t.http.get('/api/addresses').set(u.auth)).body.items).toEqual([]);
  });
});

describe('checkout with an address', () => {
  it('when a shopper without an address buys, then 422 ADDRESS_REQUIRED and nothing is written; with one, the order keeps a masked copy', async () => {
    const u = await loginUser(t, undefined, { withAddress: false });
    const { campaign } = await createCampaign(t);
    const preview = await t.http.post('/api/checkout/preview').set(u.auth).send({ kind: 'solo', campaignId: campaign.id });
    expect(preview.body.address).toBeNull();
    const refused = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe(ErrorCode.ADDRESS_REQUIRED);
    const [{ n }] = await q(`SELECT COUNT(*) n FROM orders WHERE user_id = ?`, [u.id]);
    expect(Number(n)).toBe(0);
    const [{ stock_left }] = await q(`SELECT stock_left FROM campaigns WHERE id = ?`, [campaign.id]);
    expect(stock_left).toBe(100);

    const home = await addAddress(t, u, { isDefault: true });
    const office = await addAddress(t, u, { name: '王五', phone: '13900001111', detail: '办公室', isDefault: false });
    expect((await t.http.post('/api/checkout/preview').set(u.auth).send({ kind: 'solo', campaignId: campaign.id })).body.address.id).toBe(home);
    const o = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, addressId: office });
    expect(o.status).toBe(201);
    expect(o.body.delivery).toMatchObject({ mode: 'delivery', recipientName: '王五', phoneMasked: '139****1111', detail: '办公室', carrier: null });
    // The order keeps its copy when the address changes or goes.
    await t.http.delete(`/api/addresses/${office}`).set(u.auth);
    expect((await t.http.get(`/api/orders/${o.body.id}`).set(u.auth)).body.delivery.recipientName).toBe('王五');
  });

  it('when a shopper names someone else\'s address, then 404 ADDRESS_NOT_FOUND and nothing is written', async () => {
    const a = await loginUser(t);
    const b = await loginUser(t);
    const { campaign } = await createCampaign(t);
    const r = await t.http.post('/api/groups').set(b.auth).send({ campaignId: campaign.id, addressId: a.addressId });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe(ErrorCode.ADDRESS_NOT_FOUND);
    const [{ n }] = await q(`SELECT COUNT(*) n FROM group_buys WHERE campaign_id = ?`, [campaign.id]);
    expect(Number(n)).toBe(0);
  });
});

describe('shipping and receipt', () => {
  it('when an order is paid, shipped and received, then it is completed with its logistics, events and audit; finance cannot ship', async () => {
    const { user, orderId } = await paidOrder();
    const finance = await loginAdmin(t, 'finance');
    const denied = await t.http.post(`/admin/orders/${orderId}/ship`).set(finance.auth).send({ carrier: '顺丰', trackingNo: 'SF0001' });
    expect(denied.status).toBe(403);
    expect((await t.http.post(`/api/orders/${orderId}/confirm-receipt`).set(user.auth)).body.error.code).toBe(ErrorCode.ILLEGAL_TRANSITION);
    const shipped = await ship(orderId);
    expect(shipped.status).toBe(200);
    expect(shipped.body.status).toBe('shipped');
    expect(shipped.body.recipientPhone).toBe('13812345678'); // operators see the courier's number
    expect((await ship(orderId)).body.error.code).toBe(ErrorCode.ORDER_NOT_SHIPPABLE);
    const mine = await t.http.get(`/api/orders/${orderId}`).set(user.auth);
    expect(mine.body.delivery).toMatchObject({ carrier: '顺丰', phoneMasked: '138****5678' });
    expect(mine.body.delivery.autoCompleteAt).toBeTruthy();
    const done = await t.http.post(`/api/orders/${orderId}/confirm-receipt`).set(user.auth);
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('completed');
    expect(done.body.delivery.afterSaleUntil).toBeTruthy();
    expect(done.body.timeline.map((e: { status: string }) => e.status)).toEqual(['pending_payment', 'paid', 'to_fulfil', 'shipped', 'completed']);
    const events = await q(`SELECT type FROM domain_events WHERE aggregate_type = 'order' AND aggregate_id = ? ORDER BY id`, [orderId]);
    expect(events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['order.shipped', 'order.completed']));
    const audit = await q(`SELECT action FROM audit_logs WHERE entity_type = 'order' AND entity_id = ?`, [String(orderId)]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['order.ship']);
  });

  it('when nobody confirms, then the order completes by itself after the configured time (sweeper backstop), once', async () => {
    const { user, orderId } = await paidOrder();
    await ship(orderId);
    expect(await t.services.fulfilment.autoComplete(sysCtx(t), orderId)).toBe(false); // not due yet
    await sleep(2100);
    await t.services.sweep(sysCtx(t));
    expect(await t.services.fulfilment.autoComplete(sysCtx(t), orderId)).toBe(false); // already done
    const o = await t.http.get(`/api/orders/${orderId}`).set(user.auth);
    expect(o.body.status).toBe('completed');
    expect(o.body.timeline.at(-1).note).toBe('超时自动确认收货');
    const [e] = await q(`SELECT payload FROM domain_events WHERE type = 'order.completed' AND aggregate_id = ?`, [orderId]);
    expect((typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload).auto).toBe(true);
  });

  it('when an operator bulk-ships, then each line answers for itself and only shippable orders ship', async () => {
    const a = await paidOrder();
    const b = await paidOrder();
    const unpaid = await t.http.post('/api/orders/solo').set(a.user.auth).send({ campaignId: a.campaignId });
    const op = await loginAdmin(t, 'operator');
    const res = await t.http.post('/admin/orders/bulk-ship').set(op.auth).send({
      items: [
        { orderNo: a.orderNo, carrier: '中通', trackingNo: 'ZT0001' },
        { orderNo: unpaid.body.orderNo, carrier: '中通', trackingNo: 'ZT0002' },
        { orderNo: 'T-none', carrier: '中通', trackingNo: 'ZT0003' },
        { orderNo: b.orderNo, carrier: '中通', trackingNo: 'ZT0004' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      shipped: 2,
      results: [
        { orderNo: a.orderNo, ok: true, code: null },
        { orderNo: unpaid.body.orderNo, ok: false, code: ErrorCode.ORDER_NOT_SHIPPABLE },
        { orderNo: 'T-none', ok: false, code: ErrorCode.ORDER_NOT_FOUND },
        { orderNo: b.orderNo, ok: true, code: null },
      ],
    });
    expect((await t.http.get(`/api/orders/${unpaid.body.id}`).set(a.user.auth)).body.status).toBe('pending_payment');
  });

  it('when a group order waits for its group, then it cannot ship', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 3 });
    const u = await loginUser(t);
    const o = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    await pay(t, u, o.body.id);
    const r = await ship(o.body.id);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe(ErrorCode.ORDER_NOT_SHIPPABLE);
  });
});

describe('after-sale', () => {
  it('when a shopper asks for part of the money back and support approves, then that part is refunded and the order stays completed', async () => {
    const { user, orderId } = await paidOrder();
    await ship(orderId);
    await t.http.post(`/api/orders/${orderId}/confirm-receipt`).set(user.auth);
    const tooMuch = await t.http.post(`/api/orders/${orderId}/after-sales`).set(user.auth).send({ kind: 'refund_only', reason: 'damaged', amount: 3991 });
    expect(tooMuch.body.error.code).toBe(ErrorCode.REFUND_EXCEEDS_PAID);
    const badImages = await t.http.post(`/api/orders/${orderId}/after-sales`).set(user.auth).send({ kind: 'refund_only', reason: 'damaged', amount: 1000, images: Array(7).fill('https://x.test/a.png') });
    expect(badImages.status).toBe(400);
    const req = await t.http.post(`/api/orders/${orderId}/after-sales`).set(user.auth).send({ kind: 'refund_only', reason: 'damaged', description: '包装破了', images: ['https://x.test/a.png', '/static/b.png'], amount: 1000 });
    expect(req.status).toBe(201);
    expect(req.body).toMatchObject({ status: 'requested', amount: 1000, images: ['https://x.test/a.png', '/static/b.png'] });
    const again = await t.http.post(`/api/orders/${orderId}/after-sales`).set(user.auth).send({ kind: 'refund_only', reason: 'damaged', amount: 500 });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe(ErrorCode.AFTER_SALE_ALREADY_OPEN);

    const support = await loginAdmin(t, 'support');
    const queue = await t.http.get(`/admin/after-sales?status=requested&orderId=${orderId}`).set(support.auth);
    expect(queue.body.items.map((a: { id: number }) => a.id)).toEqual([req.body.id]);
    const approved = await t.http.post(`/admin/after-sales/${req.body.id}/approve`).set(support.auth);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('refunding');
    expect((await t.http.post(`/admin/after-sales/${req.body.id}/approve`).set(support.auth)).body.error.code).toBe(ErrorCode.ILLEGAL_TRANSITION);
    await runRefunds();
    const a = await t.http.get(`/api/after-sales/${req.body.id}`).set(user.auth);
    expect(a.body).toMatchObject({ status: 'refunded', refundNo: expect.any(String) });
    const o = await t.http.get(`/api/orders/${orderId}`).set(user.auth);
    expect(o.body).toMatchObject({ status: 'completed', refundedAmount: 1000, afterSale: { maxAmount: 2990 } });
    expect(o.body.refunds).toEqual([expect.objectContaining({ amount: 1000, status: 'succeeded', reason: 'after_sale' })]);
    const events = await q(`SELECT type, payload FROM domain_events WHERE aggregate_type = 'order' AND aggregate_id = ? AND type IN ('after_sale.opened', 'after_sale.closed', 'order.refunded') ORDER BY id`, [orderId]);
    expect(events.map((e: { type: string }) => e.type)).toEqual(['after_sale.opened', 'order.refunded', 'after_sale.closed']);
    const refunded = events[1];
    expect((typeof refunded.payload === 'string' ? JSON.parse(refunded.payload) : refunded.payload)).toMatchObject({ amount: 1000, fullyRefunded: false });
    const audit = await q(`SELECT action FROM audit_logs WHERE entity_type = 'after_sale' AND entity_id = ?`, [String(req.body.id)]);
    expect(audit.map((x: { action: string }) => x.action)).toEqual(['after_sale.approve']);
  });

  it('when support rejects, then the request closes with the reason and the order may ask again', async () => {
    const { user, orderId } = await paidOrder();
    const req = await t.http.post(`/api/orders/${orderId}/after-sales`).set(user.auth).send({ kind: 'refund_only', reason: 'not_wanted', amount: 3990 });
    expect(req.status).toBe(201); // before shipping: allowed
    const support = await loginAdmin(t, 'support');
    expect((await t.http.post(`/admin/after-sales/${req.body.id}/reject`).set(support.auth).send({ reason: '' })).status).toBe(400);
    const rejected = await t.http.post(`/admin/after-sales/${req.body.id}/reject`).set(support.auth).send({ reason: '商品已打包' });
    expect(rejected.body).toMatchObject({ status: 'rejected', rejectReason: '商品已打包' });
    expect((await t.http.get(`/api/orders/${orderId}`).set(user.auth)).body).toMatchObject({ status: 'to_fulfil', refundedAmount: 0, afterSale: { allowed: true } });
    expect((await t.http.post(`/api/orders/${orderId}/after-sales`).set(user.auth).send({ kind: 'refund_only', reason: 'other', amount: 100 })).status).toBe(201);
  });

  it('when a return and refund is approved, the goods are sent back and received, then the whole amount is refunded and the order ends refunded', async () => {
    const { user, orderId } = await paidOrder();
    await ship(orderId);
    const req = await t.http.post(`/api/orders/${orderId}/after-sales`).set(user.auth).send({ kind: 'return_refund', reason: 'quality', amount: 3990 });
    const support = await loginAdmin(t, 'support');
    expect((await t.http.post(`/admin/after-sales/${req.body.id}/confirm-return`).set(support.auth)).body.error.code).toBe(ErrorCode.ILLEGAL_TRANSITION);
    expect((await t.http.post(`/admin/after-sales/${req.body.id}/approve`).set(support.auth)).body.status).toBe('awaiting_return');
    const sent = await t.http.post(`/api/after-sales/${req.body.id}/return-shipment`).set(user.auth).send({ carrier: '圆通', trackingNo: 'YT123456' });
    expect(sent.body).toMatchObject({ status: 'awaiting_return', returnTrackingNo: 'YT123456' });
    const received = await t.http.post(`/admin/after-sales/${req.body.id}/confirm-return`).set(support.auth);
    expect(received.body.status).toBe('refunding');
    expect((await t.http.get(`/api/orders/${orderId}`).set(user.auth)).body.status).toBe('refunding');
    await runRefunds();
    const o = await t.http.get(`/api/orders/${orderId}`).set(user.auth);
    expect(o.body).toMatchObject({ status: 'refunded', refundedAmount: 3990, afterSale: { allowed: false, maxAmount: 0 } });
    expect(o.body.afterSales).toEqual([expect.objectContaining({ status: 'refunded', kind: 'return_refund' })]);
    // The order is not shipped any more: its auto-complete does nothing.
    await sleep(2100);
    expect(await t.services.fulfilment.autoComplete(sysCtx(t), orderId)).toBe(false);
  });

  it('when the after-sale window has passed, then a request is refused with 422 AFTER_SALE_WINDOW_CLOSED', async () => {
    const { user, orderId } = await paidOrder();
    await ship(orderId);
    await t.http.post(`/api/orders/${orderId}/confirm-receipt`).set(user.auth);
    await sleep(2100);
    const r = await t.http.post(`/api/orders/${orderId}/after-sales`).set(user.auth).send({ kind: 'refund_only', reason: 'quality', amount: 100 });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe(ErrorCode.AFTER_SALE_WINDOW_CLOSED);
    expect((await t.http.get(`/api/orders/${orderId}`).set(user.auth)).body.afterSale.allowed).toBe(false);
    const unpaid = await t.http.post('/api/orders/solo').set(user.auth).send({ campaignId: (await createCampaign(t)).campaign.id });
    expect((await t.http.post(`/api/orders/${unpaid.body.id}/after-sales`).set(user.auth).send({ kind: 'refund_only', reason: 'quality', amount: 100 })).body.error.code).toBe(ErrorCode.AFTER_SALE_NOT_ALLOWED);
  });

  it('when the shopper withdraws a request, then it closes and nothing is refunded', async () => {
    const { user, orderId } = await paidOrder();
    const req = await t.http.post(`/api/orders/${orderId}/after-sales`).set(user.auth).send({ kind: 'refund_only', reason: 'other', amount: 10 });
    expect((await t.http.post(`/api/after-sales/${req.body.id}/cancel`).set(user.auth)).body.status).toBe('cancelled');
    expect((await t.http.post(`/api/after-sales/${req.body.id}/cancel`).set(user.auth)).body.error.code).toBe(ErrorCode.ILLEGAL_TRANSITION);
    const [{ n }] = await q(`SELECT COUNT(*) n FROM refunds WHERE order_id = ?`, [orderId]);
    expect(Number(n)).toBe(0);
  });
});

describe('operator refunds and order routes', () => {
  it('when finance refunds part then the rest of a paid order, then the sum never passes what was paid and the last one ends it refunded; every refund is audited', async () => {
    const { user, orderId, orderNo, campaignId } = await paidOrder();
    const finance = await loginAdmin(t, 'finance');
    const first = await t.http.post(`/admin/orders/${orderId}/refund`).set(finance.auth).send({ amount: 990, note: '差价补偿' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'to_fulfil', refundedAmount: 990 });
    const over = await t.http.post(`/admin/orders/${orderId}/refund`).set(finance.auth).send({ amount: 3001, note: '多退' });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe(ErrorCode.REFUND_EXCEEDS_PAID);
    const rest = await t.http.post(`/admin/orders/${orderId}/refund`).set(finance.auth).send({ amount: 3000, note: '缺货' });
    expect(rest.body).toMatchObject({ status: 'refunding', refundedAmount: 3990 });
    await runRefunds();
    const o = await t.http.get(`/api/orders/${orderId}`).set(user.auth);
    expect(o.body.status).toBe('refunded');
    expect(o.body.refunds.map((r: { amount: number; status: string }) => [r.amount, r.status])).toEqual([[990, 'succeeded'], [3000, 'succeeded']]);
    const audit = await q(`SELECT action FROM audit_logs WHERE entity_type = 'order' AND entity_id = ? ORDER BY id`, [String(orderId)]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['order.refund', 'order.refund']);
    const operator = await loginAdmin(t, 'operator');
    expect((await t.http.post(`/admin/orders/${orderId}/refund`).set(operator.auth).send({ amount: 1, note: 'x' })).status).toBe(403);

    // Search and detail.
    const support = await loginAdmin(t, 'support');
    const byNo = await t.http.get(`/admin/orders?orderNo=${orderNo}`).set(support.auth);
    expect(byNo.body.items).toEqual([expect.objectContaining({ id: orderId, userId: user.id, status: 'refunded' })]);
    const byUser = await t.http.get(`/admin/orders?userId=${user.id}&campaignId=${campaignId}&status=refunded&from=${new Date(Date.now() - 60_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`).set(support.auth);
    expect(byUser.body.total).toBe(1);
    expect((await t.http.get(`/admin/orders?userId=${user.id}&from=${new Date(Date.now() + 60_000).toISOString()}`).set(support.auth)).body.total).toBe(0);
    const detail = await t.http.get(`/admin/orders/${orderId}`).set(support.auth);
    expect(detail.body).toMatchObject({ payment: { paidAmount: 3990, transactionId: expect.any(String) }, refunds: [expect.anything(), expect.anything()] });
    expect(detail.body.timeline.map((e: { status: string }) => e.status)).toContain('refunded');
  });
});

describe('object access', () => {
  it('when user B tries A\'s addresses, orders and after-sales, then 404 everywhere and nothing changes', async () => {
    const { user: a, orderId } = await paidOrder();
    const b = await loginUser(t);
    const as = await t.http.post(`/api/orders/${orderId}/after-sales`).set(a.auth).send({ kind: 'refund_only', reason: 'other', amount: 100 });
    const tries = [
      t.http.put(`/api/addresses/${a.addressId}`).set(b.auth).send(addressBody()),
      t.http.post(`/api/addresses/${a.addressId}/default`).set(b.auth),
      t.http.delete(`/api/addresses/${a.addressId}`).set(b.auth),
      t.http.get(`/api/orders/${orderId}`).set(b.auth),
      t.http.post(`/api/orders/${orderId}/confirm-receipt`).set(b.auth),
      t.http.post(`/api/orders/${orderId}/after-sales`).set(b.auth).send({ kind: 'refund_only', reason: 'other', amount: 100 }),
      t.http.get(`/api/after-sales/${as.body.id}`).set(b.auth),
      t.http.post(`/api/after-sales/${as.body.id}/cancel`).set(b.auth),
      t.http.post(`/api/after-sales/${as.body.id}/return-shipment`).set(b.auth).send({ carrier: 'x', trackingNo: 'YT00001' }),
    ];
    for (const r of await Promise.all(tries)) expect(r.status).toBe(404);
    expect((await t.http.get('/api/addresses').set(b.auth)).body.items.map((x: { id: number }) => x.id)).not.toContain(a.addressId);
    expect((await t.http.get(`/api/after-sales/${as.body.id}`).set(a.auth)).body.status).toBe('requested');
    expect((await t.http.get('/api/addresses').set(a.auth)).body.items).toHaveLength(1);
    // Shoppers cannot reach operator routes.
    expect((await t.http.get('/admin/orders').set(a.auth)).status).toBe(401);
  });

  it('when support tries to change configuration or ship, and finance tries the after-sale desk, then 403', async () => {
    const support = await loginAdmin(t, 'support');
    const finance = await loginAdmin(t, 'finance');
    expect((await t.http.post('/admin/campaigns').set(support.auth).send({})).status).toBe(403);
    expect((await t.http.post('/admin/coupon-templates').set(support.auth).send({})).status).toBe(403);
    expect((await t.http.post('/admin/admin-users').set(support.auth).send({})).status).toBe(403);
    expect((await t.http.post('/admin/orders/1/ship').set(support.auth).send({ carrier: 'x', trackingNo: 'SF0001' })).status).toBe(403);
    expect((await t.http.post('/admin/orders/bulk-ship').set(finance.auth).send({ items: [] })).status).toBe(403);
    expect((await t.http.get('/admin/after-sales').set(finance.auth)).status).toBe(403);
  });
});

describe('the order tabs', () => {
  it('when a shopper filters by tab, then each tab shows the orders in its statuses', async () => {
    const u = await loginUser(t);
    const paid = await paidOrder(u);
    const shipped = await paidOrder(u);
    await ship(shipped.orderId);
    const unpaid = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: paid.campaignId });
    const ids = async (tab: string) => (await t.http.get(`/api/orders?tab=${tab}`).set(u.auth)).body.items.map((o: { id: number }) => o.id);
    expect(await ids('unpaid')).toEqual([unpaid.body.id]);
    expect(await ids('to_ship')).toEqual([paid.orderId]);
    expect(await ids('to_receive')).toEqual([shipped.orderId]);
    expect(await ids('after_sale')).toEqual([]);
    await t.http.post(`/api/orders/${paid.orderId}/after-sales`).set(u.auth).send({ kind: 'refund_only', reason: 'other', amount: 1 });
    expect(await ids('after_sale')).toEqual([paid.orderId]);
  });
});
