import type { CampaignStatus, GroupStatus } from '@tuan/shared';
import type { Lifecycle } from '../../core/lifecycle';
import type { TransitionTable } from '../../core/state';
import { CampaignEntity, GroupEntity, GroupMemberEntity, type GroupMemberStatus } from './groupbuy.entity';

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

/**
 * A seat is reserved by an unpaid order, paid when that order is paid, or released when the order
 * is cancelled (which frees the seat for someone else). A paid seat stays paid (a refund does not
 * reopen a seat: the group has ended by then).
 */
export const memberTransitions: TransitionTable<GroupMemberStatus> = {
  reserved: ['paid', 'released'],
  paid: [],
  released: [],
};

export const groupLifecycle: Lifecycle<GroupStatus, GroupEntity> = { name: 'group', entity: GroupEntity, transitions: groupTransitions, touchesUpdatedAt: true };
export const campaignLifecycle: Lifecycle<CampaignStatus, CampaignEntity> = { name: 'campaign', entity: CampaignEntity, transitions: campaignTransitions, touchesUpdatedAt: true };
export const memberLifecycle: Lifecycle<GroupMemberStatus, GroupMemberEntity> = { name: 'group_member', entity: GroupMemberEntity, transitions: memberTransitions, touchesUpdatedAt: false };
