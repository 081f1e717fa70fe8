import { useState } from 'react'
import Taro from '@tarojs/taro'
import { Button, Image, Text, View } from '@tarojs/components'
import { orderStatusZh } from '@tuan/shared/enums'
import { formatFen } from '@tuan/shared/money'
import type { OrderSummary, OrderTab } from '@tuan/shared/schemas'
import { listOrders } from '../../api/order'
import { resolveAssetUrl } from '../../api/config'
import { showErrorToast } from '../../api/request'
import { startLogin, useSession } from '../../auth'
import { Empty, ErrorState, ListTabs, Loading, PagedListFooter } from '../../components'
import { ROUTES } from '../../utils/routes'
import { usePagedList } from '../../hooks/usePagedList'
import './index.css'

const PAGE_SIZE = 10

type TabKey = 'all' | OrderTab
const TABS: ReadonlyArray<{ key: TabKey; label: string }> = [
  { key: 'all', label: '全部' },
  { key: 'unpaid', label: '待付款' },
  { key: 'grouping', label: '待成团' },
  { key: 'to_ship', label: '待发货' },
  { key: 'to_receive', label: '待收货' },
  { key: 'completed', label: '已完成' },
  { key: 'after_sale', label: '售后' },
]

const KIND_ZH: Record<OrderSummary['kind'], string> = { group_open: '开团', group_join: '参团', solo: '单买' }

function OrderCard({ order }: { order: OrderSummary }) {
  const open = () => {
    void Taro.navigateTo({ url: ROUTES.orderDetail(order.id) })
  }
  return (
    <View className={`order-card order-card-${order.id}`} onClick={open}>
      <View className='order-card-head'>
        <Text className='order-card-kind'>{KIND_ZH[order.kind]}</Text>
        <Text className='order-card-no'>订单号 {order.orderNo}</Text>
        <Text className={`order-status order-status-${order.status}`}>{orderStatusZh[order.status]}</Text>
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
        <Text className='order-card-amount-label'>实付</Text>
        <Text className='order-card-amount'>{formatFen(order.payableAmount)}</Text>
      </View>
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
    body = (
      <View className='orders-login empty-with-action'>
        <Empty text='登录后查看订单' />
        <Button className='btn orders-login-btn empty-action' onClick={() => void startLogin().catch(showErrorToast)}>
          去登录
        </Button>
      </View>
    )
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
          <OrderCard key={o.id} order={o} />
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
