import { inList } from '../../core/sql';
import { randomInt } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  ErrorCode,
  type CreateShareRequest,
  type MySharesPage,
  type OrderAttribution,
  type RecordVisitRequest,
  type ShareFigures,
  type SharePublicView,
  type ShareView,
} from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { affectedRows } from '../../core/transaction';
import { NotFoundError } from '../../http/errors';
import type { AttributedFigures } from '../order';
import type { PublicProfile } from '../auth';
import { ShareEntity, ShareSignupEntity, ShareVisitEntity } from './share.entity';
import type { VisitWriter } from './share.visits';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 8 base62 characters: 62⁸ ≈ 2.2·10¹⁴ tokens, unguessable enough for a link and short for `scene`. */
export function newShareToken(len = 8): string {
  let s = '';
  for (let i = 0; i < len; i++) s += BASE62[randomInt(0, 62)];
  return s;
}

/** How far up a chain is walked (a parent is always older, so chains end; this bounds a bad row). */
const MAX_CHAIN = 20;

export interface ShareServiceOptions {
  attributionDays: number;
  reuseSec: number;
}

/** What shares need from other modules, asked through their services (never their tables). */
export interface ShareServiceDeps {
  attributedFigures(ctx: ServiceContext, shareIds: number[]): Promise<Map<number, AttributedFigures>>;
  profiles(ctx: ServiceContext, ids: number[]): Promise<Map<number, PublicProfile>>;
}

/**
 * Shares, visits, attribution and the share graph (spec §6). A share is created when the share path
 * is generated; opening a link records a visit, counted once per visitor per share per UTC day (a
 * Redis `SET NX` turns repeats away before MySQL, the unique key `(share, visitor, day)` is the truth).
 * Attribution is decided here and handed to the order module, which snapshots it on the order.
 */
