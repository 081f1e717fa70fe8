import type { TestApp, TestUser } from './harness';
import { loginAdmin, loginUser } from './harness';

/** A valid leader application (coordinates in Shenzhen unless told otherwise). */
export function applicationBody(overrides: Record<string, unknown> = {}) {
  return {
    name: '王姐', phone: '13912345678', pointName: '幸福里便利店', kind: 'store', province: '广东省', city: '深圳市', district: '南山区',
    address: '幸福里 3 栋 101', lat: 22.5431, lng: 113.9298, openingHours: '08:00-21:00', photoUrl: null, ...overrides,
  };
}

/** A user who applied over HTTP and whom an operator approved over HTTP: an open point. */
export async function approvedLeader(t: TestApp, overrides: Record<string, unknown> = {}): Promise<{ user: TestUser; leaderId: number; pointId: number }> {
  const user = await loginUser(t, undefined, { withAddress: false });
  const applied = await t.http.post('/api/leader/application').set(user.auth).send(applicationBody(overrides));
  if (applied.status !== 200) throw new Error(`apply failed: ${applied.status} ${JSON.stringify(applied.body)}`);
  const op = await loginAdmin(t, 'operator');
  const ok = await t.http.post(`/admin/leaders/${applied.body.leaderId}/approve`).set(op.auth);
  if (ok.status !== 200) throw new Error(`approve failed: ${ok.status} ${JSON.stringify(ok.body)}`);
  return { user, leaderId: applied.body.leaderId, pointId: applied.body.point.id };
}
