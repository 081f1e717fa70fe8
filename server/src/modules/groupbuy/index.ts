/** Group-buy's public face: campaigns, groups, checkout, deadlines (other modules import only this). */
export { CampaignService } from './groupbuy.campaigns';
export { GroupService } from './groupbuy.groups';
export { CheckoutService } from './groupbuy.checkout';
export { JoinBatch } from './groupbuy.join-batch';
export { SoloBatch } from './groupbuy.solo-batch';
export { LaunchBatch } from './groupbuy.launch-batch';
export type { CampaignOrderBatchDeps } from './groupbuy.order-batch';
export { GroupDeadlines } from './groupbuy.deadlines';
export { SeatGate } from './groupbuy.gate';
export { groupbuySubscribers } from './groupbuy.subscribers';
export { registerGroupbuyRoutes, registerGroupbuyAdminRoutes } from './groupbuy.routes';
