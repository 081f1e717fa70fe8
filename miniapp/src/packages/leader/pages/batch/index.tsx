import { useState } from 'react'
import Taro, { useRouter } from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import { orderStatusZh } from '@tuan/shared/enums'
import { pickupBatchStatusZh } from '@tuan/shared/schemas'
import { confirmArrival, leaderBatch } from '../../../../api/pickup'
import { showErrorToast } from '../../../../api/request'
import { useSession } from '../../../../auth'
import { ErrorState, Loading, LoginPrompt } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { flag } from '../../../../utils/flag'
import { formatDateTime } from '../../../../utils/format'
import { parseId, ROUTES } from '../../../../utils/routes'
import '../../pickup.css'

/**
 * One batch of my point: the pick list summed by SKU, its orders, and — once shipped — 确认到货,
 * whole or with a count per SKU for what is short (the missing units are refunded to the shoppers).
 */
export default function LeaderBatch() {
  const id = parseId(useRouter().params.id)
  const session = useSession()
  const batch = useApi(() => leaderBatch(id as number), [id, session?.user?.id], { enabled: id !== null && !!session })
  /** Units received per SKU while counting shortages (absent: all arrived). */
  const [received, setReceived] = useState<Record<number, number>>({})
  const [counting, setCounting] = useState(false)
  const [busy, setBusy] = useState(false)

  if (id === null) return <ErrorState text='批次不存在' back={{ text: '返回批次列表', onClick: () => void Taro.redirectTo({ url: ROUTES.leaderBatches }) }} />
  if (!session) return <LoginPrompt name='leader-batch' text='登录后查看拣货单' />
  if (batch.error && !batch.data) return <ErrorState error={batch.error} onRetry={() => void batch.reload()} back={{ text: '返回批次列表', onClick: () => void Taro.redirectTo({ url: ROUTES.leaderBatches }) }} />
  if (!batch.data) return <Loading />
  const b = batch.data
  const got = (skuId: number, quantity: number) => received[skuId] ?? quantity
  const short = b.lines.reduce((n, l) => n + (l.quantity - got(l.skuId, l.quantity)), 0)

  const confirm = async () => {
    if (busy) return
    const shortages = b.lines.filter((l) => got(l.skuId, l.quantity) < l.quantity).map((l) => ({ skuId: l.skuId, received: got(l.skuId, l.quantity) }))
    const { confirm: ok } = await Taro.showModal({
      title: '确认到货',
      content: shortages.length ? `共缺 ${short} 件，缺货部分将退款给顾客，确认吗？` : '确认本批次商品已全部到货？顾客将收到提货通知。',
    })
    if (!ok) return
    setBusy(true)
    try {
      batch.setData(await confirmArrival(b.id, { shortages }))
      setCounting(false)
      void Taro.showToast({ title: '已确认到货', icon: 'success' })
    } catch (e) {
      showErrorToast(e)
      void batch.reload()
    } finally {
      setBusy(false)
    }
  }

  return (
    <View className={`lp leader-batch-page batch-status-${b.status}`}>
      <View className='lp-card'>
        <Text className='lp-title'>
          {b.businessDate} 批次 · <Text className='leader-batch-state'>{pickupBatchStatusZh[b.status]}</Text>
        </Text>
        <Text className='lp-hint'>
          {b.pointName} · {b.orderCount} 单 · {b.unitCount} 件 · 截单 {formatDateTime(b.cutoffAt)}
        </Text>
        {b.shippedAt ? <Text className='lp-hint'>发货 {formatDateTime(b.shippedAt)}</Text> : null}
        {b.arrivedAt ? <Text className='lp-hint'>到货 {formatDateTime(b.arrivedAt)}</Text> : null}
        {b.status === 'formed' ? <Text className='lp-hint'>仓库备货中，发货后即可确认到货</Text> : null}
      </View>

      <View className='lp-card leader-pick-list'>
        <Text className='lp-title'>拣货单（按商品）</Text>
        {b.lines.map((l) => (
          <View key={l.skuId} className={`lp-row pick-line pick-line-${l.skuId}`}>
            <View className='lp-main'>
              <Text className='lp-name'>{l.title}</Text>
              <Text className='lp-sub'>
                {l.specLabel} · {l.orders} 单{l.received !== null && l.received < l.quantity ? ` · 实到 ${l.received}` : ''}
              </Text>
            </View>
            {counting ? (
              <View className='lp-stepper'>
                <Text className={`lp-step pick-minus${got(l.skuId, l.quantity) <= 0 ? ' is-disabled' : ''}`} onClick={() => setReceived((r) => ({ ...r, [l.skuId]: Math.max(0, got(l.skuId, l.quantity) - 1) }))}>
                  −
                </Text>
                <Text className='lp-received pick-received'>{got(l.skuId, l.quantity)}</Text>
                <Text className={`lp-step pick-plus${got(l.skuId, l.quantity) >= l.quantity ? ' is-disabled' : ''}`} onClick={() => setReceived((r) => ({ ...r, [l.skuId]: Math.min(l.quantity, got(l.skuId, l.quantity) + 1) }))}>
                  +
                </Text>
                <Text className='lp-sub'>/{l.quantity}</Text>
              </View>
            ) : (
              <Text className='lp-qty pick-qty'>×{l.quantity}</Text>
            )}
          </View>
        ))}
      </View>

      <View className='lp-card leader-batch-orders'>
        <Text className='lp-title'>订单（{b.orders.length}）</Text>
        {b.orders.map((o) => (
          <View key={o.orderId} className={`lp-row batch-order batch-order-${o.orderId}`}>
            <View className='lp-main'>
              <Text className='lp-name'>
                {o.title} ×{o.quantity}
                {o.shortQuantity > 0 ? <Text className='lp-short'>缺 {o.shortQuantity} 件已退款</Text> : null}
              </Text>
              <Text className='lp-sub'>
                {o.contactName ?? '顾客'} {o.phoneMasked ?? ''} · {o.orderNo}
              </Text>
            </View>
            <Text className='lp-status'>{orderStatusZh[o.status]}</Text>
          </View>
        ))}
      </View>

      {b.status === 'shipped' ? (
        <View className='lp-bar lp-links'>
          {counting ? (
            <Button className='btn btn-ghost btn-cancel-count' onClick={() => { setCounting(false); setReceived({}) }}>
              取消
            </Button>
          ) : (
            <Button className='btn btn-ghost btn-count-shortage' onClick={() => setCounting(true)}>
              有缺货
            </Button>
          )}
          <Button className='btn btn-confirm-arrival' loading={flag(busy)} disabled={flag(busy)} onClick={() => void confirm()}>
            {counting && short > 0 ? `确认到货（缺 ${short} 件）` : '确认全部到货'}
          </Button>
        </View>
      ) : null}
    </View>
  )
}
