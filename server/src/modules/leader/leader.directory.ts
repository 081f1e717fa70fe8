import { ErrorCode, type LeaderStatus } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { DomainError } from '../../http/errors';
import { LeaderEntity, PickupPointEntity, UserPickupPointEntity } from './leader.entity';

/** What an order copies of its pickup point at checkout. */
export interface PickupPointSnapshot {
  pointId: number;
  leaderId: number;
  leaderUserId: number;
  name: string;
  province: string;
  city: string;
  district: string;
  address: string;
  openingHours: string;
}

/** Who a signed-in user is as a leader (null: not a leader, or only an application). */
export interface LeaderIdentity {
  leaderId: number;
  status: Extract<LeaderStatus, 'approved' | 'suspended'>;
  pointId: number;
  commissionBps: number | null;
}

/**
 * The questions other modules ask the leader module (through `index.ts`, never its tables):
 * checkout asks for an open point to copy onto a pickup order, the leader centre asks whether the
 * caller is a leader and of which point, and rewards asks a leader's own commission rate.
 */
export class LeaderDirectory {
  /**
   * An open point for a new pickup order, read with a shared lock in the caller's transaction so a
   * suspension committing meanwhile waits for this checkout (or this checkout sees it and refuses).
   */
  async pointForCheckout(tx: ServiceContext, pointId: number): Promise<PickupPointSnapshot> {
    // The shared lock in its portable spelling: TypeORM's `pessimistic_read` emits `FOR SHARE`, which
    // MariaDB refuses (its version number passes TypeORM's MySQL 8 test). Held, the row cannot change under the read below.
    await tx.manager.query('SELECT id FROM pickup_points WHERE id = ? LOCK IN SHARE MODE', [pointId]);
    const p = await tx.manager.findOne(PickupPointEntity, { where: { id: pointId } });
    if (!p) throw new DomainError(ErrorCode.PICKUP_POINT_NOT_FOUND, 'No such pickup point', { pointId });
    if (p.status !== 'open') throw new DomainError(ErrorCode.PICKUP_POINT_UNAVAILABLE, 'This pickup point takes no new orders', { pointId, status: p.status });
    const l = await tx.manager.findOne(LeaderEntity, { where: { id: p.leaderId } });
    if (!l || l.status !== 'approved') throw new DomainError(ErrorCode.PICKUP_POINT_UNAVAILABLE, 'This pickup point takes no new orders', { pointId, leader: l?.status ?? null });
    return { pointId: p.id, leaderId: l.id, leaderUserId: l.userId, name: p.name, province: p.province, city: p.city, district: p.district, address: p.address, openingHours: p.openingHours };
  }

  /** The point a shopper chose or was bound to, if any (checkout's default for pickup orders). */
  async rememberedPoint(ctx: ServiceContext, userId: number): Promise<number | null> {
    const r = await ctx.manager.findOne(UserPickupPointEntity, { where: { userId } });
    return r?.pointId ?? null;
  }

  /** The caller as a leader: approved or suspended leaders (a suspended one still completes open orders). */
  async leaderOfUser(ctx: ServiceContext, userId: number): Promise<LeaderIdentity | null> {
    const l = await ctx.manager.findOne(LeaderEntity, { where: { userId } });
    if (!l || (l.status !== 'approved' && l.status !== 'suspended')) return null;
    const p = await ctx.manager.findOne(PickupPointEntity, { where: { leaderId: l.id } });
    if (!p) return null;
    return { leaderId: l.id, status: l.status, pointId: p.id, commissionBps: l.commissionBps };
  }

  /** `leaderOfUser`, or 403 NOT_A_LEADER: the guard of every leader-centre route. */
  async requireLeader(ctx: ServiceContext, userId: number): Promise<LeaderIdentity> {
    const me = await this.leaderOfUser(ctx, userId);
    if (!me) throw new DomainError(ErrorCode.NOT_A_LEADER, 'Only team leaders can do this');
    return me;
  }

  /** A leader's user and own rate (rewards posts leader commission to the leader's user accounts). */
  async leaderById(ctx: ServiceContext, leaderId: number): Promise<{ leaderId: number; userId: number; status: LeaderStatus; commissionBps: number | null } | null> {
    const l = await ctx.manager.findOne(LeaderEntity, { where: { id: leaderId } });
    return l ? { leaderId: l.id, userId: l.userId, status: l.status, commissionBps: l.commissionBps } : null;
  }
}
