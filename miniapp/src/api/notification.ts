import * as routes from '@tuan/shared/contracts'
import type { NotificationView, RouteResponse } from '@tuan/shared/contracts'
import { call } from './request'

export type NotificationPage = RouteResponse<typeof routes.listNotifications>
export type { NotificationView }

/** My messages (消息), newest first, with the unread count. */
export function listNotifications(page = 1, pageSize = 20): Promise<NotificationPage> {
  return call(routes.listNotifications, { query: { page, pageSize } })
}

export function unreadNotificationCount(): Promise<{ unread: number }> {
  return call(routes.unreadNotifications)
}

export function readNotification(id: number): Promise<NotificationView> {
  return call(routes.readNotification, { params: { id } })
}

export function readAllNotifications(): Promise<{ updated: number }> {
  return call(routes.readAllNotifications)
}

/** Subscribe-message templates to ask consent for after a payment (empty outside WeChat push). */
export function subscribeTemplates(): Promise<{ templateIds: string[] }> {
  return call(routes.subscribeTemplates)
}