export class ShareService {
  /** Tokens never change, so the token → share lookup of the visit hot path is cached in-process. */
  private readonly byToken = new Map<string, ShareEntity>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly opts: ShareServiceOptions,
    private readonly deps: ShareServiceDeps,
    private readonly visits: VisitWriter,
  ) {}

  /**
   * Creates the share, or returns the one made for the same (sharer, kind, target, parent) in the
   * current reuse period: the period's bucket is part of a unique key, so concurrent calls agree.
   * A parent token that is the sharer's own share (or unknown) is ignored: a share never descends
   * from its own sharer.
   */
  async create(ctx: ServiceContext, req: CreateShareRequest, onNew?: (tx: ServiceContext, share: ShareEntity) => Promise<void>): Promise<ShareView> {
    const sharer = userIdOf(ctx);
    let parent = req.parentToken ? await this.find(ctx, req.parentToken) : null;
    if (parent && Number(parent.sharerUserId) === sharer) parent = null;
    const bucket = Math.floor(Date.now() / (this.opts.reuseSec * 1000));
    const dedupeKey = `${sharer}:${req.kind}:${req.targetId}:${parent?.id ?? 0}:${bucket}`;
    // The last such share made within the reuse period (so a period boundary does not split a
    // share sheet opened twice); the bucketed unique key settles concurrent first creations.
    const existing = await ctx.manager
      .createQueryBuilder(ShareEntity, 's')
      .where('s.sharerUserId = :sharer AND s.kind = :kind AND s.targetId = :target AND s.createdAt > :since', {
        sharer, kind: req.kind, target: req.targetId, since: new Date(Date.now() - this.opts.reuseSec * 1000),
      })
      .andWhere(parent ? 's.parentShareId = :parent' : 's.parentShareId IS NULL', { parent: parent?.id })
      .orderBy('s.id', 'DESC')
      .getOne();
    if (existing) return viewOf(existing);
    for (let attempt = 0; ; attempt++) {
      const token = newShareToken();
      const res = await ctx.manager.query(
        `INSERT IGNORE INTO shares (token, sharer_user_id, kind, target_id, parent_share_id, channel, depth, dedupe_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))`,
        [token, sharer, req.kind, req.targetId, parent?.id ?? null, req.channel, (parent?.depth ?? 0) + 1, dedupeKey],
      );
      const row = await ctx.manager.findOneByOrFail(ShareEntity, { dedupeKey });
      // Ignored: either a concurrent call made this share (same dedupe key: use it) or the token
      // collided with another share's (different token: try another).
      if (affectedRows(res) === 1 || row.token !== token || attempt > 5) {
        if (affectedRows(res) === 1 && onNew) await onNew(ctx, row);
        return viewOf(row);
      }
    }
  }

  /** A share by token (cached: tokens never change), or null. */
  async find(ctx: ServiceContext, token: string): Promise<ShareEntity | null> {
    const hit = this.byToken.get(token);
    if (hit) return hit;
    const row = await ctx.manager.findOneBy(ShareEntity, { token });
    if (row) {
      row.id = Number(row.id);
      row.sharerUserId = Number(row.sharerUserId);
      row.targetId = Number(row.targetId);
      row.parentShareId = row.parentShareId === null ? null : Number(row.parentShareId);
      if (this.byToken.size > 50_000) this.byToken.clear();
      this.byToken.set(token, row);
    }
    return row;
  }

  async get(ctx: ServiceContext, token: string): Promise<ShareEntity> {
    const row = await this.find(ctx, token);
    if (!row) throw new NotFoundError(ErrorCode.SHARE_NOT_FOUND, 'Share not found');
    return row;
  }

  async publicView(ctx: ServiceContext, token: string): Promise<SharePublicView> {
    const s = await this.get(ctx, token);
    const p = await this.deps.profiles(ctx, [s.sharerUserId]);
    return { token: s.token, kind: s.kind, targetId: s.targetId, sharerNickname: p.get(s.sharerUserId)?.nickname ?? '' };
  }

  /**
   * The hot path. Counted once per visitor per share per UTC day: Redis decides the first open of
   * the day (`SET NX`) and queues it in the same script; the flusher writes queued visits to MySQL in
   * batches (`VisitWriter`), against the unique key `(share, visitor, day)`. No MySQL on this path.
   * Attribution sees a signed-in visit once flushed (every `SHARE_VISIT_FLUSH_MS`).
   */
  async recordVisit(ctx: ServiceContext, token: string, req: RecordVisitRequest): Promise<{ counted: boolean }> {
    const share = await this.get(ctx, token);
    const userId = ctx.actor.kind === 'user' ? ctx.actor.userId : null;
    const visitorKey = userId ? `u:${userId}` : req.deviceId ? `d:${req.deviceId}` : `ip:${ctx.ip ?? 'unknown'}`;
    const at = new Date();
    const counted = await this.visits.record({ shareId: share.id, visitorKey, userId, day: at.toISOString().slice(0, 10), scene: req.scene ?? null, at });
    return { counted };
  }

  /**
   * A user arrived through a share at login: their visit is written in the login's transaction (not
   * queued), so an order placed right after the login is attributed. The Redis dedupe key is taken
   * first, so the same visit is not queued again today.
   */
  async recordUserVisit(tx: ServiceContext, share: ShareEntity, userId: number): Promise<void> {
    const at = new Date();
    const visit = { shareId: share.id, visitorKey: `u:${userId}`, userId, day: at.toISOString().slice(0, 10), scene: null, at };
    if (!(await this.visits.claim(visit))) return;
    await tx.manager.query(
      `INSERT IGNORE INTO share_visits (share_id, visitor_key, user_id, day, scene, visited_at) VALUES (?, ?, ?, ?, ?, ?)`,
      [visit.shareId, visit.visitorKey, visit.userId, visit.day, visit.scene, visit.at],
    );
  }

  /** Writes queued visits now (tests, shutdown); the flusher does it every few hundred ms. */
  flushVisits(): Promise<number> {
    return this.visits.flush();
  }

  /**
   * The attribution of an order the user is about to place: the last share they opened within the
   * window whose sharer is someone else, with the shares above it. "Last" is by the first open of
   * each (share, day), since repeats the same day are not rows.
   */
  async attributionFor(ctx: ServiceContext, buyerUserId: number, shareToken?: string): Promise<OrderAttribution | null> {
    // The share the buyer is ordering through (sent with the order) is the last one they opened, even
    // if its visit is still queued for the flusher; never their own share. An unknown token is ignored.
    if (shareToken) {
      const direct = await ctx.manager.findOneBy(ShareEntity, { token: shareToken });
      if (direct && Number(direct.sharerUserId) !== buyerUserId) {
        return { shareId: Number(direct.id), sharerUserId: Number(direct.sharerUserId), chain: await this.chainAbove(ctx, direct) };
      }
    }
    const since = new Date(Date.now() - this.opts.attributionDays * 86_400_000);
    const row = await ctx.manager
      .createQueryBuilder(ShareVisitEntity, 'v')
      .innerJoin(ShareEntity, 's', 's.id = v.shareId')
      .select('s.id', 'id')
      .where('v.userId = :buyer AND v.visitedAt >= :since AND s.sharerUserId <> :buyer', { buyer: buyerUserId, since })
      .orderBy('v.visitedAt', 'DESC')
      .addOrderBy('v.id', 'DESC')
      .limit(1)
      .getRawOne<{ id: string }>();
    if (!row) return null;
    const share = await ctx.manager.findOneByOrFail(ShareEntity, { id: Number(row.id) });
    return { shareId: Number(share.id), sharerUserId: Number(share.sharerUserId), chain: await this.chainAbove(ctx, share) };
  }

  /**
   * `attributionFor` of many buyers at once (the batched join): one statement finds which of them
   * opened any share within the window; only those (and buyers ordering through a share token) cost
   * the lookup of their own. Most buyers in a burst carry a token or no visit, so a batch usually
   * pays one read.
   */
  async attributionsFor(ctx: ServiceContext, buyers: Array<{ userId: number; shareToken?: string }>): Promise<Array<OrderAttribution | null>> {
    const plain = [...new Set(buyers.filter((b) => !b.shareToken).map((b) => b.userId))];
    const since = new Date(Date.now() - this.opts.attributionDays * 86_400_000);
    const visited = new Set<number>();
    if (plain.length) {
      // Every batched order asks this: plain SQL on the share module's own table.
      const rows: Array<{ user_id: string | number }> = await ctx.manager.query(`SELECT DISTINCT user_id FROM share_visits WHERE user_id IN ${inList(plain.length)} AND visited_at >= ?`, [...plain, since]);
      for (const r of rows) visited.add(Number(r.user_id));
    }
    const out: Array<OrderAttribution | null> = [];
    for (const b of buyers) out.push(b.shareToken || visited.has(b.userId) ? await this.attributionFor(ctx, b.userId, b.shareToken) : null);
    return out;
  }

  /** The shares above `share`, nearest first (its parent, the parent's parent…). */
  async chainAbove(ctx: ServiceContext, share: ShareEntity): Promise<OrderAttribution['chain']> {
    const chain: OrderAttribution['chain'] = [];
    const seen = new Set([Number(share.id)]);
    let parentId = share.parentShareId === null ? null : Number(share.parentShareId);
    while (parentId !== null && chain.length < MAX_CHAIN && !seen.has(parentId)) {
      seen.add(parentId);
      const p = await ctx.manager.findOneBy(ShareEntity, { id: parentId });
      if (!p) break;
      chain.push({ shareId: Number(p.id), sharerUserId: Number(p.sharerUserId) });
      parentId = p.parentShareId === null ? null : Number(p.parentShareId);
    }
    return chain;
  }

  // ---------- the share graph ----------

  /** 我的分享: my shares, newest first, each with its funnel; totals over all my shares. */
  async mine(ctx: ServiceContext, page: number, pageSize: number): Promise<MySharesPage> {
    const sharer = userIdOf(ctx);
    const [rows, total] = await ctx.manager.findAndCount(ShareEntity, { where: { sharerUserId: sharer }, order: { id: 'DESC' }, skip: (page - 1) * pageSize, take: pageSize });
    const figures = await this.figures(ctx, rows.map((r) => Number(r.id)));
    const all = await ctx.manager.find(ShareEntity, { where: { sharerUserId: sharer }, select: { id: true } });
    const totals = sum([...(await this.figures(ctx, all.map((r) => Number(r.id)))).values()]);
    return {
      items: rows.map((r) => ({ ...viewOf(r), depth: r.depth, figures: figures.get(Number(r.id)) ?? emptyFigures() })),
      totals, page, pageSize, total, serverTime: new Date().toISOString(),
    };
  }

  /** The funnel of shares matching `where` (a sharer's, a campaign's), summed; with chain depth. */
  async summary(ctx: ServiceContext, where: { sharerUserId?: number; targets?: Array<{ kind: ShareEntity['kind']; ids: number[] }> }) {
    const qb = ctx.manager.createQueryBuilder(ShareEntity, 's').select(['s.id', 's.sharerUserId', 's.depth']);
    if (where.sharerUserId !== undefined) qb.where('s.sharerUserId = :u', { u: where.sharerUserId });
    if (where.targets) {
      const parts = where.targets.filter((t) => t.ids.length).map((t, i) => `(s.kind = :k${i} AND s.targetId IN (:...t${i}))`);
      if (!parts.length) return { shares: 0, sharers: 0, maxDepth: 0, figures: emptyFigures() };
      qb.andWhere(`(${parts.join(' OR ')})`, Object.fromEntries(where.targets.flatMap((t, i) => [[`k${i}`, t.kind], [`t${i}`, t.ids]])));
    }
    const rows = await qb.getMany();
    const figures = await this.figures(ctx, rows.map((r) => Number(r.id)));
    return {
      shares: rows.length,
      sharers: new Set(rows.map((r) => Number(r.sharerUserId))).size,
      maxDepth: rows.reduce((m, r) => Math.max(m, r.depth), 0),
      figures: sum([...figures.values()]),
    };
  }

  /** Per share: unique visitors (visitor keys, any day), new users (first logins through it), orders. */
  private async figures(ctx: ServiceContext, ids: number[]): Promise<Map<number, ShareFigures>> {
    const out = new Map<number, ShareFigures>(ids.map((id) => [id, emptyFigures()]));
    if (!ids.length) return out;
    // Counted per share in one grouped query each: distinct visitors, and first logins through it.
    const perShare = (entity: typeof ShareVisitEntity | typeof ShareSignupEntity, count: string) =>
      ctx.manager
        .createQueryBuilder(entity, 'x')
        .select('x.shareId', 'id')
        .addSelect(count, 'n')
        .where('x.shareId IN (:...ids)', { ids })
        .groupBy('x.shareId')
        .getRawMany<{ id: string; n: string }>();
    const [visits, signups, orders] = await Promise.all([
      perShare(ShareVisitEntity, 'COUNT(DISTINCT x.visitorKey)'),
      perShare(ShareSignupEntity, 'COUNT(*)'),
      this.deps.attributedFigures(ctx, ids),
    ]);
    for (const v of visits) out.get(Number(v.id))!.visitors = Number(v.n);
    for (const g of signups) out.get(Number(g.id))!.newUsers = Number(g.n);
    for (const [id, f] of orders) Object.assign(out.get(id)!, f);
    return out;
  }
}

function viewOf(r: ShareEntity): ShareView {
  return { token: r.token, kind: r.kind, targetId: Number(r.targetId), channel: r.channel, createdAt: r.createdAt.toISOString() };
}

function emptyFigures(): ShareFigures {
  return { visitors: 0, newUsers: 0, joins: 0, orders: 0, gmv: 0 };
}

function sum(list: ShareFigures[]): ShareFigures {
  return list.reduce((a, f) => ({ visitors: a.visitors + f.visitors, newUsers: a.newUsers + f.newUsers, joins: a.joins + f.joins, orders: a.orders + f.orders, gmv: a.gmv + f.gmv }), emptyFigures());
}
