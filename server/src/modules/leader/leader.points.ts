import type { DataSource } from 'typeorm';
import { ErrorCode, type MyPickupPoint, type NearbyPoint, type NearbyPointsPage, type PickupCityList, type PickupPointView } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { withTransaction } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import { LeaderEntity, PickupPointEntity, UserPickupPointEntity } from './leader.entity';
import { GEO_MARGIN, haversineM, type GeoPoint, type PointGeoIndex } from './leader.geo';
import { readPointShared } from './leader.directory';
import { pointViewOf } from './leader.service';

/** A row of the nearby query (snake_case, as MySQL returns it). */
interface PointRow {
  id: string;
  leader_id: string;
  name: string;
  kind: PickupPointView['kind'];
  status: PickupPointView['status'];
  province: string;
  city: string;
  district: string;
  address: string;
  lat: number;
  lng: number;
  opening_hours: string;
  photo_url: string | null;
  leader_name: string;
}

/** A share as the leader module needs it (asked of the share module through app.ts). */
export interface LeaderShareRef {
  shareId: number;
  kind: string;
  targetId: number;
  sharerUserId: number;
}

export interface PickupPointOptions {
  radiusM: number;
  shareOf(ctx: ServiceContext, token: string): Promise<LeaderShareRef | null>;
}

/**
 * Pickup points for shoppers: nearest first, the point a shopper uses, and the binding a leader's
 * share makes. Redis GEO picks the candidates (fast at 100 000 points), MySQL says which of them are
 * open and what they look like (one primary-key read per page), and distances are the exact
 * haversine of the stored coordinates.
 */
