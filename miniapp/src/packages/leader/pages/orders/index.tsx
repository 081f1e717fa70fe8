import { useState } from 'react'
import Taro, { usePullDownRefresh } from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import { orderStatusZh } from '@tuan/shared/enums'
import { leaderOrders } from '../../../../api/pickup'
import { useSession } from '../../../../auth'
import { Empty, ErrorState, Loading, LoginPrompt } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { formatDateTime } from '../../../../utils/format'
import { ROUTES } from '../../../../utils/routes'
import '../../pickup.css'

/** SKU totals of a list of orders: what the leader will receive and sort. */
function bySku(items: Array<{ skuId: number; title: string; specLabel: string; quantity: number }>) {
  const m = new Map<number, { title: string; specLabel: string; quantity: number; orders: number }>()
  for (const o of items) {
    const s = m.get(o.skuId) ?? { title: o.title, specLabel: o.specLabel, quantity: 0, orders: 0 }
    s.quantity += o.quantity
    s.orders += 1
    m.set(o.skuId, s)
  }
  return [...m.entries()].map(([skuId, s]) => ({ skuId, ...s }))
}

/**
 * 今日订单: my point's orders paid since the last cut-off (they go out in the next batch), or every
 * order still on its way. Only my own point's orders: the server scopes the list to the leader.
 */
export default function LeaderOrders() {
  const session = useSession()
  const [scope, setScope] = useState<'today' | 'open'>('today')
  const list = useApi(() => leaderOrders(scope), [scope, session?.user?.id], { enabled: !!session })
  usePullDownRefresh(() => void list.reload().finally(() => Taro.stopPullDownRefresh()))

  if (!session) return <LoginPrompt name='leader-orders' text='登录后查看自提点订单' />
  if (list.error && !list.data) return <ErrorState error={list.error} onRetry={() => void list.reload()} />
  if (!list.data) return <Loading />
  const { items, nextCutoffAt, units } = list.data
  const skus = bySku(items)
  return (
    <View className='lp leader-orders'>
      <View className='lp-tabs'>
        <Text className={`lp-tab lp-tab-today${scope === 'today' ? ' is-on' : ''}`} onClick={() => setScope('today')}>
          今日订单
        </Text>
        <Text className={`lp-tab lp-tab-open${scope === 'open' ? ' is-on' : ''}`} onClick={() => setScope('open')}>
          未提货
        </Text>
      </View>
      <View className='lp-card'>
        <View className='lp-stat'>
          <View className='lp-stat-cell'>
            <Text className='lp-stat-value leader-orders-count'>{items.length}</Text>
            <Text className='lp-stat-label'>订单</Text>
          </View>
          <View className='lp-stat-cell'>
            <Text className='lp-stat-value'>{units}</Text>
            <Text className='lp-stat-label'>件商品</Text>
          </View>
        </View>
        {scope === 'today' ? <Text className='lp-hint'>截单时间 {formatDateTime(nextCutoffAt)}，截单后统一配送到你的自提点</Text> : null}
      </View>
      {items.length === 0 ? (
        <View className='empty-with-action'>
          <Empty text={scope === 'today' ? '今天还没有订单' : '没有待提货的订单'} hint='分享你的自提点，邻居下单后会出现在这里' />
          <Button className='btn btn-ghost empty-action' onClick={() => void Taro.navigateTo({ url: ROUTES.leaderBatches })}>
            查看配送批次
          </Button>
        </View>
      ) : (
        <>
          <View className='lp-card'>
            <Text className='lp-title'>按商品汇总</Text>
            {skus.map((s) => (
              <View key={s.skuId} className={`lp-row leader-sku leader-sku-${s.skuId}`}>
                <View className='lp-main'>
                  <Text className='lp-name'>{s.title}</Text>
                  <Text className='lp-sub'>
                    {s.specLabel} · {s.orders} 单
                  </Text>
                </View>
                <Text className='lp-qty'>×{s.quantity}</Text>
              </View>
            ))}
          </View>
          <View className='lp-card'>
            <Text className='lp-title'>订单</Text>
            {items.map((o) => (
              <View key={o.orderId} className={`lp-row leader-order leader-order-${o.orderId}`}>
                <View className='lp-main'>
                  <Text className='lp-name'>
                    {o.title} ×{o.quantity}
                  </Text>
                  <Text className='lp-sub'>
                    {o.contactName ?? '顾客'} {o.phoneMasked ?? ''} · {o.paidAt ? formatDateTime(o.paidAt) : ''}
                  </Text>
                </View>
                <Text className='lp-status'>{orderStatusZh[o.status]}</Text>
              </View>
            ))}
          </View>
        </>
      )}
      <View className='lp-bar'>
        <Button className='btn btn-block leader-go-batches' onClick={() => void Taro.navigateTo({ url: ROUTES.leaderBatches })}>
          配送批次与拣货单
        </Button>
      </View>
    </View>
  )
}
