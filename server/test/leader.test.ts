import { randomInt } from 'node:crypto';
import { ErrorCode } from '@tuan/shared';
import { createSystemContext } from '../src/core/system';
import { withTransaction } from '../src/core/transaction';
import { loginAdmin, loginUser, startTestApp, type TestApp } from './support/harness';
import { applicationBody, approvedLeader } from './support/leader.factory';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => t.infra.dataSource.query(sql, params) as Promise<T[]>;

/** The reference: haversine written out here on its own (mean Earth radius), not the server's function. */
function referenceMetres(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const toRad = (d: number) => (d * Math.PI) / 180;
  const h = Math.sin(toRad(lat2 - lat1) / 2) ** 2 + Math.cos(toRad(lat1)) * Math.cos(toRad(lat2)) * Math.sin(toRad(lng2 - lng1) / 2) ** 2;
  return 2 * 6371008.8 * Math.atan2(Math.sqrt(h), Math.sqrt(1 - h));
}

describe('leader application and review', () => {
  it('when a user applies, then the application is 审核中 with the phone encrypted at rest, full to the owner and masked to operators', async () => {
    const user = await loginUser(t, undefined, { withAddress: false });
    const res = await t.http.post('/api/leader/application').set(user.auth).send(applicationBody({ phone: '13700001111' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'applied', phone: '13700001111', phoneMasked: '137****1111', point: { status: 'pending', name: '幸福里便利店' } });
    const [row] = await q<{ phone_enc: string }>('SELECT phone_enc FROM leaders WHERE id = ?', [res.body.leaderId]);
    expect(row.phone_enc).not.toContain('13700001111');
    const op = await loginAdmin(t, 'operator');
    const admin = await t.http.get(`/admin/leaders/${res.body.leaderId}`).set(op.auth);
    expect(admin.body.phoneMasked).toBe('137****1111');
    expect(JSON.stringify(admin.body)).not.toContain('13700001111');
    // A point under review is nobody else's business.
    expect((await t.http.get(`/api/pickup-points/${res.body.point.id}`)).status).toBe(404);
    // Applying again while under review is refused.
    const again = await t.http.post('/api/leader/application').set(user.auth).send(applicationBody());
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe(ErrorCode.LEADER_ALREADY_APPLIED);
  });

  it('when an operator rejects with a reason, then the applicant sees it and may apply again; approving opens the point; all moves are recorded, evented and audited', async () => {
    const user = await loginUser(t, undefined, { withAddress: false });
    const applied = await t.http.post('/api/leader/application').set(user.auth).send(applicationBody());
    const { leaderId } = applied.body;
    const pointId = applied.body.point.id;
    const op = await loginAdmin(t, 'operator');
    const rejected = await t.http.post(`/admin/leaders/${leaderId}/reject`).set(op.auth).send({ reason: '门店照片不清晰' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', rejectReason: '门店照片不清晰', point: { status: 'closed' } });
    const me = await t.http.get('/api/leader/me').set(user.auth);
    expect(me.body.leader).toMatchObject({ status: 'rejected', rejectReason: '门店照片不清晰' });

    const again = await t.http.post('/api/leader/application').set(user.auth).send(applicationBody({ pointName: '幸福里便利店（新）' }));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ leaderId, status: 'applied', rejectReason: null, point: { id: pointId, status: 'pending', name: '幸福里便利店（新）' } });

    const approved = await t.http.post(`/admin/leaders/${leaderId}/approve`).set(op.auth);
    expect(approved.body).toMatchObject({ status: 'approved', point: { status: 'open' } });
    expect((await t.http.get(`/api/pickup-points/${pointId}`)).body).toMatchObject({ id: pointId, status: 'open', leaderName: '王姐' });

    const history = await q<{ from_status: string | null; to_status: string }>(`SELECT from_status, to_status FROM state_history WHERE entity = 'leader' AND entity_id = ? ORDER BY id`, [leaderId]);
    expect(history.map((h) => `${h.from_status}>${h.to_status}`)).toEqual(['null>applied', 'applied>rejected', 'rejected>applied', 'applied>approved']);
    const pointHistory = await q<{ from_status: string | null; to_status: string }>(`SELECT from_status, to_status FROM state_history WHERE entity = 'pickup_point' AND entity_id = ? ORDER BY id`, [pointId]);
    expect(pointHistory.map((h) => `${h.from_status}>${h.to_status}`)).toEqual(['null>pending', 'pending>closed', 'closed>pending', 'pending>open']);
    const events = await q<{ type: string }>(`SELECT type FROM domain_events WHERE aggregate_type = 'leader' AND aggregate_id = ? ORDER BY id`, [leaderId]);
    expect(events.map((e) => e.type)).toEqual(['leader.applied', 'leader.rejected', 'leader.applied', 'leader.approved']);
    const audit = await q<{ action: string; before: string; after: string }>(`SELECT action, JSON_EXTRACT(after, "$") AS after FROM audit_logs WHERE entity_type = 'leader' AND entity_id = ? ORDER BY id`, [String(leaderId)]);
    expect(audit.map((a) => a.action)).toEqual(['leader.reject', 'leader.approve']);
    const after = audit[0].after as unknown;
    expect(typeof after === 'string' ? JSON.parse(after) : after).toMatchObject({ status: 'rejected', pointStatus: 'closed', reason: '门店照片不清晰' });
  });

  it('when a decision does not fit the status, then 409 ILLEGAL_TRANSITION and nothing changes; support may not decide', async () => {
    const { leaderId } = await approvedLeader(t);
    const op = await loginAdmin(t, 'operator');
    for (const [path, body] of [['approve', {}], ['reject', { reason: 'x' }], ['resume', {}]] as const) {
      const res = await t.http.post(`/admin/leaders/${leaderId}/${path}`).set(op.auth).send(body);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe(ErrorCode.ILLEGAL_TRANSITION);
    }
    const support = await loginAdmin(t, 'support');
    expect((await t.http.post(`/admin/leaders/${leaderId}/suspend`).set(support.auth).send({})).status).toBe(403);
    expect((await t.http.post(`/admin/leaders/${leaderId}/reject`).set(op.auth).send({ reason: '' })).status).toBe(400);
    expect((await t.http.post('/admin/leaders/999999999/approve').set(op.auth)).status).toBe(404);
    const [row] = await q<{ status: string }>('SELECT status FROM leaders WHERE id = ?', [leaderId]);
    expect(row.status).toBe('approved');
  });

  it('when one user applies ten times at once, then one application exists and the others get 409', async () => {
    const user = await loginUser(t, undefined, { withAddress: false });
    const results = await Promise.all(Array.from({ length: 10 }, () => t.http.post('/api/leader/application').set(user.auth).send(applicationBody())));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    const [{ n }] = await q<{ n: string }>('SELECT COUNT(*) AS n FROM leaders WHERE user_id = ?', [user.id]);
    expect(Number(n)).toBe(1);
  });

  it('when the input is bad (coordinates outside China, a malformed phone), then 400 and nothing is written', async () => {
    const user = await loginUser(t, undefined, { withAddress: false });
    for (const bad of [{ lat: 91 }, { lng: 200 }, { lat: 'x' }, { phone: '123' }, { kind: 'castle' }, { pointName: '' }]) {
      const res = await t.http.post('/api/leader/application').set(user.auth).send(applicationBody(bad));
      expect(res.status).toBe(400);
    }
    const [{ n }] = await q<{ n: string }>('SELECT COUNT(*) AS n FROM leaders WHERE user_id = ?', [user.id]);
    expect(Number(n)).toBe(0);
  });
});

describe('suspension', () => {
  it('when a leader is suspended, then the point leaves the search, cannot be chosen or checked out; resumed, it is back', async () => {
    const lat = 30 + randomInt(0, 1_000_000) / 1e6;
    const lng = 104 + randomInt(0, 1_000_000) / 1e6;
    const { leaderId, pointId } = await approvedLeader(t, { lat, lng });
    const shopper = await loginUser(t, undefined, { withAddress: false });
    const near = async () => (await t.http.get('/api/pickup-points/nearby').query({ lat, lng, pageSize: 5 })).body.items.map((p: { id: number }) => p.id);
    expect(await near()).toContain(pointId);
    const op = await loginAdmin(t, 'operator');
    const suspended = await t.http.post(`/admin/leaders/${leaderId}/suspend`).set(op.auth).send({ reason: '投诉核实中' });
    expect(suspended.body).toMatchObject({ status: 'suspended', point: { status: 'closed' } });
    expect(await near()).not.toContain(pointId);
    expect(await t.infra.redis.zscore(`${t.infra.config.REDIS_PREFIX}{pickup}:geo`, String(pointId))).toBeNull();
    const chosen = await t.http.put('/api/my/pickup-point').set(shopper.auth).send({ pointId });
    expect(chosen.status).toBe(409);
    expect(chosen.body.error.code).toBe(ErrorCode.PICKUP_POINT_UNAVAILABLE);
    const ctx = createSystemContext(t.infra);
    await expect(withTransaction(t.infra.dataSource, ctx, (tx) => t.services.leaders.pointForCheckout(tx, pointId))).rejects.toMatchObject({ code: ErrorCode.PICKUP_POINT_UNAVAILABLE });
    // The leader still is one (open orders complete), as the leader centre asks.
    expect(await t.services.leaders.leaderOfUser(ctx, (await q<{ user_id: string }>('SELECT user_id FROM leaders WHERE id = ?', [leaderId]))[0].user_id as unknown as number)).toMatchObject({ status: 'suspended', pointId });

    expect((await t.http.post(`/admin/leaders/${leaderId}/resume`).set(op.auth)).body).toMatchObject({ status: 'approved', point: { status: 'open' } });
    expect(await near()).toContain(pointId);
    expect((await t.http.put('/api/my/pickup-point').set(shopper.auth).send({ pointId })).status).toBe(200);
  });

  it('when a point was chosen and then its leader suspended, then my point says it is not usable', async () => {
    const { leaderId, pointId } = await approvedLeader(t);
    const shopper = await loginUser(t, undefined, { withAddress: false });
    expect((await t.http.put('/api/my/pickup-point').set(shopper.auth).send({ pointId })).body).toMatchObject({ via: 'chosen', usable: true, point: { id: pointId } });
    const op = await loginAdmin(t, 'operator');
    await t.http.post(`/admin/leaders/${leaderId}/suspend`).set(op.auth).send({});
    expect((await t.http.get('/api/my/pickup-point').set(shopper.auth)).body).toMatchObject({ via: 'chosen', usable: false, point: { id: pointId, status: 'closed' } });
    expect(await t.services.leaders.rememberedPoint(createSystemContext(t.infra), shopper.id)).toBe(pointId);
  });
});

describe('nearest first', () => {
  it('when random points are searched from random places, then every page together equals a reference haversine sort, to the metre', async () => {
    // 400 open points scattered over ~40 km around a random place in China, inserted as approved leaders.
    const cLat = 22 + randomInt(0, 2_000_000) / 1e5;
    const cLng = 100 + randomInt(0, 2_000_000) / 1e5;
    const now = new Date();
    for (let i = 0; i < 400; i++) {
      const u = await loginUser(t, undefined, { withAddress: false });
      const res = await q<{ insertId: number }>(
        `INSERT INTO leaders (user_id, status, name, phone_enc, phone_masked, created_at, updated_at) VALUES (?, 'approved', '团长', 'x', '139****0000', ?, ?)`, [u.id, now, now],
      ) as unknown as { insertId: number };
      await q(
        `INSERT INTO pickup_points (leader_id, status, name, kind, province, city, district, address, lat, lng, opening_hours, created_at, updated_at) VALUES (?, 'open', ?, 'store', '省', '市', '区', '路', ?, ?, '09:00-20:00', ?, ?)`,
        [res.insertId, `点${i}`, cLat + (Math.random() - 0.5) * 0.4, cLng + (Math.random() - 0.5) * 0.4, now, now],
      );
    }
    // Inserted behind the index's back: as if Redis had lost the set, the first search rebuilds it from MySQL.
    await t.services.pickupPoints['geo'].drop();
    const all = await q<{ id: string; lat: number; lng: number }>(`SELECT id, lat, lng FROM pickup_points WHERE status = 'open'`);
    const radius = t.infra.config.PICKUP_SEARCH_RADIUS_M;
    for (let trial = 0; trial < 5; trial++) {
      const lat = cLat + (Math.random() - 0.5) * 0.3;
      const lng = cLng + (Math.random() - 0.5) * 0.3;
      const inRadius = all
        .map((p) => ({ id: Number(p.id), exact: referenceMetres(lat, lng, Number(p.lat), Number(p.lng)) }))
        .filter((p) => p.exact <= radius)
        .sort((a, b) => a.exact - b.exact || a.id - b.id)
        .map((p) => ({ id: p.id, distanceM: Math.round(p.exact) }));
      const expected = inRadius.slice(0, 200);
      const got: Array<{ id: number; distanceM: number }> = [];
      for (let page = 1; page <= 4; page++) {
        const res = await t.http.get('/api/pickup-points/nearby').query({ lat, lng, page, pageSize: 50 });
        expect(res.status).toBe(200);
        got.push(...res.body.items.map((p: { id: number; distanceM: number }) => ({ id: p.id, distanceM: p.distanceM })));
        expect(res.body.hasMore).toBe(inRadius.length > page * 50);
      }
      expect(expected.length).toBeGreaterThan(150);
      expect(got).toEqual(expected);
    }
  });

  it('when no location is given, then the city list offers cities with open points; a bad coordinate is a 400', async () => {
    await approvedLeader(t, { city: '测试市', province: '测试省', lat: 31.2, lng: 121.4 });
    const res = await t.http.get('/api/pickup-points/cities');
    expect(res.status).toBe(200);
    expect(res.body.items.find((c: { city: string }) => c.city === '测试市')).toMatchObject({ province: '测试省' });
    expect((await t.http.get('/api/pickup-points/nearby').query({ lat: 95, lng: 120 })).status).toBe(400);
    expect((await t.http.get('/api/pickup-points/nearby').query({ lat: 30 })).status).toBe(400);
    // Paging stops at the 2 000 nearest points: page 41 of 50 is refused, not searched.
    expect((await t.http.get('/api/pickup-points/nearby').query({ lat: 31.2, lng: 121.4, page: 41, pageSize: 50 })).status).toBe(400);
    expect((await t.http.get('/api/pickup-points/nearby').query({ lat: 31.2, lng: 121.4, page: 40, pageSize: 50 })).status).toBe(200);
  });
});

describe('my point and the leader share', () => {
  it('when a leader shares their point, then a shopper without a point is bound to it; a shopper who chose one keeps theirs; one\'s own share binds nothing', async () => {
    const leader = await approvedLeader(t);
    const share = await t.http.post('/api/shares').set(leader.user.auth).send({ kind: 'leader', targetId: leader.pointId, channel: 'chat' });
    expect(share.status).toBe(200);
    const token = share.body.token as string;

    const fresh = await loginUser(t, undefined, { withAddress: false });
    expect((await t.http.get('/api/my/pickup-point').set(fresh.auth)).body).toEqual({ point: null, via: null, usable: false });
    const bound = await t.http.post('/api/my/pickup-point/leader-share').set(fresh.auth).send({ token });
    expect(bound.status).toBe(200);
    expect(bound.body).toMatchObject({ via: 'leader_share', usable: true, point: { id: leader.pointId } });
    const [row] = await q<{ share_id: string }>('SELECT share_id FROM user_pickup_points WHERE user_id = ?', [fresh.id]);
    expect(Number(row.share_id)).toBeGreaterThan(0);

    const other = await approvedLeader(t, { lat: 22.55, lng: 113.93 });
    const chooser = await loginUser(t, undefined, { withAddress: false });
    await t.http.put('/api/my/pickup-point').set(chooser.auth).send({ pointId: other.pointId });
    expect((await t.http.post('/api/my/pickup-point/leader-share').set(chooser.auth).send({ token })).body).toMatchObject({ via: 'chosen', point: { id: other.pointId } });

    expect((await t.http.post('/api/my/pickup-point/leader-share').set(leader.user.auth).send({ token })).body.point).toBeNull();
    const campaignShare = await t.http.post('/api/shares').set(leader.user.auth).send({ kind: 'campaign', targetId: 1, channel: 'chat' });
    expect((await t.http.post('/api/my/pickup-point/leader-share').set(fresh.auth).send({ token: campaignShare.body.token })).status).toBe(404);
    expect((await t.http.get(`/api/shares/${token}/code`)).body.page).toBe('packages/leader/pages/points/index');
  });

  it('when a shopper chooses a point, then checkout\'s default is that point; an unknown or pending point cannot be chosen', async () => {
    const { pointId } = await approvedLeader(t);
    const shopper = await loginUser(t, undefined, { withAddress: false });
    expect((await t.http.put('/api/my/pickup-point').set(shopper.auth).send({ pointId })).status).toBe(200);
    expect(await t.services.leaders.rememberedPoint(createSystemContext(t.infra), shopper.id)).toBe(pointId);
    expect((await t.http.put('/api/my/pickup-point').set(shopper.auth).send({ pointId: 999999999 })).status).toBe(404);
    const applicant = await loginUser(t, undefined, { withAddress: false });
    const pending = await t.http.post('/api/leader/application').set(applicant.auth).send(applicationBody());
    expect((await t.http.put('/api/my/pickup-point').set(shopper.auth).send({ pointId: pending.body.point.id })).status).toBe(404);
    expect((await t.http.put('/api/my/pickup-point').send({ pointId })).status).toBe(401);
  });
});
