import { DataSource } from 'typeorm';
import { AdminUserEntity, AuditLogEntity } from '../modules/admin/admin.entity';
import { RefreshTokenEntity, UserEntity } from '../modules/auth/auth.entity';
import { ProductEntity, SkuEntity, StockMovementEntity } from '../modules/catalog/catalog.entity';
import { CouponTemplateEntity, CouponUserClaimEntity, UserCouponEntity } from '../modules/coupon/coupon.entity';
import { CampaignEntity, CampaignUsageEntity, GroupEntity, GroupMemberEntity } from '../modules/groupbuy/groupbuy.entity';
import { AfterSaleEntity, FulfilmentEntity, OrderAttributionEntity, OrderEntity, OrderEventEntity, RefundEntity } from '../modules/order/order.entity';
import { AddressBookEntity, AddressEntity } from '../modules/address/address.entity';
import { ShareEntity, SharePackClaimEntity, SharePackEntity, SharePackProgressEntity, ShareSignupEntity, ShareVisitEntity, UserInviterEntity, UserInviterHistoryEntity } from '../modules/share/share.entity';
import { PaymentNotificationEntity } from '../modules/payment/payment.entity';
import { NotificationEntity } from '../modules/notification/notification.entity';
import { CommissionEntity, LedgerAccountEntity, LedgerPostingEntity, LedgerTransferEntity, ReconciliationEntity, RewardOrderEntity, RewardRuleEntity, RewardRuleLevelEntity, WithdrawalEntity } from '../modules/rewards/rewards.entity';
import { LeaderEntity, PickupPointEntity, UserPickupPointEntity } from '../modules/leader/leader.entity';
import { PickupBatchEntity, PickupBatchLineEntity, PickupCutoffEntity, PickupShortageEntity } from '../modules/order/pickup.entity';
import { migrations } from '../migrations';
import { DomainEventEntity, StateHistoryEntity } from './outbox.entity';
import { EventDeliveryEntity, EventReceiptEntity } from './outbox.delivery.entity';

export const entities = [UserEntity, RefreshTokenEntity, AdminUserEntity, AuditLogEntity, ProductEntity, SkuEntity, StockMovementEntity, CouponTemplateEntity, CouponUserClaimEntity, UserCouponEntity,
  CampaignEntity, GroupEntity, GroupMemberEntity, CampaignUsageEntity, OrderEntity, OrderEventEntity, RefundEntity, OrderAttributionEntity, FulfilmentEntity, AfterSaleEntity,
  AddressEntity, AddressBookEntity, PaymentNotificationEntity, NotificationEntity,
  ShareEntity, ShareVisitEntity, ShareSignupEntity, UserInviterEntity, UserInviterHistoryEntity, SharePackEntity, SharePackProgressEntity, SharePackClaimEntity,
  LedgerAccountEntity, LedgerPostingEntity, LedgerTransferEntity, RewardRuleEntity, RewardRuleLevelEntity, RewardOrderEntity, CommissionEntity, WithdrawalEntity, ReconciliationEntity,
  LeaderEntity, PickupPointEntity, UserPickupPointEntity,
  PickupCutoffEntity, PickupBatchEntity, PickupBatchLineEntity, PickupShortageEntity,
  DomainEventEntity, StateHistoryEntity, EventDeliveryEntity, EventReceiptEntity];

/**
 * TypeORM on mysql2. Dates are UTC on the wire (`timezone: 'Z'`); SQL that needs "now" uses
 * UTC_TIMESTAMP(3) so the server's time zone setting cannot shift a deadline.
 */
export function createDataSource(url: string, poolSize = 20): DataSource {
  return new DataSource({
    type: 'mysql',
    url,
    entities,
    migrations,
    synchronize: false,
    migrationsRun: false,
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    supportBigNumbers: true,
    bigNumberStrings: false,
    connectTimeout: 3000,
    logging: false,
    poolSize,
    // decimalNumbers: SUM() of money comes back as DECIMAL; as a JS number it is exact up to 2^53 fen,
    // so sums are integers, never strings (the rewards ledger sums a lot).
    extra: { connectionLimit: poolSize, waitForConnections: true, queueLimit: 0, enableKeepAlive: true, decimalNumbers: true },
  });
}

/**
 * Runs pending migrations under a MySQL named lock, so several processes starting at once do not
 * race each other through the same DDL.
 */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    const [row] = await runner.query(`SELECT GET_LOCK('tuan_migrations', 60) AS ok`);
    if (Number(row.ok) !== 1) throw new Error('could not take the migration lock within 60 s');
    try {
      const done = await ds.runMigrations({ transaction: 'none' });
      return done.map((m) => m.name);
    } finally {
      await runner.query(`SELECT RELEASE_LOCK('tuan_migrations')`);
    }
  } finally {
    await runner.release();
  }
}
