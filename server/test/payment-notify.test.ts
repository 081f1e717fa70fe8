import { ErrorCode } from '@tuan/shared';
import { SandboxPaymentProvider } from '../src/modules/payment/payment.provider';
import { loginUser, startTestApp, type TestApp } from './support/harness';
import { createCampaign, joinGroup, launchAndPay, pay, sysCtx } from './support/groupbuy.factory';

let t: TestApp;
let sandbox: SandboxPaymentProvider;
beforeAll(async () => {
  t = await startTestApp();
  sandbox = t.services.provider as SandboxPaymentProvider;
});
afterAll(() => t.close());

const notifyUrl = () => `${t.url}/api/payments/wechatpay/notify`;
const q = (sql: string, p: unknown[] = []) => t.infra.dataSource.query(sql, p);

async function pendingJoin() {
  const { campaign } = await createCampaign(t, { groupSize: 3 });
  const { groupId } = await launchAndPay(t, campaign.id);
  const { user, res } = await joinGroup(t, groupId);
  return { user, order: res.body as { id: number; orderNo: string; payableAmount: number }, groupId };
}

describe('payment notifications', () => {
  it('when the same notification is replayed 10 times at once, then the order moves once and the group counts it once', async () => {
    const { order, groupId } = await pendingJoin();
    const note = sandbox.buildTransactionNotification(order.orderNo, order.payableAmount, {});
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () => fetch(notifyUrl(), { method: 'POST', headers: { ...note.headers }, body: note.body }).then((r) => r.status)),
    );
    expect(statuses.every((s) => s === 204)).toBe(true);
    const events = await q(`SELECT to_status FROM order_events WHERE order_id = ?`, [order.id]);
    expect(events.filter((e: { to_status: string }) => e.to_status === 'paid')).toHaveLength(1);
    const [g] = await q(`SELECT paid_count FROM group_buys WHERE id = ?`, [groupId]);
    expect(g.paid_count).toBe(2);
  });

  it('when the amount is wrong, then nothing changes and it is logged', async () => {
    const { order, user } = await pendingJoin();
    const status = await sandbox.simulatePay(order.orderNo, order.payableAmount - 1, { notifyUrl: notifyUrl() });
    expect(status).toBeLessThan(300);
    const view = await t.http.get(`/api/orders/${order.id}`).set(user.auth);
    expect(view.body.status).toBe('pending_payment');
    const [log] = await q(`SELECT outcome FROM payment_notifications WHERE out_trade_no = ?`, [order.orderNo]);
    expect(log.outcome).toBe('amount_mismatch');
  });

  it('when the signature is forged or the body tampered with, then 401 and nothing changes', async () => {
    const { order, user } = await pendingJoin();
    const note = sandbox.buildTransactionNotification(order.orderNo, order.payableAmount, {});
    const tampered = note.body.replace(/"ciphertext":"./, (m) => m.slice(0, -1) + (m.endsWith('A') ? 'B' : 'A'));
    const bad = await fetch(notifyUrl(), { method: 'POST', headers: { ...note.headers }, body: tampered });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ code: 'FAIL' });
    const forgedSig = await fetch(notifyUrl(), { method: 'POST', headers: { ...note.headers, 'Wechatpay-Signature': Buffer.from('forged').toString('base64') }, body: note.body });
    expect(forgedSig.status).toBe(401);
    const unknownSerial = await fetch(notifyUrl(), { method: 'POST', headers: { ...note.headers, 'Wechatpay-Serial': 'NOT-A-SERIAL' }, body: note.body });
    expect(unknownSerial.status).toBe(401);
    expect((await t.http.get(`/api/orders/${order.id}`).set(user.auth)).body.status).toBe('pending_payment');
  });

  it('when the sandbox cannot deliver its notification (server overloaded or unreachable), then 502 PAYMENT_PROVIDER_ERROR, the order stays payable, and paying again works', async () => {
    const { user, order } = await pendingJoin();
    const selfUrl = t.infra.selfUrl;
    t.infra.selfUrl = 'http://127.0.0.1:1'; // nothing listens there: the notification POST fails
    try {
      const res = await t.http.post(`/api/orders/${order.id}/sandbox-pay`).set(user.auth);
      expect(res.status).toBe(502);
      expect(res.body.error.code).toBe(ErrorCode.PAYMENT_PROVIDER_ERROR);
    } finally {
      t.infra.selfUrl = selfUrl;
    }
    expect((await t.http.get(`/api/orders/${order.id}`).set(user.auth)).body.status).toBe('pending_payment');
    expect((await pay(t, user, order.id)).status).toBe('paid');
  });

  it('when a payment lands on a group that is already full, then it is refunded automatically', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2 });
    const { groupId } = await launchAndPay(t, campaign.id);
    const a = await joinGroup(t, groupId);
    // Force the race: the group fills (another payment) while A's reservation is still unpaid.
    await q(`UPDATE group_buys SET paid_count = size WHERE id = ?`, [groupId]);
    await pay(t, a.user, a.res.body.id);
    for (const id of await t.services.refunds.due(sysCtx(t))) await t.services.refunds.process(sysCtx(t), id);
    const view = await t.http.get(`/api/orders/${a.res.body.id}`).set(a.user.auth);
    expect(view.body.status).toBe('refunded');
    expect(view.body.refunds[0]).toMatchObject({ reason: 'late_payment', status: 'succeeded' });
  });
});

