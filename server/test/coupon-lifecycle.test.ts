import { ErrorCode } from '@tuan/shared';
import type { ServiceContext } from '../src/core/context';
import { move } from '../src/core/lifecycle';
import { DomainEventEntity, StateHistoryEntity } from '../src/core/outbox.entity';
import { withTransaction } from '../src/core/transaction';
import { userCouponLifecycle } from '../src/modules/coupon/coupon.state';
import { loginUser, startTestApp, uniq, type TestApp } from './support/harness';
import { createCouponTemplate } from './support/groupbuy.factory';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ COUPON_CLAIMS_PER_MIN: '1000' });
});
afterAll(() => t.close());

const q = (sql: string, p: unknown[] = []) => t.infra.dataSource.query(sql, p);
const ctx = (): ServiceContext => ({ actor: { kind: 'system', name: 'test' }, requestId: uniq('req'), log: t.infra.log, manager: t.infra.dataSource.manager });
const tx = <T>(fn: (tx: ServiceContext) => Promise<T>) => withTransaction(t.infra.dataSource, ctx(), fn);
/** Order ids no real order has: these tests drive the coupon service the way checkout and payment do. */
const fakeOrderId = () => 9_000_000_000 + Math.floor(Math.random() * 1_000_000_000);

const history = async (entity: string, id: number) =>
  (await t.infra.dataSource.getRepository(StateHistoryEntity).find({ where: { entity, entityId: id }, order: { id: 'ASC' } })).map((h) => [h.fromStatus, h.toStatus]);
const events = (type: string, couponId: number) => t.infra.dataSource.getRepository(DomainEventEntity).find({ where: { type: type as DomainEventEntity['type'], aggregateType: 'coupon', aggregateId: couponId }, order: { id: 'ASC' } });

async function claimOne(overrides: Record<string, unknown> = {}) {
  const { template, op } = await createCouponTemplate(t, { totalStock: 10, perUserLimit: 3, ...overrides });
  const user = await loginUser(t);
  const res = await t.http.post(`/api/coupon-templates/${template.id}/claim`).set(user.auth);
  expect(res.status).toBe(201);
  return { template, op, user, couponId: res.body.id as number };
}

describe('coupon.issued', () => {
  it('when a coupon is claimed, then coupon.issued and its first history row are written with it', async () => {
    const { template, user, couponId } = await claimOne();
    const [e, ...more] = await events('coupon.issued', couponId);
    expect(more).toHaveLength(0);
    expect(e).toMatchObject({ schemaVersion: 1, payload: { couponId, templateId: template.id, userId: user.id, via: 'claim' } });
    expect(await history('user_coupon', couponId)).toEqual([[null, 'available']]);
  });

  it('when a claim is refused (limit reached), then no coupon.issued is written', async () => {
    const { template, user, couponId } = await claimOne({ perUserLimit: 1 });
    const again = await t.http.post(`/api/coupon-templates/${template.id}/claim`).set(user.auth);
    expect(again.body.error.code).toBe(ErrorCode.COUPON_LIMIT_REACHED);
    const [{ n }] = await q(`SELECT COUNT(*) AS n FROM domain_events WHERE type = 'coupon.issued' AND JSON_VALUE(payload, '$.templateId') = ?`, [template.id]);
    expect(Number(n)).toBe(1);
    expect(await events('coupon.issued', couponId)).toHaveLength(1);
  });

  it('when an operator grants a template, then each coupon granted has coupon.issued via operator_grant', async () => {
    const { template, op } = await createCouponTemplate(t, { channel: 'operator_grant', totalStock: 5 });
    const [a, b] = [await loginUser(t), await loginUser(t)];
    const res = await t.http.post(`/admin/coupon-templates/${template.id}/grants`).set(op.auth).send({ userIds: [a.id, b.id, 999999999] });
    expect(res.body.granted).toEqual([a.id, b.id]);
    const coupons: Array<{ id: number; user_id: number }> = await q(`SELECT id, user_id FROM user_coupons WHERE template_id = ? ORDER BY id`, [template.id]);
    expect(coupons.map((c) => c.user_id)).toEqual([a.id, b.id]);
    for (const c of coupons) {
      expect((await events('coupon.issued', c.id)).map((e) => e.payload)).toEqual([{ couponId: c.id, templateId: template.id, userId: c.user_id, via: 'operator_grant' }]);
    }
  });

  it('when a new user logs in while a registration gift runs, then the gift comes with coupon.issued via registration_gift', async () => {
    const { template, op } = await createCouponTemplate(t, { channel: 'registration_gift', kind: 'no_threshold', amountOff: 300, threshold: 0, totalStock: 100000, perUserLimit: 5 });
    try {
      const user = await loginUser(t);
      const [c] = await q(`SELECT id FROM user_coupons WHERE template_id = ? AND user_id = ?`, [template.id, user.id]);
      expect((await events('coupon.issued', c.id)).map((e) => e.payload)).toEqual([{ couponId: c.id, templateId: template.id, userId: user.id, via: 'registration_gift' }]);
    } finally {
      // Stop gifting: other test files create users in the same database.
      await t.http.post(`/admin/coupon-templates/${template.id}/end`).set(op.auth).expect(200);
    }
  });

  it('when a registration gift has run out, then the login still succeeds and the per-person count is not taken', async () => {
    const { template, op } = await createCouponTemplate(t, { channel: 'registration_gift', kind: 'no_threshold', amountOff: 300, threshold: 0, totalStock: 1, perUserLimit: 1 });
    try {
      await q(`UPDATE coupon_templates SET issued = total_stock WHERE id = ?`, [template.id]); // someone else took the last one
      const user = await loginUser(t);
      expect(await q(`SELECT id FROM user_coupons WHERE template_id = ? AND user_id = ?`, [template.id, user.id])).toHaveLength(0);
      const [claims] = await q(`SELECT claimed FROM coupon_user_claims WHERE template_id = ? AND user_id = ?`, [template.id, user.id]);
      expect(claims?.claimed ?? 0).toBe(0);
    } finally {
      await t.http.post(`/admin/coupon-templates/${template.id}/end`).set(op.auth).expect(200);
    }
  });
});

