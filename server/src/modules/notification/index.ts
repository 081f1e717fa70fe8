/** The notification module's public face: the 消息 inbox and WeChat subscribe messages (issue 12 item 6). */
export { NotificationService, type NewNotification, type NotificationDeps, type NotificationOptions } from './notification.service';
export { InboxOnlyChannel, WechatSubscribeChannel, type PushChannel, type PushOutcome, type SubscribeMessage } from './notification.channel';
export { notificationSubscribers } from './notification.subscribers';
export { registerNotificationRoutes } from './notification.routes';
