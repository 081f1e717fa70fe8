import { randomInt } from 'node:crypto';
import { withTransaction } from '../../src/core/transaction';
import { move } from '../../src/core/lifecycle';
import { LeaderEntity, PickupPointEntity, UserPickupPointEntity } from '../../src/modules/leader/leader.entity';
import { FulfilmentEntity } from '../../src/modules/order/order.entity';
import { orderLifecycle } from '../../src/modules/order/order.state';
import { loginUser, type TestApp, type TestUser } from './harness';
import { sysCtx } from './groupbuy.factory';

export interface TestLeader {
  user: TestUser;
  leaderId: number;
  pointId: number;
  pointName: string;
}

/**
 * A leader with a pickup point (approved and open unless told otherwise), written through the leader
 * module's entities: the fastest way to a leader for tests that are about what happens after approval.
 * `commissionBps` null: the rule's rate.
 */
export async function createLeader(
  t: TestApp,
  opts: { commissionBps?: number | null; user?: TestUser; name?: string; pointStatus?: 'open' | 'closed'; leaderStatus?: 'approved' | 'suspended' } = {},
): Promise<TestLeader> {
  const user = opts.user ?? (await loginUser(t));
  const now = new Date();
  const m = t.infra.dataSource.manager;
  const l = await m.insert(LeaderEntity, {
    userId: user.id, status: opts.leaderStatus ?? 'approved', name: '王团长', phoneEnc: t.infra.cipher.encrypt('13900001111'), phoneMasked: '139****1111',
    commissionBps: opts.commissionBps ?? null, rejectReason: null, reviewedAt: now, createdAt: now, updatedAt: now,
  });
  const leaderId = Number(l.identifiers[0]!.id);
  const pointName = (opts.name ?? `幸福小区${randomInt(1000, 9999)}号自提点`).slice(0, 40);
  const p = await m.insert(PickupPointEntity, {
    leaderId, status: opts.pointStatus ?? 'open', name: pointName, kind: 'store', province: '广东省', city: '深圳市', district: '南山区',
    address: '科技园路 8 号便利店', lat: 22.54 + Math.random() / 100, lng: 113.95 + Math.random() / 100, openingHours: '08:00-21:00', photoUrl: null, createdAt: now, updatedAt: now,
  });
  return { user, leaderId, pointId: Number(p.identifiers[0]!.id), pointName };
}

/** `createLeader` in the shape the batch tests use (`leader` is the leader's signed-in user). */
export async function createLeaderWithPoint(t: TestApp, opts: { name?: string; pointStatus?: 'open' | 'closed'; leaderStatus?: 'approved' | 'suspended' } = {}): Promise<{ leader: TestUser; leaderId: number; pointId: number; pointName: string }> {
  const l = await createLeader(t, opts);
  return { leader: l.user, leaderId: l.leaderId, pointId: l.pointId, pointName: l.pointName };
}

/** The shopper's remembered point (what the chooser writes). */
export async function rememberPoint(t: TestApp, user: TestUser, pointId: number): Promise<void> {
  await t.infra.dataSource.manager.upsert(UserPickupPointEntity, { userId: user.id, pointId, via: 'chosen', shareId: null, updatedAt: new Date() }, ['userId']);
}

/**
 * Turns a paid `to_fulfil` order into a pickup order waiting at `leader`'s point, as the arrival
 * confirmation does: the fulfilment row carries point, leader and the point's name, then
 * `to_fulfil → ready_for_pickup` through `move()` with `order.ready_for_pickup` (orderId, userId,
 * pointId, leaderId, readyAt) in the same transaction. For tests about what happens after arrival.
 */
export async function makeReadyForPickup(t: TestApp, orderId: number, leader: Pick<TestLeader, 'leaderId' | 'pointId'>): Promise<Date> {
  const ctx = sysCtx(t);
  const readyAt = new Date();
  await withTransaction(t.infra.dataSource, ctx, async (tx) => {
    const point = await tx.manager.findOneByOrFail(PickupPointEntity, { id: leader.pointId });
    await tx.manager.update(FulfilmentEntity, { orderId }, {
      mode: 'pickup', pickupPointId: leader.pointId, leaderId: leader.leaderId, pickupPointName: point.name, readyAt, updatedAt: readyAt,
    });
    const o = await tx.manager.query('SELECT user_id FROM orders WHERE id = ? FOR UPDATE', [orderId]);
    const moved = await move(tx, orderLifecycle, orderId, 'to_fulfil', 'ready_for_pickup', {
      note: '已到达自提点',
      events: [{ type: 'order.ready_for_pickup', aggregateType: 'order', aggregateId: orderId, payload: { orderId, userId: Number(o[0].user_id), pointId: leader.pointId, leaderId: leader.leaderId, readyAt: readyAt.toISOString() } }],
    });
    if (!moved) throw new Error(`order ${orderId} was not to_fulfil`);
  });
  return new Date();
}
