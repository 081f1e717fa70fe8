import { useEffect, useState } from 'react'
import Taro, { useRouter } from '@tarojs/taro'
import { Button, Input, Text, Textarea, View } from '@tarojs/components'
import { AfterSaleReason, afterSaleReasonZh, type AfterSaleKind } from '@tuan/shared/enums'
import { ErrorCode } from '@tuan/shared/errors'
import { formatFen, parseYuan } from '@tuan/shared/money'
import { getOrder, requestAfterSale } from '../../../../api/order'
import { isApiError, showErrorToast } from '../../../../api/request'
import { ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { flag } from '../../../../utils/flag'
import { ROUTES, parseId } from '../../../../utils/routes'
import '../../aftersale.css'

const KINDS: ReadonlyArray<{ key: AfterSaleKind; label: string; hint: string }> = [
  { key: 'refund_only', label: '仅退款', hint: '未收到货，或与商家协商好不用退货' },
  { key: 'return_refund', label: '退货退款', hint: '审核通过后寄回商品，商家收货后退款' },
]

/** 申请售后: kind, reason, amount (at most what can still be refunded) and a description. */
export default function AfterSaleApply() {
  const orderId = parseId(useRouter().params.orderId)
  const order = useApi(() => getOrder(orderId as number), [orderId], { enabled: orderId !== null })
  const [kind, setKind] = useState<AfterSaleKind>('refund_only')
  const [reason, setReason] = useState<AfterSaleReason | null>(null)
  const [amountText, setAmountText] = useState('')
  const [description, setDescription] = useState('')
  const [submitting, setSubmitting] = useState(false)
  const max = order.data?.afterSale.maxAmount ?? 0

  useEffect(() => {
    if (max > 0) setAmountText((formatFen(max)).slice(1))
  }, [max])

  if (orderId === null || (isApiError(order.error) && order.error.code === ErrorCode.ORDER_NOT_FOUND)) {
    return <ErrorState text='订单不存在' back={{ text: '查看我的订单', onClick: () => void Taro.switchTab({ url: ROUTES.orders }) }} />
  }
  if (order.error && !order.data) return <ErrorState error={order.error} onRetry={() => void order.reload()} />
  if (!order.data) return <Loading />
  if (!order.data.afterSale.allowed) {
    return <ErrorState text='该订单当前不能申请售后' back={{ text: '返回订单', onClick: () => void Taro.redirectTo({ url: ROUTES.orderDetail(orderId) }) }} />
  }

  const amount = parseYuan(amountText)
  const submit = async () => {
    if (!reason) return void Taro.showToast({ title: '请选择售后原因', icon: 'none' })
    if (amount === null || amount < 1 || amount > max) return void Taro.showToast({ title: `退款金额需在 ¥0.01 到 ${formatFen(max)} 之间`, icon: 'none' })
    setSubmitting(true)
    try {
      const a = await requestAfterSale(orderId, { kind, reason, description: description.trim(), images: [], amount })
      await Taro.redirectTo({ url: ROUTES.afterSale(a.id) })
    } catch (e) {
      showErrorToast(e)
      setSubmitting(false)
    }
  }

  return (
    <View className='as-page as-apply'>
      <View className='as-card'>
        <Text className='as-card-title'>{order.data.title}</Text>
        <Text className='as-muted'>订单号 {order.data.orderNo} · 实付 {formatFen(order.data.payableAmount)}</Text>
      </View>

      <View className='as-card'>
        <Text className='as-card-title'>售后类型</Text>
        {KINDS.map((k) => (
          <View key={k.key} className={`as-option as-kind-${k.key}${kind === k.key ? ' is-on' : ''}`} onClick={() => setKind(k.key)}>
            <View className='as-option-text'>
              <Text className='as-option-label'>{k.label}</Text>
              <Text className='as-muted'>{k.hint}</Text>
            </View>
            <View className={`as-radio${kind === k.key ? ' is-on' : ''}`} />
          </View>
        ))}
      </View>

      <View className='as-card'>
        <Text className='as-card-title'>售后原因</Text>
        <View className='as-reasons'>
          {AfterSaleReason.map((r) => (
            <Text key={r} className={`as-reason as-reason-${r}${reason === r ? ' is-on' : ''}`} onClick={() => setReason(r)}>
              {afterSaleReasonZh[r]}
            </Text>
          ))}
        </View>
      </View>

      <View className='as-card'>
        <View className='as-row'>
          <Text className='as-card-title'>退款金额</Text>
          <View className='as-amount'>
            <Text>¥</Text>
            <Input className='as-amount-input' type='digit' value={amountText} onInput={(e) => setAmountText(e.detail.value)} />
          </View>
        </View>
        <Text className='as-muted as-max'>最多可退 {formatFen(max)}</Text>
        <Textarea className='as-description' value={description} placeholder='补充描述（选填）' maxlength={500} onInput={(e) => setDescription(e.detail.value)} />
      </View>

      <Button className='btn as-submit' disabled={flag(submitting)} loading={flag(submitting)} onClick={() => void submit()}>
        提交申请
      </Button>
    </View>
  )
}
