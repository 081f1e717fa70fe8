/**
 * The leader module's public face (issue 11): team leaders (团长), their pickup points, and the point
 * a shopper uses. Other modules ask through `LeaderDirectory`, never the tables.
 */
export { LeaderDirectory, type LeaderIdentity, type PickupPointSnapshot } from './leader.directory';
export { leaderLifecycle, pickupPointLifecycle } from './leader.state';
export { LeaderCommissions, registerLeaderCommissionRoutes } from './leader.commission';
