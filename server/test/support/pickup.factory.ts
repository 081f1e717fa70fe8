import { LeaderEntity, PickupPointEntity, UserPickupPointEntity } from '../../src/modules/leader/leader.entity';
import { loginUser, type TestApp, type TestUser } from './harness';

/**
 * An approved leader with an open pickup point, written through the leader module's entities (the
 * application and approval routes belong to the leaders branch). The leader is a signed-in user.
 */
export async function createLeaderWithPoint(t: TestApp, opts: { name?: string; pointStatus?: 'open' | 'closed'; leaderStatus?: 'approved' | 'suspended' } = {}): Promise<{ leader: TestUser; leaderId: number; pointId: number; pointName: string }> {
  const leader = await loginUser(t);
  const now = new Date();
  const m = t.infra.dataSource.manager;
  const l = await m.insert(LeaderEntity, {
    userId: leader.id, status: opts.leaderStatus ?? 'approved', name: '王团长', phoneEnc: 'enc:test', phoneMasked: '138****5678',
    commissionBps: null, rejectReason: null, reviewedAt: now, createdAt: now, updatedAt: now,
  });
  const leaderId = Number(l.identifiers[0].id);
  const pointName = (opts.name ?? `幸福里自提点${leader.id}`).slice(0, 40);
  const p = await m.insert(PickupPointEntity, {
    leaderId, status: opts.pointStatus ?? 'open', name: pointName, kind: 'store', province: '广东省', city: '深圳市', district: '南山区',
    address: '科技园路 8 号便利店', lat: 22.54, lng: 113.95, openingHours: '08:00-21:00', photoUrl: null, createdAt: now, updatedAt: now,
  });
  return { leader, leaderId, pointId: Number(p.identifiers[0].id), pointName };
}

/** The shopper's remembered point (what the leaders branch's chooser writes). */
export async function rememberPoint(t: TestApp, user: TestUser, pointId: number): Promise<void> {
  await t.infra.dataSource.manager.upsert(UserPickupPointEntity, { userId: user.id, pointId, via: 'chosen', shareId: null, updatedAt: new Date() }, ['userId']);
}
