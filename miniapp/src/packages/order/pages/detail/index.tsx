import { useState } from 'react'
import Taro, { useRouter } from '@tarojs/taro'
import { Button, Image, Text, View } from '@tarojs/components'
import { afterSaleStatusZh, orderStatusZh, type RefundStatus } from '@tuan/shared/enums'
import { ErrorCode } from '@tuan/shared/errors'
import { formatFen } from '@tuan/shared/money'
import { cancelOrder, confirmReceipt, getOrder } from '../../../../api/order'
import { resolveAssetUrl } from '../../../../api/config'
import { isApiError, showErrorToast } from '../../../../api/request'
import { CountdownText, ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { useCountdown } from '../../../../hooks/useCountdown'
import { amountLabel, groupStatusFor, orderStatusLabel } from '../../../../utils/orderLabels'
import { formatDateTime } from '../../../../utils/format'
import { ROUTES, parseId } from '../../../../utils/routes'
import { flag } from '../../../../utils/flag'
import { useDidReshow } from '../../../../hooks/useDidReshow'
import './index.css'

const REFUND_STATUS_ZH: Record<RefundStatus, string> = { pending: '退款中', succeeded: '已到账', failed: '退款处理中' }
/** The server sends a reason code; shared/enums has no Chinese labels for it yet. */
const REFUND_REASON_ZH: Record<string, string> = { group_failed: '拼团失败自动退款', late_payment: '支付超时，款项退回', opener_free: '团长免单返还', after_sale: '售后退款', operator: '客服退款' }
function refundReasonText(reason: string): string {
  return REFUND_REASON_ZH[reason] ?? (/^[\x20-\x7e]*$/.test(reason) ? '' : reason)
}
const KIND_ZH = { group_open: '开团', group_join: '参团', solo: '单独购买' } as const

export default function OrderDetail() {
  const id = parseId(useRouter().params.id)
  const { data: order, error, reload, setData } = useApi(() => getOrder(id as number), [id], { enabled: id !== null })
  const [cancelling, setCancelling] = useState(false)
  const payDeadline = useCountdown(order?.status === 'pending_payment' ? order.payDeadlineAt : null, order?.serverTime)

  useDidReshow(() => void reload())

  const cancel = async () => {
    if (!order || cancelling) return
    const { confirm } = await Taro.showModal({ title: '取消订单', content: '确定取消这个订单吗？', confirmText: '取消订单', cancelText: '再想想' })
    if (!confirm) return
    setCancelling(true)
    try {
      setData(await cancelOrder(order.id))
      void Taro.showToast({ title: '订单已取消', icon: 'none' })
    } catch (e) {
      showErrorToast(e)
      void reload()
    } finally {
      setCancelling(false)
    }
  }

  const receive = async () => {
    if (!order || cancelling) return
    const { confirm } = await Taro.showModal({ title: '确认收货', content: '确认已收到商品吗？', confirmText: '确认收货', cancelText: '再等等' })
    if (!confirm) return
    setCancelling(true)
    try {
      setData(await confirmReceipt(order.id))
      void Taro.showToast({ title: '已确认收货', icon: 'none' })
    } catch (e) {
      showErrorToast(e)
      void reload()
    } finally {
      setCancelling(false)
    }
  }

  if (id === null || (isApiError(error) && error.code === ErrorCode.ORDER_NOT_FOUND)) {
    return <ErrorState text='订单不存在，或不是你的订单' error={error} back={{ text: '查看我的订单', onClick: () => void Taro.switchTab({ url: ROUTES.orders }) }} />
  }
  if (error && !order) return <ErrorState error={error} onRetry={() => void reload()} />
  if (!order) return <Loading />

  const pending = order.status === 'pending_payment'
  // At its deadline an unpaid order is closed here at once (the worker cancels it on the server).
  const expired = pending && !!order.payDeadlineAt && payDeadline.done
  const groupText = groupStatusFor(order)

  return (
    <View className='order-detail'>
      <View className={`od-head od-head-${order.status}`}>
        <Text className={`order-status od-status order-status-${order.status}`}>{orderStatusLabel(order)}</Text>
        {expired ? <Text className='od-closed'>订单已关闭：超过支付时限未支付</Text> : null}
        {pending && !expired && order.payDeadlineAt ? (
          <View className='od-deadline'>
            <Text className='od-deadline-label'>剩余支付时间</Text>
            <CountdownText className='od-countdown' deadline={order.payDeadlineAt} serverTime={order.serverTime} onDone={() => void reload()} />
          </View>
        ) : null}
        {groupText ? <Text className='od-group-status'>拼团状态：{groupText}</Text> : null}
      </View>

      {order.status === 'ready_for_pickup' ? (
        <View className='od-section od-pickup-code' id='pickup-code'>
          <Text className='od-section-title'>提货码</Text>
          {order.pickupCode ? (
            <>
              <Text className='od-pickup-code-digits' id='pickup-code-digits'>{order.pickupCode.code.replace(/(\d{4})(?=\d)/g, '$1 ')}</Text>
              <Image className='od-pickup-qr' id='pickup-qr' src={order.pickupCode.qr} mode='aspectFit' />
              <Text className='od-hint'>到自提点后，向团长出示提货码或二维码；请勿提前告诉他人。</Text>
            </>
          ) : (
            <>
              <Text className='od-hint'>提货码生成中，请稍候</Text>
              <Button className='btn btn-small btn-ghost' onClick={() => void reload()}>刷新</Button>
            </>
          )}
        </View>
      ) : null}

      {pending && !expired ? (
        <View className='od-actions'>
          <Button className='btn btn-ghost od-action btn-cancel-order' loading={flag(cancelling)} disabled={flag(cancelling)} onClick={() => void cancel()}>
            取消订单
          </Button>
          <Button className='btn od-action btn-go-pay' disabled={flag(cancelling)} onClick={() => void Taro.navigateTo({ url: ROUTES.pay(order.id) })}>
            去支付 {formatFen(order.payableAmount)}
          </Button>
        </View>
      ) : null}

      {order.status === 'shipped' || order.afterSale.allowed ? (
        <View className='od-actions'>
          {order.afterSale.allowed ? (
            <Button className='btn btn-ghost od-action btn-after-sale' onClick={() => void Taro.navigateTo({ url: ROUTES.afterSaleApply(order.id) })}>
              申请售后
            </Button>
          ) : null}
          {order.status === 'shipped' ? (
            <Button className='btn od-action btn-confirm-receipt' loading={flag(cancelling)} disabled={flag(cancelling)} onClick={() => void receive()}>
              确认收货
            </Button>
          ) : null}
        </View>
      ) : null}

      {order.delivery?.pickupPoint ? (
        <View className='od-section od-pickup'>
          <Text className='od-section-title'>到店自提</Text>
          <View className='od-row'>
            <Text className='od-value od-point-name'>{order.delivery.pickupPoint.name}</Text>
          </View>
          <Text className='od-address od-point-address'>{order.delivery.pickupPoint.address}</Text>
          {order.delivery.pickupPoint.openingHours ? (
            <View className='od-row'>
              <Text className='od-label'>营业时间</Text>
              <Text className='od-value od-point-hours'>{order.delivery.pickupPoint.openingHours}</Text>
            </View>
          ) : null}
          {order.delivery.recipientName ? (
            <View className='od-row'>
              <Text className='od-label'>提货人</Text>
              <Text className='od-value od-recipient'>
                {order.delivery.recipientName} {order.delivery.phoneMasked ?? ''}
              </Text>
            </View>
          ) : null}
          {order.delivery.readyAt ? (
            <View className='od-row'>
              <Text className='od-label'>到货时间</Text>
              <Text className='od-value od-ready-at'>{formatDateTime(order.delivery.readyAt)}</Text>
            </View>
          ) : null}
          {order.status === 'to_fulfil' ? <Text className='od-hint od-pickup-hint'>每日截单后统一配送到自提点，到货后会通知你来提货</Text> : null}
          {order.status === 'ready_for_pickup' ? <Text className='od-hint od-pickup-hint'>商品已到自提点，请在营业时间内到团长处提货</Text> : null}
        </View>
      ) : order.delivery ? (
        <View className='od-section od-delivery'>
          <Text className='od-section-title'>收货信息</Text>
          <View className='od-row'>
            <Text className='od-value od-recipient'>
              {order.delivery.recipientName} {order.delivery.phoneMasked}
            </Text>
          </View>
          <Text className='od-address'>
            {order.delivery.region} {order.delivery.detail}
          </Text>
          {order.delivery.trackingNo ? (
            <View className='od-row od-logistics'>
              <Text className='od-label'>物流</Text>
              <Text className='od-value od-tracking'>
                {order.delivery.carrier} {order.delivery.trackingNo}
              </Text>
            </View>
          ) : null}
          {order.delivery.shippedAt ? (
            <View className='od-row'>
              <Text className='od-label'>发货时间</Text>
              <Text className='od-value'>{formatDateTime(order.delivery.shippedAt)}</Text>
            </View>
          ) : null}
          {order.status === 'shipped' && order.delivery.autoCompleteAt ? (
            <Text className='od-hint od-auto-complete'>{formatDateTime(order.delivery.autoCompleteAt)} 后自动确认收货</Text>
          ) : null}
          {order.delivery.afterSaleUntil && order.status === 'completed' ? (
            <Text className='od-hint od-after-sale-until'>售后期至 {formatDateTime(order.delivery.afterSaleUntil)}</Text>
          ) : null}
        </View>
      ) : null}

      {order.afterSales.length > 0 ? (
        <View className='od-section od-after-sales'>
          <Text className='od-section-title'>售后</Text>
          {order.afterSales.map((a) => (
            <View key={a.id} className={`od-row od-after-sale od-after-sale-${a.id}`} onClick={() => void Taro.navigateTo({ url: ROUTES.afterSale(a.id) })}>
              <Text>
                {a.kind === 'refund_only' ? '仅退款' : '退货退款'} {formatFen(a.amount)}
              </Text>
              <Text className={`od-after-sale-status as-status-${a.status}`}>
                {afterSaleStatusZh[a.status]} ›
              </Text>
            </View>
          ))}
        </View>
      ) : null}

      <View className='od-section'>
        <View className='od-goods'>
          {order.image ? <Image className='od-goods-image goods-thumb' src={resolveAssetUrl(order.image)} mode='aspectFill' /> : <View className='od-goods-image goods-thumb' />}
          <View className='od-goods-info goods-info'>
            <Text className='od-goods-title'>{order.title}</Text>
            <Text className='od-goods-spec'>{order.specLabel} × {order.quantity}</Text>
            <Text className='od-goods-unit'>{formatFen(order.unitPrice)}</Text>
          </View>
        </View>
        {order.groupId ? (
          <View className='od-row od-group-link btn-view-group' onClick={() => void Taro.navigateTo({ url: ROUTES.group(order.groupId as number) })}>
            <Text>查看拼团{groupText ? `（${groupText}）` : ''}</Text>
            <Text className='od-arrow'>›</Text>
          </View>
        ) : null}
      </View>

      <View className='od-section'>
        <View className='od-row order-goods-amount'>
          <Text className='od-label'>商品金额</Text>
          <Text className='od-amount'>{formatFen(order.goodsAmount)}</Text>
        </View>
        {order.discountAmount > 0 ? (
          <View className='od-row order-discount'>
            <Text className='od-label'>优惠券</Text>
            <Text className='od-amount od-discount'>-{formatFen(order.discountAmount)}</Text>
          </View>
        ) : null}
        <View className='od-row order-payable'>
          <Text className='od-label'>{amountLabel(order.status)}</Text>
          <Text className='od-amount od-payable'>{formatFen(order.payableAmount)}</Text>
        </View>
        {order.refunds.map((r) => (
          <View key={r.refundNo} className={`od-row od-refund od-refund-${r.status}`}>
            <Text className='od-refund-text'>
              退款 {formatFen(r.amount)} · {REFUND_STATUS_ZH[r.status]}
            </Text>
            <Text className='od-refund-reason'>{refundReasonText(r.reason)}</Text>
          </View>
        ))}
      </View>

      <View className='od-section'>
        <View className='od-row'>
          <Text className='od-label'>订单号</Text>
          <Text className='od-value'>{order.orderNo}</Text>
        </View>
        <View className='od-row'>
          <Text className='od-label'>类型</Text>
          <Text className='od-value'>{KIND_ZH[order.kind]}</Text>
        </View>
        <View className='od-row'>
          <Text className='od-label'>下单时间</Text>
          <Text className='od-value'>{formatDateTime(order.createdAt)}</Text>
        </View>
        {order.paidAt ? (
          <View className='od-row'>
            <Text className='od-label'>支付时间</Text>
            <Text className='od-value'>{formatDateTime(order.paidAt)}</Text>
          </View>
        ) : null}
      </View>

      {order.timeline.length > 0 ? (
        <View className='od-section od-timeline'>
          <Text className='od-section-title'>订单进度</Text>
          {order.timeline
            .slice()
            .reverse()
            .map((ev, i) => (
              <View key={`${ev.at}-${i}`} className={`od-event${i === 0 ? ' is-latest' : ''}`}>
                <View className='od-event-dot' />
                <View className='od-event-body'>
                  <Text className='od-event-status'>{orderStatusZh[ev.status]}</Text>
                  {ev.note ? <Text className='od-event-note'>{ev.note}</Text> : null}
                  <Text className='od-event-time'>{formatDateTime(ev.at)}</Text>
                </View>
              </View>
            ))}
        </View>
      ) : null}
    </View>
  )
}
