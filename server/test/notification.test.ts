import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/core/config';
import { startOutboxDispatcher } from '../src/core/outbox.dispatcher';
import { ownDatabase } from './support/database';
import { startFakeWxacode } from './support/fake-wxacode.server';
import { loginAdmin, loginUser, startTestApp, type TestApp, type TestUser } from './support/harness';
import { createCampaign, joinGroup, launchAndPay, pay, sleep, sysCtx } from './support/groupbuy.factory';

/**
 * Notifications (issue 12 item 6) through their real path: the change commits → the outbox
 * dispatcher (in this process, on a database of this file's own) → the notification subscribers →
 * the 消息 inbox row and a WeChat subscribe message sent to a local fake of api.weixin.qq.com.
 */
const APP = 'wx-notify-app';
const SECRET = 'notify-secret';
const TEMPLATES = { group_succeeded: 'TPL-OK', group_failed: 'TPL-FAIL', order_refunded: 'TPL-REFUND', payment_expiring: 'TPL-EXPIRE', order_shipped: 'TPL-SHIP' };
let fake: Awaited<ReturnType<typeof startFakeWxacode>>;
let t: TestApp;
let outbox: Awaited<ReturnType<typeof startOutboxDispatcher>>;

beforeAll(async () => {
  fake = await startFakeWxacode(APP, SECRET);
  const env = {
    DATABASE_URL: await ownDatabase('notify'),
    REDIS_PREFIX: `nt${randomBytes(3).toString('hex')}:`,
    NOTIFY_CHANNEL: 'wechat',
    NOTIFY_TEMPLATES: JSON.stringify(TEMPLATES),
    WECHAT_APP_ID: APP,
    WECHAT_APP_SECRET: SECRET,
    WECHAT_API_BASE: fake.url,
    PAYMENT_REMINDER_LEAD_SEC: '60',
    OUTBOX_POLL_MS: '100',
  };
  t = await startTestApp(env);
  outbox = await startOutboxDispatcher(t.infra, t.services.subscribers);
}, 60_000);
afterAll(async () => {
  await outbox?.close();
  await t?.close();
  await fake?.close();
});

const q = (sql: string, p: unknown[] = []) => t.infra.dataSource.query(sql, p);
const openidOf = async (u: TestUser): Promise<string> => (await q('SELECT openid FROM users WHERE id = ?', [u.id]))[0].openid;
const inbox = async (u: TestUser) => (await t.http.get('/api/notifications').set(u.auth)).body;

/** Waits until the user's inbox holds `n` messages (the dispatcher runs in the background). */
async function inboxOf(u: TestUser, n: number) {
  const until = Date.now() + 10_000;
  for (;;) {
    const page = await inbox(u);
    if (page.items.length >= n || Date.now() > until) return page;
    await sleep(100);
  }
}

/** Waits until every push of the user is decided (the fast path runs after the commit, not awaited). */
async function pushesOf(u: TestUser): Promise<Array<{ kind: string; status: string; push_error: string | null }>> {
  const until = Date.now() + 10_000;
  for (;;) {
    const rows = await q(`SELECT kind, status, push_error FROM notifications WHERE user_id = ? ORDER BY id`, [u.id]);
    if (rows.every((r: { status: string }) => r.status !== 'pending') || Date.now() > until) return rows;
    await sleep(100);
  }
}

