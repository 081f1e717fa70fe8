import { useEffect, useRef, useState } from 'react'
import Taro, { useRouter } from '@tarojs/taro'
import { Button, Image, Text, View } from '@tarojs/components'
import { orderStatusZh } from '@tuan/shared/enums'
import { ErrorCode } from '@tuan/shared/errors'
import { formatFen } from '@tuan/shared/money'
import type { OrderView } from '@tuan/shared/schemas'
import { getOrder } from '../../../../api/order'
import { resolveAssetUrl } from '../../../../api/config'
import { isApiError, showErrorToast } from '../../../../api/request'
import { CountdownText, ErrorState, Loading } from '../../../../components'
import { useCountdown } from '../../../../hooks/useCountdown'
import { useApi } from '../../../../hooks/useApi'
import { ActionKeys } from '../../../../utils/idempotency'
import { PaymentCancelled, payOrder, waitForPaymentResult } from '../../../../utils/payment'
import { ROUTES, parseId } from '../../../../utils/routes'
import { flag } from '../../../../utils/flag'
import './index.css'

const IS_H5 = process.env.TARO_ENV === 'h5'
const SUCCESS_STATUSES: ReadonlySet<string> = new Set(['paid', 'to_fulfil', 'shipped', 'ready_for_pickup', 'completed'])

type Phase = 'idle' | 'paying' | 'failed'

function resultOf(order: OrderView): { ok: boolean; title: string; text: string } | null {
  if (order.status === 'pending_payment') return null
  if (SUCCESS_STATUSES.has(order.status)) {
    let text = '支付成功'
    if (order.groupId && order.groupStatus === 'open') text = '已加入拼团，快邀请好友一起拼吧'
    else if (order.groupStatus === 'succeeded') text = '拼团成功，等待发货'
    else if (!order.groupId) text = '等待发货'
    return { ok: true, title: '支付成功', text }
  }
  if (order.status === 'refunding' || order.status === 'refunded') {
    return { ok: false, title: '支付失败', text: '该团已满员或已结束，款项将原路退回' }
  }
  // cancelled: shown as a closed order on the pay page itself (see `closed` below), not as a failed payment.
  return null
}

