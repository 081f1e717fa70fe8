import { ErrorCode } from '@tuan/shared';
import { createTimers, TIMER_KINDS } from '../src/jobs/deadline.worker';
import { loginUser, startTestApp, type TestApp } from './support/harness';
import { createCampaign, joinGroup, launchAndPay, pay, sleep, sysCtx } from './support/groupbuy.factory';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const q = async (sql: string, params: unknown[] = []) => t.infra.dataSource.query(sql, params);

describe('campaign validation', () => {
  it('when the group price is above the list price or the window is over, then 400 with a clear message', async () => {
    await expect(createCampaign(t, { groupPrice: 99999, listPrice: 100 })).rejects.toThrow(/groupPrice must not exceed/);
    const { op } = await createCampaign(t);
    const res = await t.http.post('/admin/campaigns').set(op.auth).send({ skuId: 1, groupPrice: 100, groupSize: 51, groupDurationSec: 60, startsAt: '2020-01-01T00:00:00Z', endsAt: '2020-01-02T00:00:00Z', stock: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['body.groupSize', 'body.endsAt']));
  });
});

describe('campaign admin', () => {
  it('when an operator ends a campaign, then it leaves the shopper list and takes no orders; it cannot come back; each move is audited', async () => {
    const { campaign, op } = await createCampaign(t);
    const listed = await t.http.get('/admin/campaigns?status=active&pageSize=50').set(op.auth);
    expect(listed.body.items.map((c: { id: number }) => c.id)).toContain(campaign.id);
    const ended = await t.http.post(`/admin/campaigns/${campaign.id}/end`).set(op.auth);
    expect(ended.body.status).toBe('ended');
    const shop = await t.http.get('/api/campaigns?pageSize=50');
    expect(shop.body.items.map((c: { id: number }) => c.id)).not.toContain(campaign.id);
    const u = await loginUser(t);
    expect((await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id })).body.error.code).toBe(ErrorCode.CAMPAIGN_NOT_ACTIVE);
    const again = await t.http.post(`/admin/campaigns/${campaign.id}/activate`).set(op.auth);
    expect(again.body.error.code).toBe(ErrorCode.ILLEGAL_TRANSITION);
    const audit = await q(`SELECT action FROM audit_logs WHERE entity_type = 'campaign' AND entity_id = ? ORDER BY id`, [String(campaign.id)]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['campaign.create', 'campaign.ended']);
  });
});

describe('happy path', () => {
  it('when the opener pays and N−1 friends join and pay, then the group succeeds once and every order is to_fulfil', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 3 });
    const list = await t.http.get('/api/campaigns?pageSize=50');
    expect(list.body.items.map((c: { id: number }) => c.id)).toContain(campaign.id);
    expect(list.body.serverTime).toBeTruthy();

    const { opener, groupId, orderId } = await launchAndPay(t, campaign.id);
    const open = await t.http.get(`/api/groups/${groupId}`).set(opener.auth);
    expect(open.body).toMatchObject({ status: 'open', size: 3, paidCount: 1, seatsLeft: 2, myRole: 'opener', myOrderId: orderId });
    expect(Date.parse(open.body.deadlineAt)).toBeGreaterThan(Date.now());
    const joinable = await t.http.get(`/api/campaigns/${campaign.id}/groups`);
    expect(joinable.body.items.map((g: { id: number }) => g.id)).toContain(groupId);

    const members = [];
    for (let i = 0; i < 2; i++) {
      const { user, res } = await joinGroup(t, groupId);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ kind: 'group_join', status: 'pending_payment', payableAmount: 2990 });
      expect(Date.parse(res.body.payDeadlineAt)).toBeLessThanOrEqual(Date.parse(open.body.deadlineAt));
      members.push({ user, orderId: res.body.id });
    }
    for (const m of members) await pay(t, m.user, m.orderId);

    const done = await t.http.get(`/api/groups/${groupId}`);
    expect(done.body).toMatchObject({ status: 'succeeded', paidCount: 3, seatsLeft: 0, myRole: null });
    expect(done.body.members).toHaveLength(3);
    const orders = await q(`SELECT status FROM orders WHERE group_id = ?`, [groupId]);
    expect(orders.map((o: { status: string }) => o.status)).toEqual(['to_fulfil', 'to_fulfil', 'to_fulfil']);
    const detail = await t.http.get(`/api/orders/${members[0]!.orderId}`).set(members[0]!.user.auth);
    expect(detail.body.timeline.map((e: { status: string }) => e.status)).toEqual(['pending_payment', 'paid', 'to_fulfil']);
    expect(detail.body.groupStatus).toBe('succeeded');
    // The group is no longer offered for joining.
    const after = await t.http.get(`/api/campaigns/${campaign.id}/groups`);
    expect(after.body.items.map((g: { id: number }) => g.id)).not.toContain(groupId);
  });

  it('when buying alone is allowed, then a solo order pays at list price and goes to fulfilment', async () => {
    const { campaign } = await createCampaign(t, { listPrice: 4990 });
    const u = await loginUser(t);
    const o = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, quantity: 2 });
    expect(o.status).toBe(201);
    expect(o.body).toMatchObject({ unitPrice: 4990, quantity: 2, payableAmount: 9980 });
    expect((await pay(t, u, o.body.id)).status).toBe('to_fulfil');
  });

  it('when the campaign forbids buying alone, then 409 SOLO_NOT_ALLOWED', async () => {
    const { campaign } = await createCampaign(t, { allowSolo: false });
    const u = await loginUser(t);
    const o = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id, quantity: 1 });
    expect(o.body.error.code).toBe(ErrorCode.SOLO_NOT_ALLOWED);
  });
});

