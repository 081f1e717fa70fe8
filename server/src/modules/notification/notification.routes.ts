import { listNotifications, readAllNotifications, readNotification, subscribeTemplates, unreadNotifications } from '@tuan/shared/contracts';
import type { ApiRouter } from '../../http/route';
import type { NotificationService } from './notification.service';

/** The shopper's own messages only: every handler reads the user from the token, never from input. */
export function registerNotificationRoutes(r: ApiRouter, notifications: NotificationService): void {
  r.add(listNotifications, ({ query }, sctx) => notifications.list(sctx, query));
  r.add(unreadNotifications, (_input, sctx) => notifications.unread(sctx));
  r.add(readAllNotifications, (_input, sctx) => notifications.markAllRead(sctx));
  r.add(readNotification, ({ params }, sctx) => notifications.markRead(sctx, params.id));
  r.add(subscribeTemplates, () => Promise.resolve(notifications.templateIds()));
}