describe('limits and rules', () => {
  it('when the opener tries to join their own group, then 403 CANNOT_JOIN_OWN_GROUP', async () => {
    const { campaign } = await createCampaign(t);
    const { opener, groupId } = await launchAndPay(t, campaign.id);
    const res = await t.http.post(`/api/groups/${groupId}/join`).set(opener.auth).send({});
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe(ErrorCode.CANNOT_JOIN_OWN_GROUP);
  });

  it('when a user takes a second seat in the same group (even concurrently), then only one seat is theirs', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 5 });
    const { groupId } = await launchAndPay(t, campaign.id);
    const u = await loginUser(t);
    const results = await Promise.all(Array.from({ length: 5 }, () => t.http.post(`/api/groups/${groupId}/join`).set(u.auth).send({})));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    // Racing duplicates are refused as duplicates, or turned away by the seat gate while the winner's
    // attempt still holds its token; never a second seat, never a 5xx.
    expect(results.filter((r) => r.status !== 201).every((r) => r.status === 409 && ['ALREADY_IN_GROUP', 'GROUP_FULL'].includes(r.body.error.code))).toBe(true);
    const [{ n }] = await q(`SELECT COUNT(*) AS n FROM group_members WHERE group_id = ? AND active_user_id = ?`, [groupId, u.id]);
    expect(Number(n)).toBe(1);
    const [g] = await q(`SELECT seats_taken FROM group_buys WHERE id = ?`, [groupId]);
    expect(g.seats_taken).toBe(2);
  });

  it('when a campaign is for new users only, then a user with a paid order cannot join', async () => {
    const { campaign } = await createCampaign(t, { newUsersOnly: true, groupSize: 4 });
    const { groupId, opener } = await launchAndPay(t, campaign.id);
    const { campaign: other } = await createCampaign(t);
    const veteran = await loginUser(t);
    const solo = await t.http.post('/api/orders/solo').set(veteran.auth).send({ campaignId: other.id });
    await pay(t, veteran, solo.body.id);
    const refused = await t.http.post(`/api/groups/${groupId}/join`).set(veteran.auth).send({});
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe(ErrorCode.NEW_USERS_ONLY);
    const fresh = await loginUser(t);
    expect((await t.http.post(`/api/groups/${groupId}/join`).set(fresh.auth).send({})).status).toBe(201);
    expect(opener).toBeDefined();
  });

  it('when per-order and per-user limits are exceeded, then 409 LIMIT_EXCEEDED; a second 开团 points to the open one (GROUP_ALREADY_OPEN)', async () => {
    const { campaign } = await createCampaign(t, { limits: { perOrder: 2, unitsPerUser: 3, openGroupsPerUser: 1 } });
    const u = await loginUser(t);
    const tooMany = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, quantity: 3 });
    expect(tooMany.body.error.code).toBe(ErrorCode.LIMIT_EXCEEDED);
    expect((await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, quantity: 2 })).status).toBe(201);
    const over = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, quantity: 2 });
    expect(over.body.error.code).toBe(ErrorCode.LIMIT_EXCEEDED);
    expect((await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id })).status).toBe(201);
    const second = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    expect(second.body.error.code).toBe(ErrorCode.GROUP_ALREADY_OPEN);
  });

  it('when a user cancels an unpaid order, then the units come back and they may buy again', async () => {
    const { campaign } = await createCampaign(t, { limits: { perOrder: 1, unitsPerUser: 1 }, stock: 1 });
    const u = await loginUser(t);
    const o = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id });
    const sold = await t.http.post('/api/orders/solo').set((await loginUser(t)).auth).send({ campaignId: campaign.id });
    expect(sold.body.error.code).toBe(ErrorCode.CAMPAIGN_SOLD_OUT);
    const c = await t.http.post(`/api/orders/${o.body.id}/cancel`).set(u.auth);
    expect(c.body.status).toBe('cancelled');
    expect((await t.http.post(`/api/orders/${o.body.id}/cancel`).set(u.auth)).body.error.code).toBe(ErrorCode.ILLEGAL_TRANSITION);
    expect((await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id })).status).toBe(201);
  });
});

