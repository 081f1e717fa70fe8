import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { FulfilmentMode, type CampaignStatus, type GroupStatus, type OpenerMode } from '@tuan/shared';

/** A group-buy campaign (拼团活动): its prices, group rules, window, own stock allotment and limits. */
@Entity('campaigns')
export class CampaignEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ type: 'varchar', length: 60 })
  title: string;

  @Column({ name: 'product_id', type: 'bigint' })
  productId: number;

  @Column({ name: 'sku_id', type: 'bigint' })
  skuId: number;

  @Column({ name: 'spec_label', type: 'varchar', length: 64 })
  specLabel: string;

  @Column({ type: 'varchar', length: 512, nullable: true })
  image: string | null;

  @Column({ name: 'list_price', type: 'bigint' })
  listPrice: number;

  @Column({ name: 'group_price', type: 'bigint' })
  groupPrice: number;

  @Column({ name: 'opener_mode', type: 'varchar', length: 16 })
  openerMode: OpenerMode;

  @Column({ name: 'opener_price', type: 'bigint' })
  openerPrice: number;

  @Column({ name: 'group_size', type: 'int' })
  groupSize: number;

  @Column({ name: 'group_duration_sec', type: 'int' })
  groupDurationSec: number;

  @Column({ name: 'payment_timeout_sec', type: 'int' })
  paymentTimeoutSec: number;

  @Column({ name: 'starts_at', type: 'datetime', precision: 3 })
  startsAt: Date;

  @Column({ name: 'ends_at', type: 'datetime', precision: 3 })
  endsAt: Date;

  @Column({ name: 'stock_total', type: 'int' })
  stockTotal: number;

  /** Only ever changed by guarded `UPDATE … WHERE stock_left >= :n` (and give-backs). */
  @Column({ name: 'stock_left', type: 'int' })
  stockLeft: number;

  @Column({ name: 'limit_per_order', type: 'int' })
  limitPerOrder: number;

  @Column({ name: 'limit_open_groups', type: 'int' })
  limitOpenGroups: number;

  @Column({ name: 'limit_units_per_user', type: 'int' })
  limitUnitsPerUser: number;

  @Column({ name: 'new_users_only', type: 'boolean' })
  newUsersOnly: boolean;

  @Column({ name: 'virtual_enabled', type: 'boolean' })
  virtualEnabled: boolean;

  @Column({ name: 'virtual_min_real', type: 'int' })
  virtualMinReal: number;

  @Column({ name: 'allow_solo', type: 'boolean' })
  allowSolo: boolean;

  @Column({ type: 'varchar', length: 16 })
  status: CampaignStatus;

  /** Which fulfilment modes it offers (a SET column: `delivery`, `pickup`); an order may use a mode its product and campaign both offer. */
  @Column({ name: 'fulfilment_modes', type: 'set', enum: FulfilmentMode, default: ['delivery', 'pickup'] })
  fulfilmentModes: FulfilmentMode[];

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** A group (团). The table is `group_buys` because GROUPS is reserved in MySQL 8. */
@Entity('group_buys')
export class GroupEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'campaign_id', type: 'bigint' })
  campaignId: number;

  @Column({ name: 'opener_user_id', type: 'bigint' })
  openerUserId: number;

  @Column({ type: 'int' })
  size: number;

  @Column({ type: 'varchar', length: 16 })
  status: GroupStatus;

  /** Seats reserved (paid or awaiting payment): guarded `seats_taken < size`. */
  @Column({ name: 'seats_taken', type: 'int' })
  seatsTaken: number;

  @Column({ name: 'paid_count', type: 'int' })
  paidCount: number;

  @Column({ name: 'deadline_at', type: 'datetime', precision: 3, nullable: true })
  deadlineAt: Date | null;

  @Column({ name: 'opened_at', type: 'datetime', precision: 3, nullable: true })
  openedAt: Date | null;

  @Column({ name: 'finished_at', type: 'datetime', precision: 3, nullable: true })
  finishedAt: Date | null;

  @Column({ name: 'is_virtual', type: 'boolean' })
  isVirtual: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

export type GroupMemberStatus = 'reserved' | 'paid' | 'released';

/**
 * A seat in a group, held by one order. `active_user_id` is the user while the seat is held and NULL
 * once released, so the unique key (group_id, active_user_id) means one held seat per user per group.
 */
@Entity('group_members')
export class GroupMemberEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'group_id', type: 'bigint' })
  groupId: number;

  @Column({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ name: 'active_user_id', type: 'bigint', nullable: true })
  activeUserId: number | null;

  @Column({ name: 'order_id', type: 'bigint' })
  orderId: number;

  @Column({ type: 'varchar', length: 8 })
  role: 'opener' | 'member';

  @Column({ type: 'varchar', length: 16 })
  status: GroupMemberStatus;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'paid_at', type: 'datetime', precision: 3, nullable: true })
  paidAt: Date | null;
}

/** Per-user limits of a campaign as guarded counters (one row per campaign and user). */
@Entity('campaign_user_usage')
export class CampaignUsageEntity {
  @PrimaryColumn({ name: 'campaign_id', type: 'bigint' })
  campaignId: number;

  @PrimaryColumn({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ type: 'int' })
  units: number;

  @Column({ name: 'open_groups', type: 'int' })
  openGroups: number;
}
