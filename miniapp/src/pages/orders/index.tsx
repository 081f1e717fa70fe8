import { useState, type ReactNode } from 'react'
import Taro from '@tarojs/taro'
import { Button, Image, Text, View } from '@tarojs/components'
import { formatFen } from '@tuan/shared/money'
import type { OrderSummary, OrderTab } from '@tuan/shared/schemas'
import { confirmReceipt, listOrders } from '../../api/order'
import { resolveAssetUrl } from '../../api/config'
import { showErrorToast } from '../../api/request'
import { useSession } from '../../auth'
import { CountdownText, Empty, ErrorState, ListTabs, Loading, PagedListFooter, LoginPrompt } from '../../components'
import { amountLabel, orderStatusLabel } from '../../utils/orderLabels'
import { useCountdown } from '../../hooks/useCountdown'
import { ROUTES } from '../../utils/routes'
import { usePagedList } from '../../hooks/usePagedList'
import './index.css'
import { flag } from '../../utils/flag'

const PAGE_SIZE = 10

type TabKey = 'all' | OrderTab
const TABS: ReadonlyArray<{ key: TabKey; label: string }> = [
  { key: 'all', label: '全部' },
  { key: 'unpaid', label: '待付款' },
  { key: 'grouping', label: '待成团' },
  { key: 'to_ship', label: '待发货' },
  { key: 'to_receive', label: '待收货' },
  { key: 'to_pickup', label: '待提货' },
  { key: 'completed', label: '已完成' },
  { key: 'after_sale', label: '售后' },
]

const KIND_ZH: Record<OrderSummary['kind'], string> = { group_open: '开团', group_join: '参团', solo: '单买' }

/** The one next step an order card offers (PDD-style): pay, invite, look at the group, confirm receipt. */
function NextAction({ order, onChanged }: { order: OrderSummary; onChanged: () => void }) {
  const payDeadline = useCountdown(order.status === 'pending_payment' ? order.payDeadlineAt : null, order.serverTime)
  const [busy, setBusy] = useState(false)
  const go = (url: string) => (e: { stopPropagation: () => void }) => {
    e.stopPropagation()
    void Taro.navigateTo({ url })
  }
  let action: ReactNode = null
  if (order.status === 'pending_payment') {
    if (!order.payDeadlineAt || !payDeadline.done) {
      action = (
        <Button className='btn btn-small order-action order-action-pay' onClick={go(ROUTES.pay(order.id))}>
          去支付{order.payDeadlineAt ? ' ' : ''}
          {order.payDeadlineAt ? <CountdownText className='order-action-countdown' deadline={order.payDeadlineAt} serverTime={order.serverTime} onDone={onChanged} /> : null}
        </Button>
      )
    } else {
      action = <Text className='order-action-closed'>订单已关闭</Text>
    }
  } else if (order.status === 'shipped') {
    const receive = async (e: { stopPropagation: () => void }) => {
      e.stopPropagation()
      if (busy) return
      const { confirm } = await Taro.showModal({ title: '确认收货', content: '确认已收到商品吗？', confirmText: '确认收货', cancelText: '再等等' })
      if (!confirm) return
      setBusy(true)
      try {
        await confirmReceipt(order.id)
        void Taro.showToast({ title: '已确认收货', icon: 'none' })
        onChanged()
      } catch (err) {
        showErrorToast(err)
      } finally {
        setBusy(false)
      }
    }
    action = (
      <Button className='btn btn-small order-action order-action-receive' loading={flag(busy)} onClick={(e) => void receive(e)}>
        确认收货
      </Button>
    )
  } else if (order.status === 'ready_for_pickup') {
    action = (
      <Button className='btn btn-small order-action order-action-pickup' onClick={go(ROUTES.orderDetail(order.id))}>
        出示提货码
      </Button>
    )
  } else if (order.groupId && order.status === 'paid' && order.groupStatus === 'open') {
    action = (
      <Button className='btn btn-small order-action order-action-invite' onClick={go(ROUTES.group(order.groupId))}>
        邀请好友
      </Button>
    )
  } else if (order.groupId) {
    action = (
      <Button className='btn btn-ghost btn-small order-action order-action-group' onClick={go(ROUTES.group(order.groupId))}>
        查看拼团
      </Button>
    )
  }
  return action ? <View className='order-card-actions'>{action}</View> : null
}

function OrderCard({ order, onChanged }: { order: OrderSummary; onChanged: () => void }) {
  const open = () => {
    void Taro.navigateTo({ url: ROUTES.orderDetail(order.id) })
  }
  return (
    <View className={`order-card order-card-${order.id}`} onClick={open}>
      <View className='order-card-head'>
        <Text className='order-card-kind'>{KIND_ZH[order.kind]}</Text>
        <Text className='order-card-no'>订单号 {order.orderNo}</Text>
        <Text className={`order-status order-status-${order.status}`}>{orderStatusLabel(order)}</Text>
      </View>
      <View className='order-card-body'>
        {order.image ? <Image className='order-card-image goods-thumb' src={resolveAssetUrl(order.image)} mode='aspectFill' lazyLoad /> : <View className='order-card-image goods-thumb' />}
        <View className='order-card-info goods-info'>
          <Text className='order-card-title'>{order.title}</Text>
          <Text className='order-card-spec'>{order.specLabel} × {order.quantity}</Text>
        </View>
      </View>
      <View className='order-card-foot'>
        {order.refundedAmount > 0 ? <Text className='order-card-refunded'>已退 {formatFen(order.refundedAmount)}</Text> : null}
        <Text className='order-card-amount-label'>{amountLabel(order.status)}</Text>
        <Text className='order-card-amount'>{formatFen(order.payableAmount)}</Text>
      </View>
      <NextAction order={order} onChanged={onChanged} />
    </View>
  )
}

export default function Orders() {
  const session = useSession()
  const loggedIn = !!session
  const [tab, setTab] = useState<TabKey>('all')
  const which = tab === 'all' ? undefined : tab
  const { items, hasMore, loading, loadingMore, error, reload: loadFirst, loadMore } = usePagedList(
    which,
    (s, page) => listOrders(page, PAGE_SIZE, s),
    loggedIn,
  )

  let body
  if (!loggedIn) {
    body = <LoginPrompt name='orders' text='登录后查看订单' />
  } else if (loading && items.length === 0) {
    body = <Loading />
  } else if (error && items.length === 0) {
    body = <ErrorState error={error} onRetry={() => void loadFirst()} />
  } else if (items.length === 0) {
    body = <Empty text='暂无相关订单' hint='去首页逛逛，和邻居一起拼团吧' />
  } else {
    body = (
      <View className='order-list'>
        {items.map((o) => (
          <OrderCard key={o.id} order={o} onChanged={() => void loadFirst()} />
        ))}
        <PagedListFooter hasMore={hasMore} loadingMore={loadingMore} onLoadMore={() => void loadMore()} />
      </View>
    )
  }

  return (
    <View className='orders'>
      <ListTabs tabs={TABS} active={tab} onSelect={setTab} className='order-tabs' tabClassName={(key) => `order-tab order-tab-${key}`} />
      {body}
    </View>
  )
}
