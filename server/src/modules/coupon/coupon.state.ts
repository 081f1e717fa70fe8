import type { CouponTemplateStatus, UserCouponStatus } from '@tuan/shared';
import type { Lifecycle } from '../../core/lifecycle';
import type { TransitionTable } from '../../core/state';
import { CouponTemplateEntity, UserCouponEntity } from './coupon.entity';

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

/** Operator moves (activate, pause, end) and the sweeper's end; history in `state_history`. */
export const templateLifecycle: Lifecycle<CouponTemplateStatus, CouponTemplateEntity> = {
  name: 'coupon_template',
  entity: CouponTemplateEntity,
  transitions: templateTransitions,
  touchesUpdatedAt: true,
};

/** Checkout (lock), payment (used), cancel/timeout (release), refund (return) and expiry. */
export const userCouponLifecycle: Lifecycle<UserCouponStatus, UserCouponEntity> = {
  name: 'user_coupon',
  entity: UserCouponEntity,
  transitions: userCouponTransitions,
  touchesUpdatedAt: true,
};