describe('notifications', () => {
  it('when a group succeeds, then each paid member gets one 拼团成功 message in the inbox and one subscribe message', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2 });
    const { opener, groupId, orderId } = await launchAndPay(t, campaign.id);
    const friend = await joinGroup(t, groupId);
    await pay(t, friend.user, friend.res.body.id);

    const a = await inboxOf(opener, 1);
    expect(a.items).toHaveLength(1);
    expect(a.items[0]).toMatchObject({ kind: 'group_succeeded', title: '拼团成功', link: `/packages/order/pages/detail/index?id=${orderId}`, readAt: null });
    expect(a.unread).toBe(1);
    const b = await inboxOf(friend.user, 1);
    expect(b.items[0]).toMatchObject({ kind: 'group_succeeded', link: `/packages/order/pages/detail/index?id=${friend.res.body.id}` });

    expect(await pushesOf(opener)).toEqual([{ kind: 'group_succeeded', status: 'sent', push_error: null }]);
    await pushesOf(friend.user);
    const sent = fake.messages.filter((m) => m.template_id === 'TPL-OK');
    expect(sent.map((m) => m.touser).sort()).toEqual([await openidOf(opener), await openidOf(friend.user)].sort());
    expect(sent[0]!.page).toMatch(/^packages\/order\/pages\/detail\/index\?id=\d+$/);
    expect(sent[0]!.miniprogram_state).toBe('formal');
    expect(sent[0]!.data.thing1!.value).toBe('拼团成功');
    expect([...sent[0]!.data.thing2!.value].length).toBeLessThanOrEqual(20);

    // The same event delivered again (or a second subscriber run) writes nothing new.
    const [event] = await q(`SELECT id, type, aggregate_type, aggregate_id, schema_version, payload, created_at FROM domain_events WHERE type = 'group.succeeded' AND aggregate_id = ?`, [groupId]);
    const sub = t.services.subscribers.find((s) => s.name === 'notification.group-outcome')!;
    await sub.handle(sysCtx(t), {
      id: Number(event.id), type: 'group.succeeded', aggregateType: 'group', aggregateId: groupId, schemaVersion: 1,
      payload: typeof event.payload === 'string' ? JSON.parse(event.payload) : event.payload, createdAt: new Date(event.created_at).toISOString(),
    });
    expect((await inbox(opener)).items).toHaveLength(1);
    expect(fake.messages.filter((m) => m.template_id === 'TPL-OK')).toHaveLength(2);
  });

  it('when a group fails, then paid members hear it failed, then that the money is back; a user who gave no consent is skipped, inbox kept', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 3, groupDurationSec: 2 });
    const { opener, groupId } = await launchAndPay(t, campaign.id);
    fake.refuse(await openidOf(opener));
    await sleep(2200);
    expect(await t.services.deadlines.expireGroup(sysCtx(t), groupId)).toBe('failed');
    for (const id of await t.services.refunds.due(sysCtx(t))) await t.services.refunds.process(sysCtx(t), id);

    const page = await inboxOf(opener, 2);
    expect(page.items.map((i: { kind: string }) => i.kind)).toEqual(['order_refunded', 'group_failed']);
    expect(page.items[1].title).toBe('拼团未成功');
    expect(page.items[0].body).toMatch(/^¥29\.90 已原路退回（拼团未成功）/);
    const pushes = await pushesOf(opener);
    expect(pushes.map((p) => p.status)).toEqual(['skipped', 'skipped']);
    expect(pushes[0]!.push_error).toMatch(/^43101/);
  });

  it('when the refund’s event is delivered before the group’s, then 拼团未成功 is still written first and the later group.failed delivery adds nothing', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 3, groupDurationSec: 2 });
    const { opener, groupId, orderId } = await launchAndPay(t, campaign.id);
    await outbox.close(); // nothing delivered in the background until the end of this test
    try {
      await sleep(2200);
      expect(await t.services.deadlines.expireGroup(sysCtx(t), groupId)).toBe('failed');
      for (const id of await t.services.refunds.due(sysCtx(t))) await t.services.refunds.process(sysCtx(t), id);
      // The order's aggregate goes first (the outbox orders events within an aggregate only).
      const [event] = await q(`SELECT id, type, aggregate_type, aggregate_id, schema_version, payload, created_at FROM domain_events WHERE type = 'order.refunded' AND aggregate_id = ?`, [orderId]);
      const payload = typeof event.payload === 'string' ? JSON.parse(event.payload) : event.payload;
      expect(payload).toMatchObject({ orderId, groupId, reason: 'group_failed' });
      const sub = t.services.subscribers.find((s) => s.name === 'notification.order-refunded')!;
      await sub.handle(sysCtx(t), { id: Number(event.id), type: 'order.refunded', aggregateType: 'order', aggregateId: orderId, schemaVersion: 1, payload, createdAt: new Date(event.created_at).toISOString() });
      expect((await inbox(opener)).items.map((i: { kind: string }) => i.kind)).toEqual(['order_refunded', 'group_failed']);
    } finally {
      outbox = await startOutboxDispatcher(t.infra, t.services.subscribers);
    }
    // The dispatcher now delivers group.failed (and order.refunded again): still two messages.
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      const [{ n }] = await q(`SELECT COUNT(*) AS n FROM event_receipts r JOIN domain_events e ON e.id = r.event_id WHERE e.type = 'group.failed' AND e.aggregate_id = ? AND r.subscriber = 'notification.group-outcome'`, [groupId]);
      if (Number(n) > 0) break;
      await sleep(100);
    }
    const page = await inbox(opener);
    expect(page.items.map((i: { kind: string }) => i.kind)).toEqual(['order_refunded', 'group_failed']);
    expect(page.items[1].title).toBe('拼团未成功');
    // Written outside a delivery (no fast path after a commit): the sweeper sends them, once each.
    await t.services.notifications.pushDue(sysCtx(t));
    expect((await pushesOf(opener)).map((p) => [p.kind, p.status])).toEqual([['group_failed', 'sent'], ['order_refunded', 'sent']]);
  });

  it('when an order ships, then 订单已发货 names the carrier; a busy WeChat is retried and a rotated token refetched', async () => {
    const u = await loginUser(t);
    const { campaign } = await createCampaign(t);
    const o = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id });
    await pay(t, u, o.body.id);
    fake.busyNext(1);
    fake.rotate();
    const op = await loginAdmin(t, 'operator');
    expect((await t.http.post(`/admin/orders/${o.body.id}/ship`).set(op.auth).send({ carrier: '顺丰', trackingNo: 'SF1234567' })).status).toBe(200);

    const page = await inboxOf(u, 1);
    expect(page.items[0]).toMatchObject({ kind: 'order_shipped', title: '订单已发货', body: '你的订单已由顺丰发出，运单号 SF1234567。' });
    // First try: the token was rotated (refetched and retried), then WeChat was busy → still pending, retried later.
    const until = Date.now() + 5000;
    let row: { id: number; status: string; push_attempts: number; push_error: string | null };
    do [row] = await q(`SELECT id, status, push_attempts, push_error FROM notifications WHERE user_id = ?`, [u.id]);
    while (row.push_attempts === 0 && Date.now() < until && (await sleep(50), true));
    await sleep(200);
    [row] = await q(`SELECT id, status, push_attempts, push_error FROM notifications WHERE user_id = ?`, [u.id]);
    expect(row).toMatchObject({ status: 'pending', push_attempts: 1 });
    expect(row.push_error).toMatch(/^-1/);
    // Not due yet: the sweeper leaves it; once due, it is sent, once.
    expect(await t.services.notifications.pushDue(sysCtx(t))).toBe(0);
    await q(`UPDATE notifications SET push_next_at = UTC_TIMESTAMP(3) WHERE id = ?`, [row.id]);
    const results = await Promise.all([t.services.notifications.push(sysCtx(t), row.id), t.services.notifications.push(sysCtx(t), row.id)]);
    expect(results.sort()).toEqual([null, 'sent'].sort());
    expect(fake.messages.filter((m) => m.template_id === 'TPL-SHIP')).toHaveLength(1);
  });

  it('when an unpaid order nears its deadline, then one 订单即将关闭 reminder is written by the scan, none for paid or short-window orders', async () => {
    const u = await loginUser(t);
    const { campaign } = await createCampaign(t, { paymentTimeoutSec: 120 });
    const unpaid = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id });
    const paid = await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: campaign.id });
    await pay(t, u, paid.body.id);
    const { campaign: short } = await createCampaign(t, { paymentTimeoutSec: 60 });
    await t.http.post('/api/orders/solo').set(u.auth).send({ campaignId: short.id });

    const now = Date.now();
    expect(await t.services.notifications.remindPayments(sysCtx(t), now)).toBe(0); // 120 s left, lead 60 s
    expect(await t.services.notifications.remindPayments(sysCtx(t), now + 61_000)).toBe(1);
    expect(await t.services.notifications.remindPayments(sysCtx(t), now + 62_000)).toBe(0);
    const page = await inbox(u);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ kind: 'payment_expiring', title: '订单即将关闭', link: `/packages/order/pages/pay/index?id=${unpaid.body.id}` });
    expect(page.items[0].body).toMatch(/约 1 分钟/);
    // A lost cursor rescans, and writes nothing twice.
    await t.infra.redis.del(`${t.infra.config.REDIS_PREFIX}notify:pay-reminder:cursor`);
    expect(await t.services.notifications.remindPayments(sysCtx(t), now + 63_000)).toBe(0);
  });

  it('when the inbox is read, then only the owner can mark a message read, and counts follow', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2 });
    const { opener, groupId } = await launchAndPay(t, campaign.id);
    const friend = await joinGroup(t, groupId);
    await pay(t, friend.user, friend.res.body.id);
    const mine = (await inboxOf(opener, 1)).items[0];
    const stranger = await loginUser(t);

    const denied = await t.http.post(`/api/notifications/${mine.id}/read`).set(stranger.auth);
    expect(denied.status).toBe(404);
    expect(denied.body.error.code).toBe('NOTIFICATION_NOT_FOUND');
    expect((await t.http.post('/api/notifications/99999999999/read').set(opener.auth)).status).toBe(404);
    expect((await t.http.post('/api/notifications/abc/read').set(opener.auth)).status).toBe(400);
    expect((await t.http.get('/api/notifications').set(stranger.auth)).body).toMatchObject({ items: [], total: 0, unread: 0 });
    expect((await t.http.get('/api/notifications')).status).toBe(401);

    expect((await t.http.get('/api/notifications/unread-count').set(opener.auth)).body).toEqual({ unread: 1 });
    const read = await t.http.post(`/api/notifications/${mine.id}/read`).set(opener.auth);
    expect(read.status).toBe(200);
    expect(read.body.readAt).not.toBeNull();
    const again = await t.http.post(`/api/notifications/${mine.id}/read`).set(opener.auth);
    expect(again.body.readAt).toBe(read.body.readAt);
    expect((await t.http.get('/api/notifications/unread-count').set(opener.auth)).body).toEqual({ unread: 0 });
    // The friend's message is untouched by the opener; read-all reads the friend's own.
    expect((await t.http.get('/api/notifications/unread-count').set(friend.user.auth)).body).toEqual({ unread: 1 });
    expect((await t.http.post('/api/notifications/read-all').set(friend.user.auth)).body).toEqual({ updated: 1 });
    expect((await t.http.get('/api/notifications/unread-count').set(friend.user.auth)).body).toEqual({ unread: 0 });
    expect((await t.http.get('/api/notifications/subscribe-templates').set(opener.auth)).body.templateIds).toEqual(['TPL-OK', 'TPL-FAIL', 'TPL-SHIP']);
  });
});

describe('notification configuration', () => {
  const base = { DATABASE_URL: 'mysql://a:b@127.0.0.1:3306/x', REDIS_URL: 'redis://127.0.0.1:6379' };
  it('when templates are not a JSON object of ids, or production pushes without the app secret, then the config is refused', () => {
    expect(loadConfig(base)).toMatchObject({ NOTIFY_CHANNEL: 'inbox', NOTIFY_TEMPLATES: '{}', PAYMENT_REMINDER_LEAD_SEC: 300 });
    for (const bad of ['[]', '{"group_succeeded": 1}', 'not json']) expect(() => loadConfig({ ...base, NOTIFY_TEMPLATES: bad })).toThrow(/NOTIFY_TEMPLATES/);
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', NOTIFY_CHANNEL: 'wechat', WECHAT_APP_ID: 'wx1' })).toThrow(/NOTIFY_CHANNEL/);
    expect(() => loadConfig({ ...base, PAYMENT_REMINDER_LEAD_SEC: '0' })).toThrow(/PAYMENT_REMINDER_LEAD_SEC/);
  });
});
