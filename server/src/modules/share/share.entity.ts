import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { ShareChannel, ShareKind } from '@tuan/shared';

/** A share: created when the share path is generated (WeChat tells nobody whether it was sent). */
@Entity('shares')
export class ShareEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ type: 'varchar', length: 10 })
  token: string;

  @Column({ name: 'sharer_user_id', type: 'bigint' })
  sharerUserId: number;

  @Column({ type: 'varchar', length: 16 })
  kind: ShareKind;

  @Column({ name: 'target_id', type: 'bigint' })
  targetId: number;

  /** The share through which the sharer arrived (the chain above this one). */
  @Column({ name: 'parent_share_id', type: 'bigint', nullable: true })
  parentShareId: number | null;

  @Column({ type: 'varchar', length: 16 })
  channel: ShareChannel;

  /** 1 + the parent's depth. */
  @Column({ type: 'int' })
  depth: number;

  @Column({ name: 'dedupe_key', type: 'varchar', length: 120 })
  dedupeKey: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/** One row per (share, visitor, UTC day); `visitor_key` is `u:<userId>` or `d:<deviceId>`. */
@Entity('share_visits')
export class ShareVisitEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'share_id', type: 'bigint' })
  shareId: number;

  @Column({ name: 'visitor_key', type: 'varchar', length: 48 })
  visitorKey: string;

  @Column({ name: 'user_id', type: 'bigint', nullable: true })
  userId: number | null;

  @Column({ type: 'date' })
  day: string;

  @Column({ type: 'int', nullable: true })
  scene: number | null;

  @Column({ name: 'visited_at', type: 'datetime', precision: 3 })
  visitedAt: Date;
}

/** A user whose very first login came through a share (the share graph's "new users"). */
@Entity('share_signups')
export class ShareSignupEntity {
  @PrimaryColumn({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ name: 'share_id', type: 'bigint' })
  shareId: number;

  @Column({ name: 'sharer_user_id', type: 'bigint' })
  sharerUserId: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/** A user's inviter (邀请人): one row per user; `expires_at` null means permanent. */
@Entity('user_inviters')
export class UserInviterEntity {
  @PrimaryColumn({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ name: 'inviter_user_id', type: 'bigint' })
  inviterUserId: number;

  @Column({ name: 'share_id', type: 'bigint' })
  shareId: number;

  @Column({ name: 'bound_at', type: 'datetime', precision: 3 })
  boundAt: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3, nullable: true })
  expiresAt: Date | null;
}

/** Every binding attempt that got as far as a decision: bound, or refused with its reason. */
@Entity('user_inviter_history')
export class UserInviterHistoryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ name: 'inviter_user_id', type: 'bigint' })
  inviterUserId: number;

  @Column({ name: 'share_id', type: 'bigint' })
  shareId: number;

  @Column({ type: 'varchar', length: 16 })
  outcome: 'bound' | 'refused';

  @Column({ type: 'varchar', length: 32, nullable: true })
  reason: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

@Entity('share_packs')
export class SharePackEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ type: 'varchar', length: 40 })
  name: string;

  @Column({ name: 'friend_template_ids', type: 'json' })
  friendTemplateIds: number[];

  @Column({ name: 'bonus_template_id', type: 'bigint' })
  bonusTemplateId: number;

  @Column({ name: 'required_friends', type: 'int' })
  requiredFriends: number;

  @Column({ name: 'total_packs', type: 'int' })
  totalPacks: number;

  /** Sharers who started this pack; guarded `packs_started < total_packs`. */
  @Column({ name: 'packs_started', type: 'int' })
  packsStarted: number;

  @Column({ name: 'ends_at', type: 'datetime', precision: 3 })
  endsAt: Date;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

@Entity('share_pack_progress')
export class SharePackProgressEntity {
  @PrimaryColumn({ name: 'pack_id', type: 'bigint' })
  packId: number;

  @PrimaryColumn({ name: 'sharer_user_id', type: 'bigint' })
  sharerUserId: number;

  @Column({ name: 'new_friends', type: 'int' })
  newFriends: number;

  @Column({ name: 'bonus_coupon_id', type: 'bigint', nullable: true })
  bonusCouponId: number | null;

  @Column({ name: 'completed_at', type: 'datetime', precision: 3, nullable: true })
  completedAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

@Entity('share_pack_claims')
export class SharePackClaimEntity {
  @PrimaryColumn({ name: 'pack_id', type: 'bigint' })
  packId: number;

  @PrimaryColumn({ name: 'friend_user_id', type: 'bigint' })
  friendUserId: number;

  @Column({ name: 'sharer_user_id', type: 'bigint' })
  sharerUserId: number;

  @Column({ name: 'share_id', type: 'bigint' })
  shareId: number;

  @Column({ type: 'boolean' })
  counted: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
