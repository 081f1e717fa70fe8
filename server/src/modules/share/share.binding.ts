import { IsNull, MoreThan } from 'typeorm';
import type { ServiceContext } from '../../core/context';
import { emit } from '../../core/outbox';
import { ShareSignupEntity, UserInviterEntity, UserInviterHistoryEntity } from './share.entity';
import type { ShareService } from './share.service';

export interface BindingOptions {
  mode: 'permanent' | 'days' | 'off';
  days: number;
  /** Whether users who already exist (without a current inviter) may be bound. */
  bindExisting: boolean;
}

/** Inviters walked up before giving up on a chain (deeper chains are refused as if cyclic). */
const MAX_CHAIN = 1000;

/**
 * Invitation binding (邀请绑定), run inside the login transaction. That transaction holds the user's
 * row lock from its upsert, so concurrent logins of one person are serialised here: the first login
 * creates the user and binds, the others see the binding (or are not new) — a person is bound once
 * however many shares they log in through at the same time.
 */
export class InviterBinding {
  constructor(
    private readonly shares: ShareService,
    private readonly opts: BindingOptions,
  ) {}

  /** The user's current inviter (an expired N-day binding is no binding), or null. */
  async inviterOf(ctx: ServiceContext, userId: number): Promise<number | null> {
    const row = await ctx.manager.findOne(UserInviterEntity, { where: [{ userId, expiresAt: IsNull() }, { userId, expiresAt: MoreThan(new Date()) }] });
    return row ? Number(row.inviterUserId) : null;
  }

  /**
   * How many people the user invited (level 1, current bindings) and how many those invited (level 2):
   * counts only, for 我的收益 (no personal data of level 2).
   */
  async inviteeCounts(ctx: ServiceContext, userId: number): Promise<{ level1: number; level2: number }> {
    const live = '(i.expires_at IS NULL OR i.expires_at > UTC_TIMESTAMP(3))';
    const level1 = await ctx.manager.createQueryBuilder(UserInviterEntity, 'i').where(`i.inviter_user_id = :userId AND ${live}`, { userId }).getCount();
    const level2 = await ctx.manager
      .createQueryBuilder(UserInviterEntity, 'i')
      .innerJoin(UserInviterEntity, 'p', 'p.user_id = i.inviter_user_id AND (p.expires_at IS NULL OR p.expires_at > UTC_TIMESTAMP(3))')
      .where(`p.inviter_user_id = :userId AND ${live}`, { userId })
      .getCount();
    return { level1, level2 };
  }

  /**
   * A login that carried a share token. New users: the signup is recorded (the share graph's "new
   * users") and their visit counts for attribution; then the binding rules decide. Never throws for
   * an unknown token or a refused binding: logging in always works.
   */
  async onLogin(tx: ServiceContext, userId: number, isNewUser: boolean, token: string | undefined): Promise<void> {
    if (!token) return;
    const share = await this.shares.find(tx, token);
    if (!share) return;
    const inviter = Number(share.sharerUserId);
    if (inviter === userId) return; // one's own share: no visit for attribution, no binding
    await this.shares.recordUserVisit(tx, share, userId);
    if (isNewUser) await tx.manager.insert(ShareSignupEntity, { userId, shareId: share.id, sharerUserId: inviter, createdAt: new Date() });
    if (this.opts.mode === 'off') return;
    if (!isNewUser && !this.opts.bindExisting) return;
    const current = await tx.manager.findOneBy(UserInviterEntity, { userId });
    if (current && (current.expiresAt === null || current.expiresAt.getTime() > Date.now())) return;
    const refused = await this.cycleReason(tx, userId, inviter);
    const now = new Date();
    if (refused) {
      await tx.manager.insert(UserInviterHistoryEntity, { userId, inviterUserId: inviter, shareId: share.id, outcome: 'refused', reason: refused, createdAt: now });
      return;
    }
    const expiresAt = this.opts.mode === 'days' ? new Date(now.getTime() + this.opts.days * 86_400_000) : null;
    // An expired binding is replaced (the history keeps the old one).
    if (current) await tx.manager.update(UserInviterEntity, { userId }, { inviterUserId: inviter, shareId: share.id, boundAt: now, expiresAt });
    else await tx.manager.insert(UserInviterEntity, { userId, inviterUserId: inviter, shareId: share.id, boundAt: now, expiresAt });
    await tx.manager.insert(UserInviterHistoryEntity, { userId, inviterUserId: inviter, shareId: share.id, outcome: 'bound', reason: null, createdAt: now });
    await emit(tx, { type: 'share.inviter_bound', aggregateType: 'user', aggregateId: userId, payload: { userId, inviterUserId: inviter, shareId: share.id, expiresAt: expiresAt?.toISOString() ?? null } });
  }

  /**
   * Walks the would-be inviter's chain of current inviters all the way up: binding `userId` under
   * `inviter` is a cycle when `userId` is found there (A→B→A, and any longer loop).
   */
  private async cycleReason(ctx: ServiceContext, userId: number, inviter: number): Promise<string | null> {
    let at: number | null = inviter;
    for (let i = 0; at !== null; i++) {
      if (at === userId) return 'cycle';
      if (i >= MAX_CHAIN) return 'chain_too_deep';
      at = await this.inviterOf(ctx, at);
    }
    return null;
  }
}
