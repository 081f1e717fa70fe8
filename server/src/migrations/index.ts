import { Foundation1763800000000 } from './1763800000000-foundation';
import { Groupbuy1763900000000 } from './1763900000000-groupbuy';
import { Coupons1764000000000 } from './1764000000000-coupons';
import { UserLoginCount1764100000000 } from './1764100000000-user-login-count';
import { Outbox1764200000000 } from './1764200000000-outbox';
import { OutboxDelivery1764210000000 } from './1764210000000-outbox-delivery';
import { MoneyBigint1764300000000 } from './1764300000000-money-bigint';
import { DeliveryAfterSale1764400000000 } from './1764400000000-delivery-after-sale';
import { ShareChains1764500000000 } from './1764500000000-share-chains';
import { Notifications1764610000000 } from './1764610000000-notifications';
import { RewardsLedger1764600000000 } from './1764600000000-rewards-ledger';
import { TeamLeaders1764700000000 } from './1764700000000-team-leaders';
import { PickupBatches1764720000000 } from './1764720000000-pickup-batches';
import { PickupVerify1764730000000 } from './1764730000000-pickup-verify';

/** Every migration, in order. The schema only ever changes through these (never `synchronize`). */
export const migrations = [
  Foundation1763800000000, Groupbuy1763900000000, Coupons1764000000000, UserLoginCount1764100000000, Outbox1764200000000, OutboxDelivery1764210000000,
  MoneyBigint1764300000000, DeliveryAfterSale1764400000000, ShareChains1764500000000, RewardsLedger1764600000000, Notifications1764610000000,
  TeamLeaders1764700000000, PickupBatches1764720000000, PickupVerify1764730000000,
];
