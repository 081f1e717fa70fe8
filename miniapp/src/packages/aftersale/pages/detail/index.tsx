import { useState } from 'react'
import Taro, { useRouter } from '@tarojs/taro'
import { Button, Input, Text, View } from '@tarojs/components'
import { afterSaleReasonZh, afterSaleStatusZh } from '@tuan/shared/enums'
import { ErrorCode } from '@tuan/shared/errors'
import { formatFen } from '@tuan/shared/money'
import { cancelAfterSale, getAfterSale, submitReturnShipment } from '../../../../api/order'
import { isApiError, showErrorToast } from '../../../../api/request'
import { ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { flag } from '../../../../utils/flag'
import { formatDateTime } from '../../../../utils/format'
import { ROUTES, parseId } from '../../../../utils/routes'
import '../../aftersale.css'
import { useDidReshow } from '../../../../hooks/useDidReshow'

const STATUS_HINT: Record<string, string> = {
  requested: '客服会尽快审核你的申请',
  awaiting_return: '请将商品寄回并填写快递单号，商家收货后退款',
  returned: '商家已收到退货，正在退款',
  refunding: '退款处理中，将原路退回',
  refunded: '退款已原路退回',
  rejected: '申请未通过',
  cancelled: '你已撤销申请',
}

/** 售后详情: status, what happens next, the return tracking number and withdrawing. */
export default function AfterSaleDetail() {
  const id = parseId(useRouter().params.id)
  const { data: a, error, reload, setData } = useApi(() => getAfterSale(id as number), [id], { enabled: id !== null })
  const [carrier, setCarrier] = useState('')
  const [trackingNo, setTrackingNo] = useState('')
  const [busy, setBusy] = useState(false)
  useDidReshow(() => void reload())

  if (id === null || (isApiError(error) && error.code === ErrorCode.AFTER_SALE_NOT_FOUND)) {
    return <ErrorState text='售后申请不存在' back={{ text: '查看我的订单', onClick: () => void Taro.switchTab({ url: ROUTES.orders }) }} />
  }
  if (error && !a) return <ErrorState error={error} onRetry={() => void reload()} />
  if (!a) return <Loading />

  const act = async (fn: () => Promise<typeof a>) => {
    setBusy(true)
    try {
      setData(await fn())
    } catch (e) {
      showErrorToast(e)
      void reload()
    } finally {
      setBusy(false)
    }
  }
  const withdraw = async () => {
    const { confirm } = await Taro.showModal({ title: '撤销申请', content: '确定撤销这个售后申请吗？', confirmText: '撤销', cancelText: '再想想' })
    if (confirm) await act(() => cancelAfterSale(a.id))
  }

  return (
    <View className='as-page as-detail'>
      <View className={`as-head as-head-${a.status}`}>
        <Text className={`as-status as-status-${a.status}`}>{afterSaleStatusZh[a.status]}</Text>
        <Text className='as-head-hint'>{a.status === 'rejected' && a.rejectReason ? `拒绝原因：${a.rejectReason}` : STATUS_HINT[a.status]}</Text>
      </View>

      <View className='as-card'>
        <View className='as-row'>
          <Text className='as-muted'>{a.kind === 'refund_only' ? '仅退款' : '退货退款'}</Text>
          <Text className='as-refund-amount'>{formatFen(a.amount)}</Text>
        </View>
        <View className='as-row'>
          <Text className='as-muted'>原因</Text>
          <Text>{afterSaleReasonZh[a.reason]}</Text>
        </View>
        {a.description ? <Text className='as-desc'>{a.description}</Text> : null}
        {a.refundNo ? (
          <View className='as-row'>
            <Text className='as-muted'>退款单号</Text>
            <Text>{a.refundNo}</Text>
          </View>
        ) : null}
        <View className='as-row'>
          <Text className='as-muted'>申请时间</Text>
          <Text>{formatDateTime(a.createdAt)}</Text>
        </View>
      </View>

      {a.status === 'awaiting_return' ? (
        <View className='as-card as-return'>
          <Text className='as-card-title'>寄回商品</Text>
          {a.returnTrackingNo ? <Text className='as-muted as-return-sent'>已填写：{a.returnCarrier} {a.returnTrackingNo}</Text> : null}
          <Input className='as-input as-return-carrier' value={carrier} placeholder='快递公司' maxlength={32} onInput={(e) => setCarrier(e.detail.value)} />
          <Input className='as-input as-return-tracking' value={trackingNo} placeholder='快递单号' maxlength={40} onInput={(e) => setTrackingNo(e.detail.value)} />
          <Button className='btn as-return-submit' disabled={flag(busy || !carrier.trim() || trackingNo.trim().length < 4)} onClick={() => void act(() => submitReturnShipment(a.id, { carrier: carrier.trim(), trackingNo: trackingNo.trim() }))}>
            提交快递单号
          </Button>
        </View>
      ) : null}

      <View className='as-actions'>
        <Button className='btn btn-ghost as-back-order' onClick={() => void Taro.redirectTo({ url: ROUTES.orderDetail(a.orderId) })}>
          查看订单
        </Button>
        {a.status === 'requested' || a.status === 'awaiting_return' ? (
          <Button className='btn btn-ghost as-withdraw' disabled={flag(busy)} onClick={() => void withdraw()}>
            撤销申请
          </Button>
        ) : null}
      </View>
    </View>
  )
}
