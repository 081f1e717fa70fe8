import type { PickupBatchStatus } from '@tuan/shared';
import type { Lifecycle } from '../../core/lifecycle';
import type { TransitionTable } from '../../core/state';
import { PickupBatchEntity } from './pickup.entity';

/** A daily batch: formed at the cut-off, shipped by an operator, arrived when its leader confirms. */
export const pickupBatchTransitions: TransitionTable<PickupBatchStatus> = {
  formed: ['shipped'],
  shipped: ['arrived'],
  arrived: [],
};

export const pickupBatchLifecycle: Lifecycle<PickupBatchStatus, PickupBatchEntity> = {
  name: 'pickup_batch',
  entity: PickupBatchEntity,
  transitions: pickupBatchTransitions,
  touchesUpdatedAt: true,
};
