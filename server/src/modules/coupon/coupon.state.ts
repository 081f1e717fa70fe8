import type { CouponTemplateStatus, UserCouponStatus } from '@tuan/shared';
import type { TransitionTable } from '../../core/state';

export const templateTransitions: TransitionTable<CouponTemplateStatus> = {
  draft: ['active', 'ended'],
  active: ['paused', 'ended'],
  paused: ['active', 'ended'],
  ended: [],
};

/** A locked coupon belongs to one unpaid order; it is used when that order is paid, back otherwise. */
export const userCouponTransitions: TransitionTable<UserCouponStatus> = {
  available: ['locked', 'expired'],
  locked: ['used', 'available', 'expired'],
  used: ['available'],
  expired: [],
};
