/** The rewards module's public face (spec §7): the commission ledger, withdrawals, reconciliation. */
export { RewardsService, type RewardsDeps, type RewardsOptions } from './rewards.service';
export { rewardsSubscribers } from './rewards.subscribers';
export { registerRewardsRoutes, payoutNotifyRouter } from './rewards.routes';
export { registerLeaderEarningsRoutes } from './rewards.leader';
