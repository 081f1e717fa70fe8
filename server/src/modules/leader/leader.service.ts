import type { DataSource } from 'typeorm';
import {
  ErrorCode,
  type AdminLeaderView,
  type LeaderApplicationRequest,
  type LeaderStatus,
  type MyLeaderResponse,
  type MyLeaderView,
  type Page,
  type PickupPointStatus,
  type PickupPointView,
} from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { maskPhone, type FieldCipher } from '../../core/crypto';
import { move, recordCreated } from '../../core/lifecycle';
import { emit, type NewDomainEvent } from '../../core/outbox';
import { isDuplicateKey, withTransaction } from '../../core/transaction';
import { DomainError, IllegalTransitionError, NotFoundError } from '../../http/errors';
import { recordAudit } from '../admin';
import { LeaderEntity, PickupPointEntity } from './leader.entity';
import type { PointGeoIndex } from './leader.geo';
import { leaderLifecycle, pickupPointLifecycle } from './leader.state';

/** An operator's decision: the leader's move and the point's move that go with it, in one transaction. */
const REVIEWS = {
  approve: { leader: ['applied', 'approved'], point: ['pending', 'open'], event: 'leader.approved' },
  reject: { leader: ['applied', 'rejected'], point: ['pending', 'closed'], event: 'leader.rejected' },
  suspend: { leader: ['approved', 'suspended'], point: ['open', 'closed'], event: 'leader.suspended' },
  resume: { leader: ['suspended', 'approved'], point: ['closed', 'open'], event: 'leader.resumed' },
} as const satisfies Record<string, { leader: [LeaderStatus, LeaderStatus]; point: [PickupPointStatus, PickupPointStatus]; event: string }>;
export type LeaderReview = keyof typeof REVIEWS;

/**
 * Team leader applications and their review (spec §9). A user applies once (a unique key on the
 * user); a rejected applicant applies again with corrected data. The leader and their point move
 * together, in one transaction, each through `move()`: approve opens the point, reject closes it,
 * suspend closes it (open orders still complete — they carry their own copy of the point), resume
 * opens it again. Every operator decision is audited with before and after.
 */