describe('expiry', () => {
  it('when the deadline passes with the group short, then it fails, every paid order is refunded, unpaid ones cancelled and stock comes back', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 4, groupDurationSec: 2, stock: 20 });
    const { opener, groupId, orderId } = await launchAndPay(t, campaign.id);
    const paidMember = await joinGroup(t, groupId);
    await pay(t, paidMember.user, paidMember.res.body.id);
    const unpaid = await joinGroup(t, groupId);
    expect(unpaid.res.status).toBe(201);
    const [{ stock_left: during }] = await q(`SELECT stock_left FROM campaigns WHERE id = ?`, [campaign.id]);
    expect(during).toBe(17);
    await sleep(2200);
    expect(await t.services.deadlines.expireGroup(sysCtx(t), groupId)).toBe('failed');
    expect(await t.services.deadlines.expireGroup(sysCtx(t), groupId)).toBe('noop');
    // Refunds are processed (by the worker in production; directly here).
    for (const id of await t.services.refunds.due(sysCtx(t))) await t.services.refunds.process(sysCtx(t), id);

    const g = await t.http.get(`/api/groups/${groupId}`);
    expect(g.body.status).toBe('failed');
    const o = await t.http.get(`/api/orders/${orderId}`).set(opener.auth);
    expect(o.body.status).toBe('refunded');
    expect(o.body.refunds).toEqual([expect.objectContaining({ amount: 2990, status: 'succeeded', reason: 'group_failed' })]);
    expect((await t.http.get(`/api/orders/${paidMember.res.body.id}`).set(paidMember.user.auth)).body.status).toBe('refunded');
    expect((await t.http.get(`/api/orders/${unpaid.res.body.id}`).set(unpaid.user.auth)).body.status).toBe('cancelled');
    const [{ stock_left: afterStock }] = await q(`SELECT stock_left FROM campaigns WHERE id = ?`, [campaign.id]);
    expect(afterStock).toBe(20);
    // Money paid = money captured + money refunded, to the fen.
    const [{ paid }] = await q(`SELECT COALESCE(SUM(paid_amount), 0) AS paid FROM orders WHERE group_id = ?`, [groupId]);
    const [{ refunded }] = await q(`SELECT COALESCE(SUM(r.amount), 0) AS refunded FROM refunds r JOIN orders o ON o.id = r.order_id WHERE o.group_id = ? AND r.status = 'succeeded'`, [groupId]);
    expect(Number(paid)).toBe(5980);
    expect(Number(refunded)).toBe(5980);
  });

  it('when virtual completion is on and enough real members paid, then the group completes virtually at the deadline', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 5, groupDurationSec: 2, virtualCompletion: { enabled: true, minRealMembers: 2 } });
    const { groupId } = await launchAndPay(t, campaign.id);
    const m = await joinGroup(t, groupId);
    await pay(t, m.user, m.res.body.id);
    await sleep(2200);
    expect(await t.services.deadlines.expireGroup(sysCtx(t), groupId)).toBe('succeeded');
    const g = await t.http.get(`/api/groups/${groupId}`);
    expect(g.body).toMatchObject({ status: 'succeeded', virtual: true, paidCount: 2 });
    const statuses = await q(`SELECT status FROM orders WHERE group_id = ?`, [groupId]);
    expect(statuses.every((s: { status: string }) => s.status === 'to_fulfil')).toBe(true);
  });

  it('when virtual completion is on but too few real members paid, then the group fails', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 5, groupDurationSec: 2, virtualCompletion: { enabled: true, minRealMembers: 3 } });
    const { groupId } = await launchAndPay(t, campaign.id);
    const m = await joinGroup(t, groupId);
    await pay(t, m.user, m.res.body.id);
    await sleep(2200);
    expect(await t.services.deadlines.expireGroup(sysCtx(t), groupId)).toBe('failed');
  });

  it('when joins are written together, then every order gets its own payment-deadline timer (order-deadline, due at its deadline)', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 5, paymentTimeoutSec: 600 });
    const groups = await Promise.all([0, 1, 2].map(() => launchAndPay(t, campaign.id)));
    // Nine joins at once over three groups: the batch path writes them in shared transactions.
    const joins = await Promise.all(groups.flatMap((g) => [0, 1, 2].map(() => joinGroup(t, g.groupId))));
    expect(joins.map((j) => j.res.status)).toEqual(Array(9).fill(201));
    const key = createTimers(t.infra).key(TIMER_KINDS.orderDeadline);
    for (const j of joins) {
      const id = j.res.body.id as number;
      const deadline = Date.parse(j.res.body.payDeadlineAt);
      // Scheduled right after the batch's commit: give it up to 2 s.
      let score = await t.infra.redis.zscore(key, String(id));
      for (let i = 0; i < 20 && score === null; i++) {
        await sleep(100);
        score = await t.infra.redis.zscore(key, String(id));
      }
      expect(score).not.toBeNull();
      expect(Math.abs(Number(score) - deadline)).toBeLessThan(2000);
    }
  });

  it('when a reserved seat is not paid by its deadline, then it is released and someone else takes it', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2, paymentTimeoutSec: 2 });
    const { groupId } = await launchAndPay(t, campaign.id);
    const slow = await joinGroup(t, groupId);
    expect(slow.res.status).toBe(201);
    const blocked = await joinGroup(t, groupId);
    expect(blocked.res.body.error.code).toBe(ErrorCode.GROUP_FULL);
    await sleep(2200);
    const swept = await t.services.sweep(sysCtx(t));
    expect(swept.orders).toBeGreaterThanOrEqual(1);
    expect((await t.http.get(`/api/orders/${slow.res.body.id}`).set(slow.user.auth)).body.status).toBe('cancelled');
    const fast = await joinGroup(t, groupId);
    expect(fast.res.status).toBe(201);
    await pay(t, fast.user, fast.res.body.id);
    expect((await t.http.get(`/api/groups/${groupId}`)).body.status).toBe('succeeded');
  });

  it('when a payment lands for an order that was already cancelled, then it is refunded automatically', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2, paymentTimeoutSec: 2 });
    const { groupId } = await launchAndPay(t, campaign.id);
    const slow = await joinGroup(t, groupId);
    await sleep(2200);
    await t.services.outcomes.expireOrder(sysCtx(t), slow.res.body.id);
    // WeChat took the money just before closing: the notification arrives late.
    const sandbox = t.services.provider as unknown as { simulatePay(no: string, amount: number, o: object): Promise<number> };
    const status = await sandbox.simulatePay(slow.res.body.orderNo, 2990, { notifyUrl: `${t.url}/api/payments/wechatpay/notify` });
    expect(status).toBe(204);
    for (const id of await t.services.refunds.due(sysCtx(t))) await t.services.refunds.process(sysCtx(t), id);
    const o = await t.http.get(`/api/orders/${slow.res.body.id}`).set(slow.user.auth);
    expect(o.body.status).toBe('refunded');
    expect(o.body.refunds[0]).toMatchObject({ reason: 'late_payment', amount: 2990, status: 'succeeded' });
  });

  it('when the opener never pays, then the opener order is cancelled and the group never opens', async () => {
    const { campaign } = await createCampaign(t, { paymentTimeoutSec: 2 });
    const u = await loginUser(t);
    const o = await t.http.post('/api/groups').set(u.auth).send({ campaignId: campaign.id });
    await sleep(2200);
    expect(await t.services.outcomes.expireOrder(sysCtx(t), o.body.id)).toBe(true);
    expect((await t.http.get(`/api/groups/${o.body.groupId}`)).body.status).toBe('cancelled');
    expect(await t.services.outcomes.expireOrder(sysCtx(t), o.body.id)).toBe(false);
  });
});

describe('free opener (团长免单)', () => {
  it('when the group succeeds, then the opener gets the money back and the goods still ship', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2, openerMode: 'free' });
    const { opener, groupId, orderId } = await launchAndPay(t, campaign.id);
    const m = await joinGroup(t, groupId);
    await pay(t, m.user, m.res.body.id);
    for (const id of await t.services.refunds.due(sysCtx(t))) await t.services.refunds.process(sysCtx(t), id);
    const o = await t.http.get(`/api/orders/${orderId}`).set(opener.auth);
    expect(o.body.status).toBe('to_fulfil');
    expect(o.body.refunds).toEqual([expect.objectContaining({ reason: 'opener_free', amount: 2990, status: 'succeeded' })]);
  });
});
