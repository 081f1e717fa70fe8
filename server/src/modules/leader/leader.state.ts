import type { LeaderStatus, PickupPointStatus } from '@tuan/shared';
import type { Lifecycle } from '../../core/lifecycle';
import type { TransitionTable } from '../../core/state';
import { LeaderEntity, PickupPointEntity } from './leader.entity';

/**
 * A leader (spec §9): the operator approves or rejects an application; a rejected applicant may apply
 * again (`rejected → applied`); an approved leader may be suspended and resumed.
 */
export const leaderTransitions: TransitionTable<LeaderStatus> = {
  applied: ['approved', 'rejected'],
  rejected: ['applied'],
  approved: ['suspended'],
  suspended: ['approved'],
};

export const leaderLifecycle: Lifecycle<LeaderStatus, LeaderEntity> = {
  name: 'leader',
  entity: LeaderEntity,
  transitions: leaderTransitions,
  touchesUpdatedAt: true,
};

/** A point opens when its leader is approved and closes while the leader is suspended. */
export const pickupPointTransitions: TransitionTable<PickupPointStatus> = {
  pending: ['open', 'closed'],
  open: ['closed'],
  closed: ['open', 'pending'],
};

export const pickupPointLifecycle: Lifecycle<PickupPointStatus, PickupPointEntity> = {
  name: 'pickup_point',
  entity: PickupPointEntity,
  transitions: pickupPointTransitions,
  touchesUpdatedAt: true,
};