export class LeaderService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
    private readonly geo: PointGeoIndex,
  ) {}

  async apply(ctx: ServiceContext, input: LeaderApplicationRequest): Promise<MyLeaderView> {
    const userId = userIdOf(ctx);
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const existing = await tx.manager.findOne(LeaderEntity, { where: { userId }, lock: { mode: 'pessimistic_write' } });
      const leaderFields = { name: input.name, phoneEnc: this.cipher.encrypt(input.phone), phoneMasked: maskPhone(input.phone) ?? '' };
      const pointFields = {
        name: input.pointName, kind: input.kind, province: input.province, city: input.city, district: input.district, address: input.address,
        lat: input.lat, lng: input.lng, openingHours: input.openingHours, photoUrl: input.photoUrl,
      };
      if (!existing) {
        const now = new Date();
        let leaderId: number;
        try {
          const res = await tx.manager.insert(LeaderEntity, { userId, status: 'applied', ...leaderFields, commissionBps: null, rejectReason: null, reviewedAt: null, createdAt: now, updatedAt: now });
          leaderId = Number(res.identifiers[0].id);
        } catch (err) {
          // Two applications of one user at once: the unique key lets one through.
          if (isDuplicateKey(err)) throw new DomainError(ErrorCode.LEADER_ALREADY_APPLIED, 'You have applied already');
          throw err;
        }
        const p = await tx.manager.insert(PickupPointEntity, { leaderId, status: 'pending', ...pointFields, createdAt: now, updatedAt: now });
        const pointId = Number(p.identifiers[0].id);
        await recordCreated(tx, leaderLifecycle, leaderId, 'applied');
        await recordCreated(tx, pickupPointLifecycle, pointId, 'pending');
        await emit(tx, { type: 'leader.applied', aggregateType: 'leader', aggregateId: leaderId, payload: { leaderId, userId, pointId, pointStatus: 'pending' } });
        return this.mine(tx, leaderId);
      }
      // Only a rejected application may be sent again; an applied, approved or suspended one is a 409.
      if (existing.status !== 'rejected') throw new DomainError(ErrorCode.LEADER_ALREADY_APPLIED, 'You have applied already', { status: existing.status });
      const point = await tx.manager.findOneOrFail(PickupPointEntity, { where: { leaderId: existing.id }, lock: { mode: 'pessimistic_write' } });
      const moved = await move(tx, leaderLifecycle, existing.id, 'rejected', 'applied', {
        set: { ...leaderFields, rejectReason: null, reviewedAt: null },
        note: 'reapplied',
        events: [{ type: 'leader.applied', aggregateType: 'leader', aggregateId: existing.id, payload: { leaderId: existing.id, userId, pointId: point.id, pointStatus: 'pending' } }],
      });
      if (!moved) throw new DomainError(ErrorCode.CONFLICT, 'The application changed concurrently; retry');
      if (!(await move(tx, pickupPointLifecycle, point.id, point.status, 'pending', { set: pointFields }))) throw new DomainError(ErrorCode.CONFLICT, 'The point changed concurrently; retry');
      return this.mine(tx, existing.id);
    });
  }

  async me(ctx: ServiceContext): Promise<MyLeaderResponse> {
    const l = await ctx.manager.findOne(LeaderEntity, { where: { userId: userIdOf(ctx) } });
    return { leader: l ? await this.mine(ctx, l.id) : null };
  }

  /**
   * An operator's decision. The leader row is locked first, then its point (the order every writer
   * of these rows uses), both move, the event carries the point's new status, and the audit entry
   * records before and after. A decision the current status does not allow is ILLEGAL_TRANSITION.
   */
  async review(ctx: ServiceContext, leaderId: number, action: LeaderReview, reason = ''): Promise<AdminLeaderView> {
    const r = REVIEWS[action];
    const view = await withTransaction(this.dataSource, ctx, async (tx) => {
      const l = await tx.manager.findOne(LeaderEntity, { where: { id: leaderId }, lock: { mode: 'pessimistic_write' } });
      if (!l) throw new NotFoundError(ErrorCode.LEADER_NOT_FOUND, 'Leader not found');
      const p = await tx.manager.findOneOrFail(PickupPointEntity, { where: { leaderId }, lock: { mode: 'pessimistic_write' } });
      const before = await this.adminView(tx, l.id);
      const [from, to] = r.leader;
      const payload = { leaderId, userId: Number(l.userId), pointId: Number(p.id), pointStatus: r.point[1] };
      const event = (r.event === 'leader.rejected' || r.event === 'leader.suspended'
        ? { type: r.event, aggregateType: 'leader', aggregateId: leaderId, payload: { ...payload, reason } }
        : { type: r.event, aggregateType: 'leader', aggregateId: leaderId, payload }) as NewDomainEvent;
      const reviewed = action === 'approve' || action === 'reject';
      // Each decision starts from one status (resume is not approve, though both lead to approved).
      if (l.status !== from) throw new IllegalTransitionError('leader', l.status, to);
      const moved = await move(tx, leaderLifecycle, leaderId, from, to, {
        set: { ...(reviewed ? { reviewedAt: new Date() } : {}), ...(action === 'reject' ? { rejectReason: reason } : {}) },
        note: reason || null,
        events: [event],
      });
      if (!moved) throw new DomainError(ErrorCode.CONFLICT, 'The leader changed concurrently; retry');
      if (!(await move(tx, pickupPointLifecycle, p.id, p.status, r.point[1], { note: `leader.${action}` }))) throw new DomainError(ErrorCode.CONFLICT, 'The point changed concurrently; retry');
      const after = await this.adminView(tx, leaderId);
      await recordAudit(tx, {
        action: `leader.${action}`, entityType: 'leader', entityId: leaderId,
        before: { status: before.status, pointStatus: before.point.status },
        after: { status: after.status, pointStatus: after.point.status, ...(reason ? { reason } : {}) },
      });
      // The search index learns the change right after commit (the outbox subscriber makes sure of it).
      tx.afterCommit?.push(() => this.geo.sync({ id: Number(p.id), lat: p.lat, lng: p.lng }, r.point[1] === 'open'));
      return after;
    });
    return view;
  }

  async list(ctx: ServiceContext, q: { status?: LeaderStatus; page: number; pageSize: number }): Promise<Page<AdminLeaderView>> {
    const [rows, total] = await ctx.manager.findAndCount(LeaderEntity, { where: q.status ? { status: q.status } : {}, order: { id: 'DESC' }, skip: (q.page - 1) * q.pageSize, take: q.pageSize });
    const points = await this.pointsOf(ctx, rows);
    return { items: rows.map((l) => adminViewOf(l, points.get(Number(l.id))!)), page: q.page, pageSize: q.pageSize, total, serverTime: new Date().toISOString() };
  }

  async adminView(ctx: ServiceContext, leaderId: number): Promise<AdminLeaderView> {
    const l = await ctx.manager.findOne(LeaderEntity, { where: { id: leaderId } });
    if (!l) throw new NotFoundError(ErrorCode.LEADER_NOT_FOUND, 'Leader not found');
    return adminViewOf(l, (await this.pointsOf(ctx, [l])).get(Number(l.id))!);
  }

  private async mine(ctx: ServiceContext, leaderId: number): Promise<MyLeaderView> {
    const l = await ctx.manager.findOneOrFail(LeaderEntity, { where: { id: leaderId } });
    const p = (await this.pointsOf(ctx, [l])).get(Number(l.id))!;
    const { userId: _u, commissionBps: _c, ...base } = adminViewOf(l, p);
    return { ...base, phone: this.cipher.decrypt(l.phoneEnc) };
  }

  private async pointsOf(ctx: ServiceContext, leaders: LeaderEntity[]): Promise<Map<number, PickupPointView>> {
    if (!leaders.length) return new Map();
    const rows = await ctx.manager.createQueryBuilder(PickupPointEntity, 'p').where('p.leaderId IN (:...ids)', { ids: leaders.map((l) => l.id) }).getMany();
    const names = new Map(leaders.map((l) => [Number(l.id), l.name]));
    return new Map(rows.map((p) => [Number(p.leaderId), pointViewOf(p, names.get(Number(p.leaderId)) ?? '')]));
  }
}

export function pointViewOf(p: PickupPointEntity, leaderName: string): PickupPointView {
  return {
    id: Number(p.id), leaderId: Number(p.leaderId), name: p.name, kind: p.kind, status: p.status, province: p.province, city: p.city, district: p.district,
    address: p.address, lat: Number(p.lat), lng: Number(p.lng), openingHours: p.openingHours, photoUrl: p.photoUrl, leaderName,
  };
}

function adminViewOf(l: LeaderEntity, point: PickupPointView): AdminLeaderView {
  return {
    leaderId: Number(l.id), userId: Number(l.userId), status: l.status, name: l.name, phoneMasked: l.phoneMasked, commissionBps: l.commissionBps,
    rejectReason: l.rejectReason, reviewedAt: l.reviewedAt?.toISOString() ?? null, createdAt: l.createdAt.toISOString(), updatedAt: l.updatedAt.toISOString(), point,
  };
}
