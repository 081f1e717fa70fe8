import { ErrorCode } from '@tuan/shared';
import type { Lifecycle } from '../src/core/lifecycle';
import { move } from '../src/core/lifecycle';
import { withTransaction } from '../src/core/transaction';
import { emit } from '../src/core/outbox';
import { outboxWakeChannel } from '../src/core/outbox.dispatcher';
import { createSystemContext } from '../src/core/system';
import { productLifecycle } from '../src/modules/catalog/catalog.state';
import { templateLifecycle, userCouponLifecycle } from '../src/modules/coupon/coupon.state';
import { campaignLifecycle, groupLifecycle, memberLifecycle } from '../src/modules/groupbuy/groupbuy.state';
import { OrderEntity } from '../src/modules/order/order.entity';
import { afterSaleLifecycle, orderLifecycle, refundLifecycle } from '../src/modules/order/order.state';
import { commissionLifecycle, rewardOrderLifecycle, withdrawalLifecycle } from '../src/modules/rewards/rewards.state';
import { leaderLifecycle, pickupPointLifecycle } from '../src/modules/leader/leader.state';
import { pickupBatchLifecycle } from '../src/modules/order/pickup.state';
import { startTestApp, type TestApp } from './support/harness';
import { createCampaign, joinGroup, launchAndPay, pay } from './support/groupbuy.factory';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

/** Every lifecycle of the product, each moved only through `move`. */
const lifecycles: Array<Lifecycle<string>> = [orderLifecycle, refundLifecycle, afterSaleLifecycle, groupLifecycle, memberLifecycle, campaignLifecycle, templateLifecycle, userCouponLifecycle, productLifecycle, commissionLifecycle, rewardOrderLifecycle, withdrawalLifecycle, leaderLifecycle, pickupPointLifecycle, pickupBatchLifecycle] as unknown as Array<Lifecycle<string>>;

const illegalMoves = lifecycles.flatMap((lc) => {
  const statuses = Object.keys(lc.transitions);
  return statuses.flatMap((from) => statuses.filter((to) => !lc.transitions[from].includes(to)).map((to) => [lc.name, from, to, lc] as const));
});

describe('the one transition helper', () => {
  it('covers every lifecycle with at least one illegal move', () => {
    expect(new Set(illegalMoves.map(([name]) => name))).toEqual(new Set(lifecycles.map((l) => l.name)));
  });

  it.each(illegalMoves.map(([name, from, to, lc]) => [`${name}: ${from} → ${to}`, lc, from, to] as const))('refuses the illegal move %s, writing nothing', async (_label, lc, from, to) => {
    const ctx = createSystemContext(t.infra, 'lifecycle-test');
    await expect(withTransaction(t.infra.dataSource, ctx, (tx) => move(tx, lc, 1, from, to))).rejects.toMatchObject({ code: ErrorCode.ILLEGAL_TRANSITION });
    // The guard runs before any SQL: no history row for this move exists.
    const own = await t.infra.dataSource.query(`SELECT COUNT(*) AS n FROM state_history WHERE entity = ? AND entity_id = 1 AND from_status = ? AND to_status = ?`, [lc.name, from, to]);
    expect(Number(own[0].n)).toBe(0);
  });

  it('when a legal move finds the row in another status, then it changes nothing and says so', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2 });
    const { orderId, groupId } = await launchAndPay(t, campaign.id);
    const ctx = createSystemContext(t.infra, 'lifecycle-test');
    // The order is `paid` (waiting for its group): pending_payment → cancelled is legal but stale.
    expect(await withTransaction(t.infra.dataSource, ctx, (tx) => move(tx, orderLifecycle, orderId, 'pending_payment', 'cancelled'))).toBe(false);
    expect(await withTransaction(t.infra.dataSource, ctx, (tx) => move(tx, groupLifecycle, groupId, 'pending', 'open'))).toBe(false);
    const [o] = await t.infra.dataSource.query('SELECT status FROM orders WHERE id = ?', [orderId]);
    expect(o.status).toBe('paid');
    // A real move writes its history row and its event in the same transaction.
    const events = await t.infra.dataSource.query(`SELECT type FROM domain_events WHERE aggregate_type = 'group' AND aggregate_id = ? ORDER BY id`, [groupId]);
    expect(events.map((e: { type: string }) => e.type)).toEqual(['group.opened']);
    const history = await t.infra.dataSource.query(`SELECT from_status, to_status FROM state_history WHERE entity = 'group' AND entity_id = ? ORDER BY id`, [groupId]);
    expect(history).toEqual([{ from_status: null, to_status: 'pending' }, { from_status: 'pending', to_status: 'open' }]);
  });
});