export default function PayPage() {
  const id = parseId(useRouter().params.id)
  const { data: order, error, reload, setData } = useApi(() => getOrder(id as number), [id], { enabled: id !== null })
  const [phase, setPhase] = useState<Phase>('idle')
  const [failText, setFailText] = useState('')
  const [checking, setChecking] = useState(false)
  const keys = useRef(new ActionKeys()).current
  // The deadline on the server's clock: at 00:00:00 the order is closed here at once, whatever the
  // worker's timing; the reload then shows the server's word (cancelled).
  const deadline = useCountdown(order?.status === 'pending_payment' ? order.payDeadlineAt : null, order?.serverTime)
  const closed = !!order && (order.status === 'cancelled' || (order.status === 'pending_payment' && !!order.payDeadlineAt && deadline.done))
  const timedOut = !!order?.payDeadlineAt && (order.status === 'pending_payment' ? deadline.done : Date.parse(order.serverTime) >= Date.parse(order.payDeadlineAt))
  // Closed here but still pending on the server: read again until the worker has cancelled it (a few tries).
  const settleTries = useRef(0)
  useEffect(() => {
    if (!closed || order?.status !== 'pending_payment' || settleTries.current >= 5) return undefined
    const timer = setTimeout(() => {
      settleTries.current += 1
      void reload()
    }, 1500)
    return () => clearTimeout(timer)
  }, [closed, order, reload])

  const pay = async () => {
    if (!order || phase === 'paying' || closed) return
    setPhase('paying')
    try {
      const after = await payOrder(order.id, keys)
      setData(after)
      setPhase('idle')
    } catch (e) {
      if (e instanceof PaymentCancelled) {
        setFailText('你已取消支付，可在支付截止前重新支付')
      } else {
        showErrorToast(e)
        setFailText('支付未完成，请重试')
      }
      setPhase('failed')
    }
  }

  /** "I paid" but the notification has not arrived yet: read again. */
  const check = async () => {
    if (!order || checking) return
    setChecking(true)
    try {
      setData(await waitForPaymentResult(order.id))
    } catch (e) {
      showErrorToast(e)
    } finally {
      setChecking(false)
    }
  }

  const goGroup = () => {
    if (order?.groupId) void Taro.redirectTo({ url: ROUTES.group(order.groupId) })
  }
  const goOrder = () => {
    if (order) void Taro.redirectTo({ url: ROUTES.orderDetail(order.id) })
  }

  if (id === null || (isApiError(error) && error.code === ErrorCode.ORDER_NOT_FOUND)) {
    return <ErrorState text='订单不存在，或不是你的订单' error={error} back={{ text: '查看我的订单', onClick: () => void Taro.switchTab({ url: ROUTES.orders }) }} />
  }
  if (error && !order) return <ErrorState error={error} onRetry={() => void reload()} />
  if (!order) return <Loading />

  const result = resultOf(order)
  const links = (
    <View className='pay-links'>
      {order.groupId ? (
        <Button className='btn btn-block btn-view-group' onClick={goGroup}>
          {result?.ok && order.groupStatus === 'open' ? '查看拼团 · 邀请好友' : '查看拼团'}
        </Button>
      ) : null}
      <Button className='btn btn-ghost btn-block btn-view-order' onClick={goOrder}>
        查看订单
      </Button>
    </View>
  )

  if (result) {
    return (
      <View className={`pay pay-result ${result.ok ? 'pay-result-success' : 'pay-result-fail'}`}>
        <View className='pay-result-icon'>
          <Text>{result.ok ? '✓' : '!'}</Text>
        </View>
        <Text className='pay-result-title'>{result.title}</Text>
        <Text className='pay-result-text'>{result.text}</Text>
        <Text className='pay-result-amount'>{formatFen(order.payableAmount)}</Text>
        <Text className='pay-result-status order-status'>{orderStatusZh[order.status]}</Text>
        {links}
      </View>
    )
  }

  if (phase === 'failed' && !closed) {
    return (
      <View className='pay pay-result pay-result-fail'>
        <View className='pay-result-icon'>
          <Text>!</Text>
        </View>
        <Text className='pay-result-title'>支付失败</Text>
        <Text className='pay-result-text'>{failText}</Text>
        <View className='pay-links'>
          <Button className='btn btn-block btn-retry-pay' onClick={() => void pay()}>
            重新支付
          </Button>
          <Button className='btn btn-ghost btn-block btn-check-pay' loading={flag(checking)} onClick={() => void check()}>
            我已支付，刷新结果
          </Button>
        </View>
        {links}
      </View>
    )
  }

  const paying = phase === 'paying'
  const payText = (label: string) => (closed ? '订单已关闭' : paying ? '支付确认中…' : `${label} ${formatFen(order.payableAmount)}`)
  return (
    <View className={`pay${closed ? ' pay-closed' : ''}`}>
      <View className='pay-card'>
        <Text className='pay-label'>{closed ? '应付' : '需支付'}</Text>
        <Text className='pay-amount'>{formatFen(order.payableAmount)}</Text>
        {order.discountAmount > 0 ? (
          <Text className='pay-discount'>
            商品金额 {formatFen(order.goodsAmount)} · 优惠券 -{formatFen(order.discountAmount)}
          </Text>
        ) : null}
        {closed ? (
          <View className='pay-closed-note'>
            {timedOut ? <Text className='pay-countdown countdown is-done'>00:00:00</Text> : null}
            <Text className='pay-closed-title'>订单已关闭</Text>
            <Text className='pay-closed-text'>{timedOut ? '超过支付时限未支付，订单已关闭，未扣款' : '订单已取消，未扣款'}</Text>
          </View>
        ) : order.payDeadlineAt ? (
          <View className='pay-deadline'>
            <Text>请在</Text>
            <CountdownText className='pay-countdown' deadline={order.payDeadlineAt} serverTime={order.serverTime} onDone={() => void reload()} />
            <Text>内完成支付，超时订单将自动取消</Text>
          </View>
        ) : null}
      </View>

      <View className='pay-order'>
        {order.image ? <Image className='pay-order-image goods-thumb' src={resolveAssetUrl(order.image)} mode='aspectFill' /> : <View className='pay-order-image goods-thumb' />}
        <View className='pay-order-info goods-info'>
          <Text className='pay-order-title'>{order.title}</Text>
          <Text className='pay-order-spec'>{order.specLabel} × {order.quantity}</Text>
          <Text className='pay-order-kind'>{order.kind === 'group_open' ? '开团' : order.kind === 'group_join' ? '参团' : '单独购买'} · 订单号 {order.orderNo}</Text>
        </View>
      </View>

      <View className='pay-actions'>
        {IS_H5 ? (
          <>
            <Button className='btn btn-block btn-sandbox-pay' loading={flag(paying)} disabled={flag(paying || closed)} onClick={() => void pay()}>
              {payText('模拟支付')}
            </Button>
            {closed ? null : <Text className='pay-sandbox-note'>开发环境：模拟微信支付回调，不会真实扣款</Text>}
          </>
        ) : (
          <Button className='btn btn-block btn-pay' loading={flag(paying)} disabled={flag(paying || closed)} onClick={() => void pay()}>
            {payText('微信支付')}
          </Button>
        )}
        {closed && order.campaignId ? (
          <Button className='btn btn-ghost btn-block btn-order-again' onClick={() => void Taro.redirectTo({ url: ROUTES.campaign(order.campaignId as number) })}>
            重新下单
          </Button>
        ) : null}
        <Button className='btn btn-ghost btn-block btn-view-order' disabled={flag(paying)} onClick={goOrder}>
          {closed ? '查看订单' : '稍后支付，查看订单'}
        </Button>
      </View>
    </View>
  )
}
