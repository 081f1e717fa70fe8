/**
 * The leader module's public face (issue 11): team leaders (团长), their pickup points, and the point
 * a shopper uses. Other modules ask through `LeaderDirectory`, never the tables.
 */
export { LeaderDirectory, type LeaderIdentity, type PickupPointSnapshot } from './leader.directory';
export { leaderLifecycle, pickupPointLifecycle } from './leader.state';
export { LeaderService, type LeaderReview } from './leader.service';
export { PickupPointService, type LeaderShareRef, type PickupPointOptions } from './leader.points';
export { PointGeoIndex, haversineM, EARTH_RADIUS_M } from './leader.geo';
export { leaderSubscribers } from './leader.subscribers';
export { registerLeaderRoutes } from './leader.routes';
export { registerLeaderAdminRoutes } from './leader.admin.routes';
export { LeaderCommissions, registerLeaderCommissionRoutes } from './leader.commission';
