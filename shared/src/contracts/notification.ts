import { z } from 'zod';
import { IdParams, IsoTime, pageOf, PageQuery } from '../schemas';
import { defineRoute } from './define';

// ---------- the shopper's 消息 inbox; owner only: anyone else's message is a 404 ----------
const tags = ['notifications'];

export const NotificationKind = z.enum(['group_succeeded', 'group_failed', 'order_refunded', 'payment_expiring', 'order_shipped', 'order_ready_for_pickup']);
export type NotificationKind = z.infer<typeof NotificationKind>;

export const NotificationView = z.object({
  id: z.number().int(),
  kind: NotificationKind,
  title: z.string(),
  body: z.string(),
  /** Mini-program page the message opens (e.g. `/packages/order/pages/detail/index?id=12`), or null. */
  link: z.string().nullable(),
  createdAt: IsoTime,
  readAt: IsoTime.nullable(),
});
export type NotificationView = z.infer<typeof NotificationView>;

export const NotificationPage = pageOf(NotificationView).extend({ unread: z.number().int() });
export type NotificationPage = z.infer<typeof NotificationPage>;

export const listNotifications = defineRoute({
  method: 'get', path: '/api/notifications', summary: 'My messages (消息), newest first, with the unread count', tags, auth: 'user',
  query: PageQuery, response: NotificationPage,
});

export const unreadNotifications = defineRoute({
  method: 'get', path: '/api/notifications/unread-count', summary: 'How many of my messages are unread (the badge on 我的)', tags, auth: 'user',
  response: z.object({ unread: z.number().int() }),
});

export const readNotification = defineRoute({
  method: 'post', path: '/api/notifications/:id/read', summary: 'Mark my message read (again: no change)', tags, auth: 'user',
  params: IdParams, response: NotificationView, status: 200,
});

export const readAllNotifications = defineRoute({
  method: 'post', path: '/api/notifications/read-all', summary: 'Mark all my messages read', tags, auth: 'user',
  response: z.object({ updated: z.number().int() }), status: 200,
});

/**
 * The subscribe-message templates the mini-program asks consent for after a payment
 * (`Taro.requestSubscribeMessage`, at most 3). Empty where messages go to the inbox only.
 */
export const subscribeTemplates = defineRoute({
  method: 'get', path: '/api/notifications/subscribe-templates', summary: 'WeChat subscribe-message template ids to request consent for after payment', tags, auth: 'user',
  response: z.object({ templateIds: z.array(z.string()) }),
});
