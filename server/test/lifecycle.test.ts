import { ErrorCode } from '@tuan/shared';
import type { Lifecycle } from '../src/core/lifecycle';
import { move } from '../src/core/lifecycle';
import { withTransaction } from '../src/core/transaction';
import { createSystemContext } from '../src/core/system';
import { productLifecycle } from '../src/modules/catalog/catalog.state';
import { templateLifecycle, userCouponLifecycle } from '../src/modules/coupon/coupon.state';
import { campaignLifecycle, groupLifecycle, memberLifecycle } from '../src/modules/groupbuy/groupbuy.state';
import { afterSaleLifecycle, orderLifecycle, refundLifecycle } from '../src/modules/order/order.state';
import { startTestApp, type TestApp } from './support/harness';
import { createCampaign, launchAndPay } from './support/groupbuy.factory';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

/** Every lifecycle of the product, each moved only through `move`. */
const lifecycles: Array<Lifecycle<string>> = [orderLifecycle, refundLifecycle, afterSaleLifecycle, groupLifecycle, memberLifecycle, campaignLifecycle, templateLifecycle, userCouponLifecycle, productLifecycle] as unknown as Array<Lifecycle<string>>;

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