describe('coupon.used and the user-coupon lifecycle', () => {
  it('when the order holding a coupon is paid, then coupon.used is written in that transaction, with every move in state_history', async () => {
    const { template, user, couponId } = await claimOne();
    const first = fakeOrderId();
    await tx((x) => t.services.coupons.lock(x, couponId, first));
    await tx((x) => t.services.coupons.release(x, first)); // cancelled
    const second = fakeOrderId();
    await tx((x) => t.services.coupons.lock(x, couponId, second));
    await tx((x) => t.services.coupons.markUsed(x, second));
    const [row] = await q(`SELECT status, used_order_id, locked_order_id FROM user_coupons WHERE id = ?`, [couponId]);
    expect(row).toEqual({ status: 'used', used_order_id: second, locked_order_id: null });
    expect((await events('coupon.used', couponId)).map((e) => e.payload)).toEqual([{ couponId, templateId: template.id, userId: user.id, orderId: second }]);
    await tx((x) => t.services.coupons.returnOnRefund(x, second)); // fully refunded, still valid
    expect(await history('user_coupon', couponId)).toEqual([
      [null, 'available'],
      ['available', 'locked'],
      ['locked', 'available'],
      ['available', 'locked'],
      ['locked', 'used'],
      ['used', 'available'],
    ]);
  });

  it('when the paying transaction rolls back, then neither the move, its history nor coupon.used remain', async () => {
    const { couponId } = await claimOne();
    const orderId = fakeOrderId();
    await tx((x) => t.services.coupons.lock(x, couponId, orderId));
    await expect(
      tx(async (x) => {
        await t.services.coupons.markUsed(x, orderId);
        throw new Error('payment handling failed after the coupon moved');
      }),
    ).rejects.toThrow('payment handling failed');
    expect((await q(`SELECT status FROM user_coupons WHERE id = ?`, [couponId]))[0].status).toBe('locked');
    expect(await events('coupon.used', couponId)).toHaveLength(0);
    expect(await history('user_coupon', couponId)).toEqual([[null, 'available'], ['available', 'locked']]);
  });

  it('when a locked coupon is released after its validity ended, then it is expired, and move refuses expired → available with ILLEGAL_TRANSITION', async () => {
    const { couponId } = await claimOne();
    const orderId = fakeOrderId();
    await tx((x) => t.services.coupons.lock(x, couponId, orderId));
    await q(`UPDATE user_coupons SET valid_to = UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE WHERE id = ?`, [couponId]);
    await tx((x) => t.services.coupons.release(x, orderId)); // the order was cancelled
    expect((await q(`SELECT status, locked_order_id FROM user_coupons WHERE id = ?`, [couponId]))[0]).toEqual({ status: 'expired', locked_order_id: null });
    const moves = [[null, 'available'], ['available', 'locked'], ['locked', 'expired']];
    expect(await history('user_coupon', couponId)).toEqual(moves);
    await expect(tx((x) => move(x, userCouponLifecycle, couponId, 'expired', 'available'))).rejects.toMatchObject({ code: ErrorCode.ILLEGAL_TRANSITION });
    expect((await q(`SELECT status FROM user_coupons WHERE id = ?`, [couponId]))[0].status).toBe('expired');
    expect(await history('user_coupon', couponId)).toEqual(moves);
  });
});

describe('coupon template lifecycle', () => {
  it('when an operator activates, pauses and ends a template, then each move is in state_history; an ended one cannot come back', async () => {
    const { template, op } = await createCouponTemplate(t, { status: 'draft' });
    for (const action of ['activate', 'pause', 'end']) await t.http.post(`/admin/coupon-templates/${template.id}/${action}`).set(op.auth).expect(200);
    const back = await t.http.post(`/admin/coupon-templates/${template.id}/activate`).set(op.auth);
    expect(back.status).toBe(409);
    expect(back.body.error.code).toBe(ErrorCode.ILLEGAL_TRANSITION);
    expect(await history('coupon_template', template.id)).toEqual([
      [null, 'draft'],
      ['draft', 'active'],
      ['active', 'paused'],
      ['paused', 'ended'],
    ]);
  });

  // One sweep only: it expires whatever is due in the shared test database, other files' rows included,
  // so nothing here counts what it swept — each row's own status and history say what happened.
  it('when the sweeper runs, then coupons past validity expire and templates past their end end, through the lifecycles', async () => {
    const { template, couponId } = await claimOne();
    await q(`UPDATE user_coupons SET valid_to = UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE WHERE id = ?`, [couponId]);
    await q(`UPDATE coupon_templates SET ends_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE id = ?`, [template.id]);
    await t.services.coupons.sweep(ctx());
    expect((await q(`SELECT status FROM user_coupons WHERE id = ?`, [couponId]))[0].status).toBe('expired');
    expect(await history('user_coupon', couponId)).toEqual([[null, 'available'], ['available', 'expired']]);
    expect((await q(`SELECT status FROM coupon_templates WHERE id = ?`, [template.id]))[0].status).toBe('ended');
    expect(await history('coupon_template', template.id)).toEqual([[null, 'active'], ['active', 'ended']]);
  });
});
