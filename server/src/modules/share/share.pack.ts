import type { DataSource } from 'typeorm';
import { ErrorCode, type CouponTemplateView, type CreateSharePackRequest, type SharePackProgress, type SharePackView } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { emit } from '../../core/outbox';
import { affectedRows, isDuplicateKey, withTransaction } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import { recordAudit } from '../admin';
import type { PublicProfile } from '../auth';
import type { CouponService } from '../coupon';
import { ShareEntity, SharePackClaimEntity, SharePackEntity, SharePackProgressEntity, ShareSignupEntity } from './share.entity';
import type { ShareService } from './share.service';

export interface SharePackDeps {
  coupons: Pick<CouponService, 'issueShareCoupon' | 'shareTemplates'>;
  profiles(ctx: ServiceContext, ids: number[]): Promise<Map<number, PublicProfile>>;
}


/**
 * Share coupon packs (分享券包, spec §8). A sharer starts a pack once (guarded `packs_started <
 * total_packs`); each friend claims a pack once (primary key `(pack, friend)`) and gets the friend
 * coupons through the coupon module's issuing (stock, per-user limit and audience hold). A friend
 * counts when they are *new*: their first login came through a share of this sharer. The counted
 * claim increments the sharer's `new_friends` with an UPDATE that holds the progress row's lock until
 * commit, so the claims around N are serialised and exactly the one that reaches N issues the bonus
 * (and records it with a guarded `bonus_coupon_id IS NULL` update).
 */
