import type { CampaignStatus, GroupStatus } from '@tuan/shared';
import type { TransitionTable } from '../../core/state';

/** A group opens when its opener pays, and ends exactly once: succeeded or failed. */
export const groupTransitions: TransitionTable<GroupStatus> = {
  pending: ['open', 'cancelled'],
  open: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

/** Campaigns: drafts go live; a live campaign ends (ending is final; open groups still run out). */
export const campaignTransitions: TransitionTable<CampaignStatus> = {
  draft: ['active', 'ended'],
  active: ['ended'],
  ended: [],
};
