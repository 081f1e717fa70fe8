import type { GroupStatus } from '@tuan/shared';
import type { TransitionTable } from '../../core/state';

/** A group opens when its opener pays, and ends exactly once: succeeded or failed. */
export const groupTransitions: TransitionTable<GroupStatus> = {
  pending: ['open', 'cancelled'],
  open: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
  cancelled: [],
};
