import * as address from './address';
import * as admin from './admin';
import * as auth from './auth';
import * as catalog from './catalog';
import * as coupon from './coupon';
import { type AnyRouteContract, isRouteContract } from './define';
import * as events from './events';
import * as groupbuy from './groupbuy';
import * as order from './order';
import * as leader from './leader';
import * as live from './live';
import * as share from './share';
import * as notification from './notification';
import * as orderAdmin from './order-admin';
import * as rewards from './rewards';
import * as pickup from './pickup';
import * as pickupVerify from './pickup-verify';

export * from './define';
export * from './admin';
export * from './auth';
export * from './catalog';
export * from './coupon';
export * from './events';
export * from './groupbuy';
export * from './order';
export * from './share';
export * from './order-admin';
export * from './address';
export * from './live';
export * from './leader';
export * from './notification';
export * from './rewards';
export * from './pickup';
export * from './pickup-verify';

/**
 * Every route contract of every domain. The server must serve exactly these (checked by the server
 * test suite), so a contract added here without a handler, or a handler without a contract, fails.
 */
export const routeContracts: readonly AnyRouteContract[] = [address, admin, auth, catalog, coupon, events, groupbuy, leader, live, notification, order, orderAdmin, pickup, pickupVerify, rewards, share].flatMap((domain) =>
  Object.values(domain).filter(isRouteContract),
);