export class PickupPointService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly geo: PointGeoIndex,
    private readonly opts: PickupPointOptions,
  ) {}

  /**
   * One page of open points nearest to (lat, lng) within the radius. Candidates: the first
   * `page × pageSize + 1 + GEO_MARGIN` of Redis's order; a point closed since it was indexed is
   * dropped by the status check; the rest are ordered by exact distance (then id).
   */
  async nearby(ctx: ServiceContext, q: { lat: number; lng: number; page: number; pageSize: number }): Promise<NearbyPointsPage> {
    const offset = (q.page - 1) * q.pageSize;
    const ids = await this.geo.nearest(q.lat, q.lng, this.opts.radiusM, offset + q.pageSize + 1 + GEO_MARGIN);
    // Raw SQL: the chooser's hot path reads a page of rows by primary key, with the leader's name,
    // without building entities it would only copy into the view.
    const rows: PointRow[] = ids.length
      ? await ctx.manager.query(
          `SELECT p.id, p.leader_id, p.name, p.kind, p.status, p.province, p.city, p.district, p.address, p.lat, p.lng, p.opening_hours, p.photo_url, l.name AS leader_name
             FROM pickup_points p JOIN leaders l ON l.id = p.leader_id WHERE p.id IN (?) AND p.status = 'open'`,
          [ids],
        )
      : [];
    const sorted = rows
      .map((r) => ({ r, d: haversineM(q.lat, q.lng, Number(r.lat), Number(r.lng)) }))
      .filter((x) => x.d <= this.opts.radiusM)
      // Exact distance, then id: two points in the same whole metre keep a stable order.
      .sort((a, b) => a.d - b.d || Number(a.r.id) - Number(b.r.id))
      .map(({ r, d }): NearbyPoint => ({
        id: Number(r.id), leaderId: Number(r.leader_id), name: r.name, kind: r.kind, status: r.status, province: r.province, city: r.city, district: r.district,
        address: r.address, lat: Number(r.lat), lng: Number(r.lng), openingHours: r.opening_hours, photoUrl: r.photo_url, leaderName: r.leader_name, distanceM: Math.round(d),
      }));
    return {
      items: sorted.slice(offset, offset + q.pageSize), page: q.page, pageSize: q.pageSize, hasMore: sorted.length > offset + q.pageSize,
      radiusM: this.opts.radiusM, serverTime: new Date().toISOString(),
    };
  }

  /** Cities that have open points, most points first, each with the centre of its points. */
  async cities(ctx: ServiceContext): Promise<PickupCityList> {
    const rows = await ctx.manager
      .createQueryBuilder(PickupPointEntity, 'p')
      .select(['p.province AS province', 'p.city AS city', 'COUNT(*) AS n', 'AVG(p.lat) AS lat', 'AVG(p.lng) AS lng'])
      .where('p.status = :open', { open: 'open' })
      .groupBy('p.province')
      .addGroupBy('p.city')
      .orderBy('n', 'DESC')
      .limit(200)
      .getRawMany<{ province: string; city: string; n: string; lat: string; lng: string }>();
    return { items: rows.map((r) => ({ province: r.province, city: r.city, points: Number(r.n), lat: Number(r.lat), lng: Number(r.lng) })) };
  }

  async get(ctx: ServiceContext, id: number): Promise<PickupPointView> {
    const p = await ctx.manager.findOne(PickupPointEntity, { where: { id } });
    // A point under review (or rejected before it ever opened) is nobody's business but the applicant's.
    if (!p || p.status === 'pending' || !(await this.wasApproved(ctx, p))) throw new NotFoundError(ErrorCode.PICKUP_POINT_NOT_FOUND, 'No such pickup point');
    return this.view(ctx, p);
  }

  async mine(ctx: ServiceContext): Promise<MyPickupPoint> {
    const r = await ctx.manager.findOne(UserPickupPointEntity, { where: { userId: userIdOf(ctx) } });
    if (!r) return { point: null, via: null, usable: false };
    const p = await ctx.manager.findOne(PickupPointEntity, { where: { id: r.pointId } });
    if (!p) return { point: null, via: null, usable: false };
    return { point: await this.view(ctx, p), via: r.via, usable: p.status === 'open' };
  }

  /**
   * The shopper chooses a point: only an open one. The point is read with a shared lock, so a
   * suspension committing meanwhile either waits for this choice or is seen by it.
   */
  async choose(ctx: ServiceContext, pointId: number): Promise<MyPickupPoint> {
    const userId = userIdOf(ctx);
    await withTransaction(this.dataSource, ctx, async (tx) => {
      await this.openPoint(tx, pointId);
      await this.remember(tx, userId, pointId, 'chosen', null);
    });
    return this.mine(ctx);
  }

  /**
   * The shopper opened a leader's share: they are bound to its point unless they chose a point
   * themselves that is still open (their own choice wins over a link); a later leader share replaces
   * an earlier one. One's own share binds nothing.
   */
  async bindShare(ctx: ServiceContext, token: string): Promise<MyPickupPoint> {
    const userId = userIdOf(ctx);
    const share = await this.opts.shareOf(ctx, token);
    if (!share || share.kind !== 'leader') throw new NotFoundError(ErrorCode.SHARE_NOT_FOUND, 'No such leader share');
    if (share.sharerUserId === userId) return this.mine(ctx);
    await withTransaction(this.dataSource, ctx, async (tx) => {
      await this.openPoint(tx, share.targetId);
      const current = await tx.manager.findOne(UserPickupPointEntity, { where: { userId }, lock: { mode: 'pessimistic_write' } });
      if (current?.via === 'chosen') {
        const p = await tx.manager.findOne(PickupPointEntity, { where: { id: current.pointId } });
        if (p?.status === 'open') return;
      }
      await this.remember(tx, userId, share.targetId, 'leader_share', share.shareId);
    });
    return this.mine(ctx);
  }

  // ---------- the index's source (MySQL is the truth) ----------

  async openPoints(ctx: ServiceContext): Promise<GeoPoint[]> {
    const rows = await ctx.manager.find(PickupPointEntity, { where: { status: 'open' }, select: { id: true, lat: true, lng: true } });
    return rows.map((p) => ({ id: Number(p.id), lat: Number(p.lat), lng: Number(p.lng) }));
  }

  async changedSince(ctx: ServiceContext, since: Date): Promise<Array<GeoPoint & { open: boolean }>> {
    const rows = await ctx.manager
      .createQueryBuilder(PickupPointEntity, 'p')
      .select(['p.id', 'p.lat', 'p.lng', 'p.status'])
      .where('p.updatedAt >= :since', { since })
      .getMany();
    return rows.map((p) => ({ id: Number(p.id), lat: Number(p.lat), lng: Number(p.lng), open: p.status === 'open' }));
  }

  /** Syncs one point's place in the index with its status in MySQL (the outbox subscriber's job). */
  async syncIndex(ctx: ServiceContext, pointId: number): Promise<void> {
    const p = await ctx.manager.findOne(PickupPointEntity, { where: { id: pointId } });
    if (p) await this.geo.sync({ id: Number(p.id), lat: Number(p.lat), lng: Number(p.lng) }, p.status === 'open');
  }

  private async openPoint(tx: ServiceContext, pointId: number): Promise<PickupPointEntity> {
    const p = await readPointShared(tx, pointId);
    if (!p || !(await this.wasApproved(tx, p))) throw new NotFoundError(ErrorCode.PICKUP_POINT_NOT_FOUND, 'No such pickup point');
    if (p.status !== 'open') throw new DomainError(ErrorCode.PICKUP_POINT_UNAVAILABLE, 'This pickup point takes no new orders', { pointId, status: p.status });
    return p;
  }

  /** A point exists for shoppers once its leader was approved (approved now, or suspended since). */
  private async wasApproved(ctx: ServiceContext, p: PickupPointEntity): Promise<boolean> {
    const l = await ctx.manager.findOne(LeaderEntity, { where: { id: p.leaderId }, select: { id: true, status: true } });
    return l?.status === 'approved' || l?.status === 'suspended';
  }

  private async remember(tx: ServiceContext, userId: number, pointId: number, via: 'chosen' | 'leader_share', shareId: number | null): Promise<void> {
    // One row per shopper, replaced in place (ODKU has no QueryBuilder form on MariaDB that TypeORM's upsert gets right).
    await tx.manager.query(
      `INSERT INTO user_pickup_points (user_id, point_id, via, share_id, updated_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3))
       ON DUPLICATE KEY UPDATE point_id = VALUES(point_id), via = VALUES(via), share_id = VALUES(share_id), updated_at = VALUES(updated_at)`,
      [userId, pointId, via, shareId],
    );
  }

  private async view(ctx: ServiceContext, p: PickupPointEntity): Promise<PickupPointView> {
    const l = await ctx.manager.findOne(LeaderEntity, { where: { id: p.leaderId }, select: { id: true, name: true } });
    return pointViewOf(p, l?.name ?? '');
  }
}