export class SharePackService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly shares: ShareService,
    private readonly deps: SharePackDeps,
  ) {}

  async create(ctx: ServiceContext, input: CreateSharePackRequest): Promise<SharePackView> {
    const ids = [...new Set([...input.friendTemplateIds, input.bonusTemplateId])];
    const templates = await this.deps.coupons.shareTemplates(ctx, ids);
    const missing = ids.filter((id) => !templates.has(id));
    if (missing.length) throw new DomainError(ErrorCode.SHARE_PACK_INVALID, 'Every coupon of a pack must be a share_pack template', { missing });
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const now = new Date();
      const res = await tx.manager.insert(SharePackEntity, {
        name: input.name, friendTemplateIds: [...new Set(input.friendTemplateIds)], bonusTemplateId: input.bonusTemplateId, requiredFriends: input.requiredFriends,
        totalPacks: input.totalPacks, packsStarted: 0, endsAt: new Date(input.endsAt), createdAt: now, updatedAt: now,
      });
      const view = await this.view(tx, Number(res.identifiers[0]!.id));
      await recordAudit(tx, { action: 'share_pack.create', entityType: 'share_pack', entityId: view.id, after: view });
      return view;
    });
  }

  async view(ctx: ServiceContext, id: number): Promise<SharePackView> {
    const p = await ctx.manager.findOneBy(SharePackEntity, { id });
    if (!p) throw new NotFoundError(ErrorCode.SHARE_PACK_NOT_FOUND, 'Share pack not found');
    const templates = await this.deps.coupons.shareTemplates(ctx, [...p.friendTemplateIds, Number(p.bonusTemplateId)]);
    const coupon = (tid: number) => {
      const t = templates.get(Number(tid)) as CouponTemplateView | undefined;
      return { templateId: Number(tid), name: t?.name ?? '', label: t?.label ?? '' };
    };
    const friends = p.friendTemplateIds.map(coupon);
    const bonus = coupon(Number(p.bonusTemplateId));
    return {
      id: Number(p.id), name: p.name, friendCoupons: friends, bonusCoupon: bonus, requiredFriends: p.requiredFriends,
      totalPacks: p.totalPacks, packsStarted: p.packsStarted, endsAt: p.endsAt.toISOString(),
      rules: `每位好友可领：${friends.map((f) => `${f.name}（${f.label}）`).join('、')}，每人限领一次。` +
        `邀请 ${p.requiredFriends} 位新朋友（通过你的分享首次登录的用户）领取后，你将获得「${bonus.name}」（${bonus.label}），仅一次。` +
        `活动截止 ${p.endsAt.toISOString().slice(0, 10)}，分享本身不获得奖励。`,
    };
  }

  /**
   * A sharer starts the pack before their first share of it: one progress row per (pack, sharer),
   * taken from `total_packs` once. Starting again (another share of the same pack) changes nothing.
   */
  async start(ctx: ServiceContext, packId: number): Promise<void> {
    const sharer = userIdOf(ctx);
    await withTransaction(this.dataSource, ctx, async (tx) => {
      const p = await tx.manager.findOneBy(SharePackEntity, { id: packId });
      if (!p) throw new NotFoundError(ErrorCode.SHARE_PACK_NOT_FOUND, 'Share pack not found');
      if (p.endsAt.getTime() <= Date.now()) throw new DomainError(ErrorCode.SHARE_PACK_NOT_ACTIVE, 'This pack has ended');
      const res = await tx.manager.query(`INSERT IGNORE INTO share_pack_progress (pack_id, sharer_user_id, new_friends, created_at) VALUES (?, ?, 0, UTC_TIMESTAMP(3))`, [packId, sharer]);
      if (affectedRows(res) !== 1) return;
      const took = await tx.manager
        .createQueryBuilder()
        .update(SharePackEntity)
        .set({ packsStarted: () => 'packs_started + 1', updatedAt: () => 'UTC_TIMESTAMP(3)' })
        .where('id = :id AND packs_started < total_packs', { id: packId })
        .execute();
      if (took.affected !== 1) throw new DomainError(ErrorCode.SHARE_PACK_EXHAUSTED, 'All packs have been handed out');
    });
  }

  async progress(ctx: ServiceContext, token: string): Promise<SharePackProgress> {
    const share = await this.packShare(ctx, token);
    const viewer = ctx.actor.kind === 'user' ? ctx.actor.userId : null;
    const [pack, prog, profiles, claimed] = await Promise.all([
      this.view(ctx, share.targetId),
      ctx.manager.findOneBy(SharePackProgressEntity, { packId: share.targetId, sharerUserId: share.sharerUserId }),
      this.deps.profiles(ctx, [share.sharerUserId]),
      viewer ? ctx.manager.existsBy(SharePackClaimEntity, { packId: share.targetId, friendUserId: viewer }) : Promise.resolve(false),
    ]);
    return {
      token, pack, sharerNickname: profiles.get(share.sharerUserId)?.nickname ?? '',
      newFriends: prog?.newFriends ?? 0, requiredFriends: pack.requiredFriends, bonusIssued: !!prog?.bonusCouponId,
      mine: viewer === share.sharerUserId, claimedByMe: claimed, serverTime: new Date().toISOString(),
    };
  }

  async claim(ctx: ServiceContext, token: string): Promise<{ couponIds: number[]; countedAsNewFriend: boolean; progress: SharePackProgress }> {
    const friend = userIdOf(ctx);
    const share = await this.packShare(ctx, token);
    if (share.sharerUserId === friend) throw new DomainError(ErrorCode.SHARE_PACK_OWN, 'You cannot claim your own pack');
    const outcome = await withTransaction(this.dataSource, ctx, async (tx) => {
      const p = await tx.manager.findOneBy(SharePackEntity, { id: share.targetId });
      if (!p) throw new NotFoundError(ErrorCode.SHARE_PACK_NOT_FOUND, 'Share pack not found');
      if (p.endsAt.getTime() <= Date.now()) throw new DomainError(ErrorCode.SHARE_PACK_NOT_ACTIVE, 'This pack has ended');
      const isNew = await tx.manager.existsBy(ShareSignupEntity, { userId: friend, sharerUserId: share.sharerUserId });
      try {
        await tx.manager.insert(SharePackClaimEntity, { packId: p.id, friendUserId: friend, sharerUserId: share.sharerUserId, shareId: share.id, counted: isNew, createdAt: new Date() });
      } catch (err) {
        if (isDuplicateKey(err)) throw new DomainError(ErrorCode.SHARE_PACK_ALREADY_CLAIMED, 'You already claimed this pack');
        throw err;
      }
      const couponIds: number[] = [];
      for (const tid of p.friendTemplateIds) couponIds.push(await this.deps.coupons.issueShareCoupon(tx, Number(tid), friend, 'share_pack'));
      let newFriends = 0;
      if (isNew) newFriends = await this.countFriend(tx, p, share.sharerUserId);
      await emit(tx, {
        type: 'share.pack_claimed', aggregateType: 'share_pack', aggregateId: Number(p.id),
        payload: { packId: Number(p.id), sharerUserId: share.sharerUserId, friendUserId: friend, shareId: share.id, countedAsNewFriend: isNew, newFriends },
      });
      return { couponIds, countedAsNewFriend: isNew };
    });
    return { ...outcome, progress: await this.progress(ctx, token) };
  }

  /**
   * One more new friend for the sharer. The UPDATE locks the progress row until commit, so claims
   * around N queue here; the one that finds N reached with no bonus yet issues it. A bonus that
   * cannot be issued (its template ran out or ended) stays owed: the next counted claim tries again.
   */
  private async countFriend(tx: ServiceContext, p: SharePackEntity, sharer: number): Promise<number> {
    // A sharer who never started (a pack share made before a restart of the rules) gets a row now.
    await tx.manager.query(`INSERT INTO share_pack_progress (pack_id, sharer_user_id, new_friends, created_at) VALUES (?, ?, 0, UTC_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE new_friends = new_friends`, [p.id, sharer]);
    await tx.manager
      .createQueryBuilder()
      .update(SharePackProgressEntity)
      .set({ newFriends: () => 'new_friends + 1' })
      .where('pack_id = :pack AND sharer_user_id = :sharer', { pack: p.id, sharer })
      .execute();
    const prog = await tx.manager.findOneByOrFail(SharePackProgressEntity, { packId: p.id, sharerUserId: sharer });
    if (prog.newFriends < p.requiredFriends || prog.bonusCouponId) return prog.newFriends;
    let bonusId: number;
    try {
      bonusId = await this.deps.coupons.issueShareCoupon(tx, Number(p.bonusTemplateId), sharer, 'share_pack_bonus');
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      tx.log.warn({ packId: p.id, sharer, code: err.code }, 'share pack bonus could not be issued; owed to the next counted claim');
      return prog.newFriends;
    }
    const set = await tx.manager
      .createQueryBuilder()
      .update(SharePackProgressEntity)
      .set({ bonusCouponId: bonusId, completedAt: () => 'UTC_TIMESTAMP(3)' })
      .where('pack_id = :pack AND sharer_user_id = :sharer AND bonus_coupon_id IS NULL', { pack: p.id, sharer })
      .execute();
    if (set.affected !== 1) throw new DomainError(ErrorCode.CONFLICT, 'Pack bonus changed concurrently; retry');
    await emit(tx, { type: 'share.pack_completed', aggregateType: 'share_pack', aggregateId: Number(p.id), payload: { packId: Number(p.id), sharerUserId: sharer, bonusCouponId: bonusId } });
    return prog.newFriends;
  }

  private async packShare(ctx: ServiceContext, token: string): Promise<ShareEntity> {
    const share = await this.shares.get(ctx, token);
    if (share.kind !== 'pack') throw new NotFoundError(ErrorCode.SHARE_PACK_NOT_FOUND, 'This share is not a coupon pack');
    return share;
  }
}
