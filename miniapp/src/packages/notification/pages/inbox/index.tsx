import { useState } from 'react'
import Taro from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import { listNotifications, readAllNotifications, readNotification, type NotificationView } from '../../../../api/notification'
import { showErrorToast } from '../../../../api/request'
import { useSession } from '../../../../auth'
import { Empty, ErrorState, Loading, PagedListFooter, LoginPrompt } from '../../../../components'
import { usePagedList } from '../../../../hooks/usePagedList'
import { formatDateTime } from '../../../../utils/format'
import { ROUTES } from '../../../../utils/routes'
import './index.css'

const PAGE_SIZE = 20

/** A small mark per kind, so the list reads at a glance. */
const KIND_MARK: Record<NotificationView['kind'], string> = {
  group_succeeded: '团',
  group_failed: '退',
  order_refunded: '退',
  payment_expiring: '付',
  order_shipped: '运',
  order_ready_for_pickup: '提',
}

const back = () => {
  if (Taro.getCurrentPages().length > 1) void Taro.navigateBack()
  else void Taro.switchTab({ url: ROUTES.me })
}

export default function Inbox() {
  const session = useSession()
  const loggedIn = !!session
  /** Read marks made here, shown before the list reloads. */
  const [readHere, setReadHere] = useState<Record<number, string>>({})
  const [unreadDelta, setUnreadDelta] = useState({ base: -1, read: 0 })
  const [busyAll, setBusyAll] = useState(false)
  const { items, hasMore, loading, loadingMore, error, reload, loadMore } = usePagedList(
    'all',
    async (_k, page) => {
      const res = await listNotifications(page, PAGE_SIZE)
      if (page === 1) {
        setReadHere({})
        setUnreadDelta({ base: res.unread, read: 0 })
      }
      return res
    },
    loggedIn,
  )
  const unread = Math.max(0, unreadDelta.base - unreadDelta.read)

  const open = async (n: NotificationView) => {
    if (!n.readAt && !readHere[n.id]) {
      try {
        const after = await readNotification(n.id)
        setReadHere((m) => ({ ...m, [n.id]: after.readAt ?? new Date().toISOString() }))
        setUnreadDelta((u) => ({ ...u, read: u.read + 1 }))
      } catch (e) {
        showErrorToast(e)
      }
    }
    if (n.link) void Taro.navigateTo({ url: n.link })
  }

  const readAll = async () => {
    if (busyAll) return
    setBusyAll(true)
    try {
      await readAllNotifications()
      await reload()
    } catch (e) {
      showErrorToast(e)
    } finally {
      setBusyAll(false)
    }
  }

  let body
  if (!loggedIn) {
    body = <LoginPrompt name='inbox' text='登录后查看消息' />
  } else if (loading && items.length === 0) {
    body = <Loading />
  } else if (error && items.length === 0) {
    body = (
      <View className='inbox-error'>
        <ErrorState error={error} onRetry={() => void reload()} />
        <Button className='btn btn-ghost inbox-back' onClick={back}>
          返回
        </Button>
      </View>
    )
  } else if (items.length === 0) {
    body = (
      <View className='inbox-empty empty-with-action'>
        <Empty text='暂无消息' hint='拼团结果、退款和发货通知会出现在这里' />
        <Button className='btn btn-ghost inbox-go-home empty-action' onClick={() => void Taro.switchTab({ url: ROUTES.home })}>
          去逛逛
        </Button>
      </View>
    )
  } else {
    body = (
      <View className='inbox-list'>
        {unread > 0 ? (
          <View className='inbox-bar'>
            <Text className='inbox-unread'>{unread} 条未读</Text>
            <Text className={`inbox-read-all${busyAll ? ' is-busy' : ''}`} onClick={() => void readAll()}>
              全部已读
            </Text>
          </View>
        ) : null}
        {items.map((n) => {
          const isRead = !!(n.readAt || readHere[n.id])
          return (
            <View key={n.id} className={`inbox-item inbox-kind-${n.kind} ${isRead ? 'is-read' : 'is-unread'}`} onClick={() => void open(n)}>
              <View className='inbox-mark'>
                <Text>{KIND_MARK[n.kind]}</Text>
                {isRead ? null : <View className='inbox-dot' />}
              </View>
              <View className='inbox-main'>
                <View className='inbox-head'>
                  <Text className='inbox-title'>{n.title}</Text>
                  <Text className='inbox-time'>{formatDateTime(n.createdAt)}</Text>
                </View>
                <Text className='inbox-body'>{n.body}</Text>
                {n.link ? <Text className='inbox-link'>查看详情 ›</Text> : null}
              </View>
            </View>
          )
        })}
        <PagedListFooter hasMore={hasMore} loadingMore={loadingMore} onLoadMore={() => void loadMore()} />
      </View>
    )
  }

  return <View className='inbox'>{body}</View>
}
