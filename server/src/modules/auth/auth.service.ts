import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ErrorCode, type LoginResponse, type RefreshResponse, type UpdateProfileRequest, type UserProfile } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { FieldCipher, maskPhone, randomToken, sha256Hex } from '../../core/crypto';
import { affectedRows, withTransaction } from '../../core/transaction';
import { NotFoundError, UnauthenticatedError } from '../../http/errors';
import { RefreshTokenEntity, UserEntity } from './auth.entity';
import type { LoginProvider } from './login.provider';
import type { TokenService } from './auth.tokens';

export interface AuthServiceDeps {
  dataSource: DataSource;
  tokens: TokenService;
  provider: LoginProvider;
  cipher: FieldCipher;
  refreshTtlDays: number;
  /** Runs inside the login transaction that created the user (registration gifts). */
  onNewUser?: (tx: ServiceContext, userId: number) => Promise<void>;
  /**
   * Runs inside every login's transaction, after the user's row was locked by its upsert (so
   * concurrent logins of one person queue here): share chains record the arrival and bind the inviter.
   */
  onLogin?: (tx: ServiceContext, userId: number, isNewUser: boolean, shareToken: string | undefined) => Promise<void>;
}

/** Shopper login, token rotation and profile. */
export class AuthService {
  constructor(private readonly d: AuthServiceDeps) {}

  /**
   * Exchanges a mini-program login code for tokens. Concurrent first logins of one person create
   * exactly one user, and `isNewUser` is true for exactly one of them (the one whose INSERT inserted).
   */
  async login(ctx: ServiceContext, code: string, shareToken?: string): Promise<LoginResponse> {
    const identity = await this.d.provider.exchange(code);
    const now = new Date();
    const sessionKeyEnc = identity.sessionKey ? this.d.cipher.encrypt(identity.sessionKey) : null;
    return withTransaction(this.d.dataSource, ctx, async (tx) => {
      // One upsert that takes the row's exclusive lock at once (INSERT IGNORE then UPDATE would
      // take a shared lock first, and concurrent first logins deadlock upgrading it). login_count
      // always changes on a duplicate, so affectedRows is 1 only for the statement that inserted.
      const res = await tx.manager.query(
        `INSERT INTO users (openid, unionid, session_key_enc, nickname, login_provider, login_count, last_login_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)
         ON DUPLICATE KEY UPDATE login_count = login_count + 1, last_login_at = VALUES(last_login_at),
           session_key_enc = COALESCE(VALUES(session_key_enc), session_key_enc), unionid = COALESCE(VALUES(unionid), unionid)`,
        [identity.openid, identity.unionid, sessionKeyEnc, identity.nickname, this.d.provider.name, now, now, now],
      );
      const isNewUser = affectedRows(res) === 1;
      const user = await tx.manager.findOneByOrFail(UserEntity, { openid: identity.openid });
      if (isNewUser && this.d.onNewUser) await this.d.onNewUser(tx, Number(user.id));
      if (this.d.onLogin) await this.d.onLogin(tx, Number(user.id), isNewUser, shareToken);
      const pair = await this.issuePair(tx, user.id, randomUUID());
      tx.log.info({ userId: user.id, isNewUser, provider: this.d.provider.name }, 'user logged in');
      return { ...pair, user: this.profileOf(user, true), isNewUser, serverTime: new Date().toISOString() };
    });
  }

  /**
   * Rotates a refresh token. The guarded UPDATE marks it used exactly once; presenting a token that
   * was already used means it leaked, so the whole family (that login's chain) is revoked.
   */
  async refresh(ctx: ServiceContext, refreshToken: string): Promise<RefreshResponse> {
    const hash = sha256Hex(refreshToken);
    const outcome = await withTransaction(this.d.dataSource, ctx, async (tx) => {
      const res = await tx.manager
        .createQueryBuilder()
        .update(RefreshTokenEntity)
        .set({ usedAt: () => 'UTC_TIMESTAMP(3)' })
        .where('token_hash = :hash AND used_at IS NULL AND revoked_at IS NULL AND expires_at > UTC_TIMESTAMP(3)', { hash })
        .execute();
      if (res.affected !== 1) return null;
      const row = await tx.manager.findOneByOrFail(RefreshTokenEntity, { tokenHash: hash });
      return this.issuePair(tx, row.userId, row.familyId);
    });
    if (outcome) return { ...outcome, serverTime: new Date().toISOString() };
    const row = await ctx.manager.findOneBy(RefreshTokenEntity, { tokenHash: hash });
    if (row?.usedAt) {
      await this.revokeFamily(ctx, row.familyId);
      ctx.log.warn({ userId: row.userId }, 'refresh token reuse detected; token family revoked');
    }
    throw new UnauthenticatedError(ErrorCode.REFRESH_TOKEN_INVALID, 'Refresh token is invalid, expired or already used');
  }

