import type { TransitionTable } from '../../core/state';
import type { Lifecycle } from '../../core/lifecycle';
import { NotificationEntity, type PushStatus } from './notification.entity';

/** The WeChat push of a message: sent once, or given up for a reason; `none` never moves. */
export const pushTransitions: TransitionTable<PushStatus> = {
  none: [],
  pending: ['sent', 'skipped', 'failed'],
  sent: [],
  skipped: [],
  failed: [],
};

export const pushLifecycle: Lifecycle<PushStatus, NotificationEntity> = {
  name: 'notification_push',
  entity: NotificationEntity,
  transitions: pushTransitions,
  touchesUpdatedAt: false,
};
