import type { CommissionStatus, WithdrawalStatus } from '@tuan/shared';
import type { Lifecycle } from '../../core/lifecycle';
import type { TransitionTable } from '../../core/state';
import { CommissionEntity, RewardOrderEntity, WithdrawalEntity, type RewardOrderStatus } from './rewards.entity';

/**
 * A commission is a two-phase hold: pending (paid) → frozen (completed) → available (settled once the
 * after-sale window passed with no open request), or cancelled when refunds voided all of it before
 * settlement. Each step is a compare-and-set (`move`), so a hold resolves exactly once.
 */
export const commissionTransitions: TransitionTable<CommissionStatus> = {
  pending: ['frozen', 'cancelled'],
  frozen: ['available', 'cancelled'],
  available: [],
  cancelled: [],
};

/** The order as the ledger follows it: accrued → frozen → settled, or closed when refunded in full first. */
export const rewardOrderTransitions: TransitionTable<RewardOrderStatus> = {
  accrued: ['frozen', 'closed'],
  frozen: ['settled', 'closed'],
  settled: [],
  closed: [],
};

/**
 * `requested → approved → paying → paid | failed`; failed → approved (retry) or cancelled (money back);
 * requested → rejected (money back at once).
 */
export const withdrawalTransitions: TransitionTable<WithdrawalStatus> = {
  requested: ['approved', 'rejected'],
  approved: ['paying'],
  paying: ['paid', 'failed'],
  failed: ['approved', 'cancelled'],
  paid: [],
  rejected: [],
  cancelled: [],
};

export const commissionLifecycle: Lifecycle<CommissionStatus, CommissionEntity> = { name: 'commission', entity: CommissionEntity, transitions: commissionTransitions, touchesUpdatedAt: true };
export const withdrawalLifecycle: Lifecycle<WithdrawalStatus, WithdrawalEntity> = { name: 'withdrawal', entity: WithdrawalEntity, transitions: withdrawalTransitions, touchesUpdatedAt: true };
export const rewardOrderLifecycle: Lifecycle<RewardOrderStatus, RewardOrderEntity> = { name: 'reward_order', entity: RewardOrderEntity, transitions: rewardOrderTransitions, touchesUpdatedAt: true };
