import { addAddress, loginAdmin, uniq, type TestApp, type TestUser } from './harness';
import { pay, sysCtx } from './groupbuy.factory';
import type { LoginResponse, MyRewardsResponse } from '@tuan/shared';

/** Polls `fn` until it returns something truthy (the outbox delivers after commit, a moment later). */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A user's share of a campaign (the token a friend's link carries). */
export async function shareCampaign(t: TestApp, user: TestUser, campaignId: number): Promise<string> {
  const res = await t.http.post('/api/shares').set(user.auth).send({ kind: 'campaign', targetId: campaignId });
  if (res.status !== 200 && res.status !== 201) throw new Error(`share failed ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** A brand-new user whose first login comes through `token` (so they are bound to its sharer), with an address. */
export async function loginThrough(t: TestApp, token: string): Promise<TestUser> {
  const res = await t.http.post('/api/auth/login').send({ code: `dev:${uniq('friend')}`, shareToken: token });
  if (res.status !== 200) throw new Error(`login failed ${res.status}`);
  const login = res.body as LoginResponse;
  const user: TestUser = { id: login.user.id, token: login.accessToken, refreshToken: login.refreshToken, login, auth: { Authorization: `Bearer ${login.accessToken}` } };
  user.addressId = await addAddress(t, user);
  return user;
}

/** Buys alone at list price through `token` (when given) and pays in the sandbox. */
export async function buySolo(t: TestApp, buyer: TestUser, campaignId: number, token?: string): Promise<number> {
  const o = await t.http.post('/api/orders/solo').set(buyer.auth).send({ campaignId, ...(token ? { shareToken: token } : {}) });
  if (o.status !== 201) throw new Error(`order failed ${o.status} ${JSON.stringify(o.body)}`);
  await pay(t, buyer, o.body.id);
  return o.body.id as number;
}

/** Ships the order (operator) and the buyer confirms receipt: order.completed, the after-sale window starts. */
export async function completeOrder(t: TestApp, buyer: TestUser, orderId: number): Promise<void> {
  const op = await loginAdmin(t, 'operator');
  const s = await t.http.post(`/admin/orders/${orderId}/ship`).set(op.auth).send({ carrier: '顺丰', trackingNo: `SF${Date.now()}${Math.floor(Math.random() * 1000)}` });
  if (s.status !== 200) throw new Error(`ship failed ${s.status} ${JSON.stringify(s.body)}`);
  const c = await t.http.post(`/api/orders/${orderId}/confirm-receipt`).set(buyer.auth);
  if (c.status !== 200) throw new Error(`confirm failed ${c.status} ${JSON.stringify(c.body)}`);
}

/** Finance refunds part of an order; the refund is processed at once (the sandbox confirms it): order.refunded. */
export async function refundOrder(t: TestApp, orderId: number, amount: number): Promise<void> {
  const fin = await loginAdmin(t, 'finance');
  const r = await t.http.post(`/admin/orders/${orderId}/refund`).set(fin.auth).send({ amount, note: '测试退款' });
  if (r.status !== 200) throw new Error(`refund failed ${r.status} ${JSON.stringify(r.body)}`);
  for (const id of await t.services.refunds.due(sysCtx(t))) await t.services.refunds.process(sysCtx(t), id);
}

export async function myRewards(t: TestApp, user: TestUser): Promise<MyRewardsResponse> {
  const r = await t.http.get('/api/my/rewards').set(user.auth);
  if (r.status !== 200) throw new Error(`rewards failed ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as MyRewardsResponse;
}
