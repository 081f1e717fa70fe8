import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A shopper. Identity is the WeChat openid (or a dev openid in development). */
@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  openid: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  unionid: string | null;

  /** WeChat session_key, encrypted; never leaves the server. */
  @Column({ name: 'session_key_enc', type: 'varchar', length: 255, nullable: true })
  sessionKeyEnc: string | null;

  @Column({ type: 'varchar', length: 64 })
  nickname: string;

  @Column({ name: 'avatar_url', type: 'varchar', length: 512, nullable: true })
  avatarUrl: string | null;

  @Column({ name: 'phone_enc', type: 'varchar', length: 255, nullable: true })
  phoneEnc: string | null;

  /** Keyed hash of the phone number so it can be looked up without decrypting every row. */
  @Column({ name: 'phone_hash', type: 'char', length: 64, nullable: true })
  phoneHash: string | null;

  @Column({ name: 'login_provider', type: 'varchar', length: 16 })
  loginProvider: string;

  @Column({ name: 'login_count', type: 'int', default: 0 })
  loginCount: number;

  @Column({ name: 'last_login_at', type: 'datetime', precision: 3 })
  lastLoginAt: Date;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/**
 * Refresh tokens are stored hashed and rotated on every use. Tokens of one login share a family;
 * presenting an already-used token revokes the family (it was stolen or replayed).
 */
@Entity('refresh_tokens')
export class RefreshTokenEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ name: 'token_hash', type: 'char', length: 64, unique: true })
  tokenHash: string;

  @Column({ name: 'family_id', type: 'char', length: 36 })
  familyId: string;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'datetime', precision: 3, nullable: true })
  usedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