describe('object-level access', () => {
  it("when user B reads, cancels or pays A's order, then 404 and nothing changes", async () => {
    const { campaign } = await createCampaign(t);
    const a = await loginUser(t);
    const b = await loginUser(t);
    const o = await t.http.post('/api/orders/solo').set(a.auth).send({ campaignId: campaign.id });
    for (const req of [t.http.get(`/api/orders/${o.body.id}`), t.http.post(`/api/orders/${o.body.id}/cancel`), t.http.post(`/api/orders/${o.body.id}/pay`), t.http.post(`/api/orders/${o.body.id}/sandbox-pay`)]) {
      const res = await req.set(b.auth);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe(ErrorCode.ORDER_NOT_FOUND);
    }
    const list = await t.http.get('/api/orders').set(b.auth);
    expect(list.body.items.map((i: { id: number }) => i.id)).not.toContain(o.body.id);
    expect((await t.http.get(`/api/orders/${o.body.id}`).set(a.auth)).body.status).toBe('pending_payment');
    expect((await t.http.get(`/api/orders/${o.body.id}`)).status).toBe(401);
  });

  it('when anyone opens a group page, then members show nickname and avatar only', async () => {
    const { campaign } = await createCampaign(t);
    const { groupId } = await launchAndPay(t, campaign.id);
    const res = await t.http.get(`/api/groups/${groupId}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.members[0]).sort()).toEqual(['avatarUrl', 'joinedAt', 'nickname', 'paid', 'role']);
  });
});

describe('Idempotency-Key', () => {
  it('when a launch is replayed with the same key, then the first response comes back and one order exists', async () => {
    const { campaign } = await createCampaign(t);
    const u = await loginUser(t);
    const key = `launch-${Date.now()}-abc`;
    const first = await t.http.post('/api/groups').set(u.auth).set('Idempotency-Key', key).send({ campaignId: campaign.id });
    const again = await t.http.post('/api/groups').set(u.auth).set('Idempotency-Key', key).send({ campaignId: campaign.id });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const different = await t.http.post('/api/groups').set(u.auth).set('Idempotency-Key', key).send({ campaignId: campaign.id, quantity: 2 });
    expect(different.status).toBe(422);
    expect(different.body.error.code).toBe(ErrorCode.IDEMPOTENCY_KEY_REUSED);
    const [{ n }] = await q(`SELECT COUNT(*) AS n FROM orders WHERE user_id = ? AND campaign_id = ?`, [u.id, campaign.id]);
    expect(Number(n)).toBe(1);
  });

  it('when duplicates with one key race, then one runs and the others get 409 or the replay', async () => {
    const { campaign } = await createCampaign(t);
    const u = await loginUser(t);
    const key = `solo-${Date.now()}-race`;
    const results = await Promise.all(Array.from({ length: 6 }, () => t.http.post('/api/orders/solo').set(u.auth).set('Idempotency-Key', key).send({ campaignId: campaign.id })));
    const created = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(created.size).toBe(1);
    expect(results.every((r) => r.status === 201 || (r.status === 409 && r.body.error.code === ErrorCode.IDEMPOTENCY_IN_PROGRESS))).toBe(true);
  });
});