describe('one data-access style', () => {
  it('when money is summed, then the sum comes back as an integer number, not a string', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2 });
    await launchAndPay(t, campaign.id);
    const row = await t.infra.dataSource.manager
      .createQueryBuilder(OrderEntity, 'o')
      .select('SUM(o.payable_amount)', 'total')
      .addSelect('SUM(o.paid_amount)', 'paid')
      .where('o.campaign_id = :id', { id: campaign.id })
      .getRawOne<{ total: unknown; paid: unknown }>();
    expect(row).toEqual({ total: 2990, paid: 2990 });
  });
});

describe('domain events written with the change', () => {
  const eventsOf = async (aggregateType: string, id: number) =>
    (await t.infra.dataSource.query(`SELECT type FROM domain_events WHERE aggregate_type = ? AND aggregate_id = ? ORDER BY id`, [aggregateType, id])).map((e: { type: string }) => e.type);

  it('when a group succeeds, then each order says created → paid → fulfilment_ready and the group opened → succeeded', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2 });
    const { orderId, groupId } = await launchAndPay(t, campaign.id);
    const m = await joinGroup(t, groupId);
    await pay(t, m.user, m.res.body.id);
    expect(await eventsOf('order', orderId)).toEqual(['order.created', 'order.paid', 'order.fulfilment_ready']);
    expect(await eventsOf('order', m.res.body.id)).toEqual(['order.created', 'order.paid', 'order.fulfilment_ready']);
    expect(await eventsOf('group', groupId)).toEqual(['group.opened', 'group.succeeded']);
  });

  it('when a group fails, then its paid order is refunded with refund.created and order.refunded (with the amount), its unpaid one cancelled and its seat released', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 3, groupDurationSec: 2 });
    const { orderId, groupId } = await launchAndPay(t, campaign.id);
    const unpaid = await joinGroup(t, groupId);
    await new Promise((r) => setTimeout(r, 2200));
    const ctx = createSystemContext(t.infra, 'lifecycle-test');
    expect(await t.services.deadlines.expireGroup(ctx, groupId)).toBe('failed');
    for (const id of await t.services.refunds.due(ctx)) await t.services.refunds.process(ctx, id);
    expect(await eventsOf('order', orderId)).toEqual(['order.created', 'order.paid', 'refund.created', 'order.refunded']);
    expect(await eventsOf('order', unpaid.res.body.id)).toEqual(['order.created', 'order.cancelled']);
    expect(await eventsOf('group', groupId)).toEqual(['group.opened', 'group.seat_released', 'group.failed']);
    const [refunded] = await t.infra.dataSource.query(`SELECT payload FROM domain_events WHERE aggregate_type = 'order' AND aggregate_id = ? AND type = 'order.refunded'`, [orderId]);
    const payload = typeof refunded.payload === 'string' ? JSON.parse(refunded.payload) : refunded.payload;
    expect(payload).toMatchObject({ orderId, amount: 2990, reason: 'group_failed', fullyRefunded: true });
  });
});

describe('events nobody subscribes to', () => {
  it('when a change writes an event no subscriber handles (order.created), then it is written already fanned out and no worker is woken; one a subscriber handles (order.paid) waits for fan-out and wakes them', async () => {
    const sub = t.infra.redis.duplicate({ enableOfflineQueue: true });
    const woken: string[] = [];
    await sub.subscribe(outboxWakeChannel(t.infra.config.REDIS_PREFIX));
    sub.on('message', (_ch, msg) => woken.push(msg));
    const ctx = createSystemContext(t.infra, 'outbox-fanout-test');
    const orderId = 8_800_000_000 + Math.floor(Math.random() * 1_000_000);
    const base = { orderId, userId: 1, kind: 'solo' as const, campaignId: null, groupId: null };
    const row = async (type: string) =>
      (await t.infra.dataSource.query(`SELECT created_at, fanned_out_at FROM domain_events WHERE type = ? AND aggregate_type = 'order' AND aggregate_id = ?`, [type, orderId]))[0] as { created_at: Date; fanned_out_at: Date | null };
    try {
      await withTransaction(t.infra.dataSource, ctx, (tx) => emit(tx, { type: 'order.created', aggregateType: 'order', aggregateId: orderId, payload: { ...base, payableAmount: 100, payDeadlineAt: new Date().toISOString() } }));
      await new Promise((r) => setTimeout(r, 200));
      expect(woken).toHaveLength(0);
      const created = await row('order.created');
      expect(created.fanned_out_at).toEqual(created.created_at);

      await withTransaction(t.infra.dataSource, ctx, (tx) => emit(tx, { type: 'order.paid', aggregateType: 'order', aggregateId: orderId, payload: { ...base, paidAmount: 100, paidAt: new Date().toISOString() } }));
      for (let i = 0; i < 50 && !woken.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(woken.length).toBeGreaterThanOrEqual(1);
      expect((await row('order.paid')).fanned_out_at).toBeNull();
    } finally {
      sub.disconnect();
      // Nothing else may pick these up: no worker runs in this file, and the ids are out of range.
      await t.infra.dataSource.query(`DELETE FROM domain_events WHERE aggregate_type = 'order' AND aggregate_id = ?`, [orderId]);
    }
  });
});
