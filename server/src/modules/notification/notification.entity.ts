import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { NotificationKind } from '@tuan/shared/contracts';

/** `none`: inbox only; `pending`: a WeChat subscribe message to send; then `sent`, `skipped` (no consent) or `failed`. */
export type PushStatus = 'none' | 'pending' | 'sent' | 'skipped' | 'failed';

/** One message to one shopper: a line of the 消息 inbox, and the record of its WeChat push. */
@Entity('notifications')
export class NotificationEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ type: 'varchar', length: 24 })
  kind: NotificationKind;

  /** One message per (reason, object, user): the unique key that makes every writer idempotent. */
  @Column({ name: 'dedupe_key', type: 'varchar', length: 96 })
  dedupeKey: string;

  @Column({ type: 'varchar', length: 40 })
  title: string;

  @Column({ type: 'varchar', length: 200 })
  body: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  link: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'read_at', type: 'datetime', precision: 3, nullable: true })
  readAt: Date | null;

  /** The WeChat push's state (the inbox line exists whatever it is). */
  @Column({ type: 'varchar', length: 8 })
  status: PushStatus;

  @Column({ name: 'push_attempts', type: 'int' })
  pushAttempts: number;

  /** When a pending push may next be tried; set ahead while one sender holds it (a lease). */
  @Column({ name: 'push_next_at', type: 'datetime', precision: 3, nullable: true })
  pushNextAt: Date | null;

  @Column({ name: 'push_error', type: 'varchar', length: 200, nullable: true })
  pushError: string | null;
}
