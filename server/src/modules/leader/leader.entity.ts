import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { LeaderStatus, PickupPointKind, PickupPointStatus } from '@tuan/shared';

/** A team leader (团长): the application and, once approved, the account. One per user. */
@Entity('leaders')
export class LeaderEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ type: 'varchar', length: 12 })
  status: LeaderStatus;

  @Column({ type: 'varchar', length: 20 })
  name: string;

  /** Encrypted with FieldCipher; lists show `phoneMasked` only. */
  @Column({ name: 'phone_enc', type: 'varchar', length: 255 })
  phoneEnc: string;

  @Column({ name: 'phone_masked', type: 'varchar', length: 16 })
  phoneMasked: string;

  /** The leader's own commission rate in basis points; NULL uses the campaign's or the global rate. */
  @Column({ name: 'commission_bps', type: 'int', nullable: true })
  commissionBps: number | null;

  @Column({ name: 'reject_reason', type: 'varchar', length: 100, nullable: true })
  rejectReason: string | null;

  @Column({ name: 'reviewed_at', type: 'datetime', precision: 3, nullable: true })
  reviewedAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** A leader's pickup point (自提点). Takes new orders only while `open` (its leader approved). */
@Entity('pickup_points')
export class PickupPointEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'leader_id', type: 'bigint' })
  leaderId: number;

  @Column({ type: 'varchar', length: 12 })
  status: PickupPointStatus;

  @Column({ type: 'varchar', length: 40 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  kind: PickupPointKind;

  @Column({ type: 'varchar', length: 20 })
  province: string;

  @Column({ type: 'varchar', length: 20 })
  city: string;

  @Column({ type: 'varchar', length: 20 })
  district: string;

  @Column({ type: 'varchar', length: 120 })
  address: string;

  /** WGS-84 degrees (what `Taro.getLocation({ type: 'wgs84' })` and the map give). */
  @Column({ type: 'double' })
  lat: number;

  @Column({ type: 'double' })
  lng: number;

  /** Free text the leader writes, e.g. `08:00-21:00`. */
  @Column({ name: 'opening_hours', type: 'varchar', length: 40 })
  openingHours: string;

  @Column({ name: 'photo_url', type: 'varchar', length: 512, nullable: true })
  photoUrl: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** The pickup point a shopper uses by default: chosen by them, or bound by a leader's share. */
@Entity('user_pickup_points')
export class UserPickupPointEntity {
  @PrimaryColumn({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ name: 'point_id', type: 'bigint' })
  pointId: number;

  @Column({ type: 'varchar', length: 12 })
  via: 'chosen' | 'leader_share';

  @Column({ name: 'share_id', type: 'bigint', nullable: true })
  shareId: number | null;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