  /** Revokes the login (token family) the refresh token belongs to. Unknown tokens are ignored. */
  async logout(ctx: ServiceContext, refreshToken: string): Promise<void> {
    const row = await ctx.manager.findOneBy(RefreshTokenEntity, { tokenHash: sha256Hex(refreshToken) });
    if (row && row.userId === userIdOf(ctx)) await this.revokeFamily(ctx, row.familyId);
  }

  async me(ctx: ServiceContext): Promise<UserProfile> {
    const user = await ctx.manager.findOneBy(UserEntity, { id: userIdOf(ctx) });
    if (!user) throw new NotFoundError(ErrorCode.NOT_FOUND, 'User not found');
    return this.profileOf(user, true);
  }

  async updateProfile(ctx: ServiceContext, input: UpdateProfileRequest): Promise<UserProfile> {
    const id = userIdOf(ctx);
    const patch: Partial<UserEntity> = { updatedAt: new Date() };
    if (input.nickname !== undefined) patch.nickname = input.nickname;
    if (input.avatarUrl !== undefined) patch.avatarUrl = input.avatarUrl;
    if (input.phone !== undefined) {
      patch.phoneEnc = input.phone === null ? null : this.d.cipher.encrypt(input.phone);
      patch.phoneHash = input.phone === null ? null : this.d.cipher.blindIndex(input.phone);
    }
    await ctx.manager.update(UserEntity, { id }, patch);
    return this.me(ctx);
  }

  /** Public view of a user; the full phone number only goes to its owner. */
  profileOf(user: UserEntity, owner: boolean): UserProfile {
    const phone = user.phoneEnc ? this.d.cipher.decrypt(user.phoneEnc) : null;
    return {
      id: Number(user.id),
      nickname: user.nickname,
      avatarUrl: user.avatarUrl,
      phone: owner ? phone : null,
      phoneMasked: maskPhone(phone),
      createdAt: user.createdAt.toISOString(),
    };
  }

  /** Deletes refresh tokens that expired more than a day ago (worker maintenance job). */
  async purgeExpiredRefreshTokens(ctx: ServiceContext): Promise<number> {
    // At most 10 000 a run, so a long-idle deployment purges in slices instead of one huge delete;
    // raw because TypeORM's delete builder has no LIMIT.
    const res = await ctx.manager.query(`DELETE FROM refresh_tokens WHERE expires_at < UTC_TIMESTAMP(3) - INTERVAL 1 DAY LIMIT 10000`);
    return affectedRows(res);
  }

  private async issuePair(tx: ServiceContext, userId: number, familyId: string) {
    const access = await this.d.tokens.signUser(userId);
    const refreshToken = randomToken(32);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.d.refreshTtlDays * 86400_000);
    await tx.manager.insert(RefreshTokenEntity, {
      userId,
      tokenHash: sha256Hex(refreshToken),
      familyId,
      expiresAt,
      usedAt: null,
      revokedAt: null,
      createdAt: now,
    });
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt.toISOString(),
      refreshToken,
      refreshTokenExpiresAt: expiresAt.toISOString(),
    };
  }

  private async revokeFamily(ctx: ServiceContext, familyId: string): Promise<void> {
    await ctx.manager
      .createQueryBuilder()
      .update(RefreshTokenEntity)
      .set({ revokedAt: () => 'UTC_TIMESTAMP(3)' })
      .where('family_id = :familyId AND revoked_at IS NULL', { familyId })
      .execute();
  }
}
