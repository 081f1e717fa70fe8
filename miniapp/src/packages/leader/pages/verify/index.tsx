import { useState } from 'react'
import Taro from '@tarojs/taro'
import { Button, Image, Input, Text, View } from '@tarojs/components'
import { ErrorCode } from '@tuan/shared/errors'
import { formatFen } from '@tuan/shared/money'
import { lookupPickup, verifyPickup, type LeaderPickup } from '../../../../api/pickupVerify'
import { resolveAssetUrl } from '../../../../api/config'
import { errorText, isApiError } from '../../../../api/request'
import { useSession } from '../../../../auth'
import { ErrorState, LoginPrompt } from '../../../../components'
import { formatDateTime } from '../../../../utils/format'
import { flag } from '../../../../utils/flag'
import { ROUTES } from '../../../../utils/routes'
import '../../leader-verify.css'

const IS_WEAPP = process.env.TARO_ENV === 'weapp'

/** What a scan or a typed code gives: the digits only (the shopper's QR carries exactly the code). */
function digitsOf(raw: string): string {
  return raw.replace(/\D/g, '')
}

/**
 * 核销提货: the leader scans the shopper's QR (weapp, `Taro.scanCode`) or types the code (h5, or when the
 * camera is not at hand), sees the order first (what to hand over, to whom), then confirms. A wrong code
 * says so; too many wrong codes lock the page for a while (the server counts, per leader).
 */
export default function LeaderVerifyPage() {
  const session = useSession()
  const [code, setCode] = useState('')
  const [order, setOrder] = useState<LeaderPickup | null>(null)
  const [done, setDone] = useState(false)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<unknown>(null)

  if (!session?.user) return <LoginPrompt text='登录后核销提货' name='leader-verify' />
  if (isApiError(problem) && problem.code === ErrorCode.NOT_A_LEADER) {
    return <ErrorState error={problem} hint='成为团长后即可核销自提订单' back={{ text: '返回我的', onClick: () => void Taro.switchTab({ url: ROUTES.me }) }} />
  }

  const look = async (raw: string) => {
    const c = digitsOf(raw)
    setCode(c)
    setOrder(null)
    setDone(false)
    setProblem(null)
    if (c.length < 6) {
      setProblem(new Error('请输入完整的提货码'))
      return
    }
    setBusy(true)
    try {
      setOrder(await lookupPickup(c))
    } catch (e) {
      setProblem(e)
    } finally {
      setBusy(false)
    }
  }

  const scan = async () => {
    try {
      const r = await Taro.scanCode({ onlyFromCamera: true, scanType: ['qrCode'] })
      await look(r.result)
    } catch {
      // Cancelled: nothing to do.
    }
  }

  const confirm = async () => {
    if (!order || busy) return
    setBusy(true)
    setProblem(null)
    try {
      setOrder(await verifyPickup(code))
      setDone(true)
      void Taro.showToast({ title: '已核销', icon: 'success' })
    } catch (e) {
      setProblem(e)
    } finally {
      setBusy(false)
    }
  }

  const next = () => {
    setCode('')
    setOrder(null)
    setDone(false)
    setProblem(null)
  }

  return (
    <View className='lv'>
      <View className='lv-card'>
        <Text className='lv-title'>提货码</Text>
        {IS_WEAPP ? (
          <Button className='btn btn-block lv-scan' disabled={flag(busy)} onClick={() => void scan()}>
            扫码核销
          </Button>
        ) : null}
        <Input className='lv-input' id='lv-code' type='number' maxlength={12} placeholder='输入顾客的提货码' value={code} onInput={(e) => setCode(digitsOf(e.detail.value))} />
        <Button className='btn btn-block btn-ghost lv-lookup' loading={flag(busy && !order)} disabled={flag(busy)} onClick={() => void look(code)}>
          查询订单
        </Button>
        {problem ? <Text className='lv-error' id='lv-error'>{problem instanceof Error && !isApiError(problem) ? problem.message : errorText(problem)}</Text> : null}
        <Text className='lv-hint'>请核对商品与顾客姓名、手机尾号后再确认提货。提货码错误次数过多会暂时锁定。</Text>
      </View>

      {order ? (
        <View className='lv-card lv-result' id='lv-result'>
          <Text className={`lv-status${done ? ' done' : ''}`} id='lv-status'>{done ? '已提货' : order.status === 'ready_for_pickup' ? '待提货' : '不可提货'}</Text>
          <View className='lv-order'>
            {order.image ? <Image className='lv-order-image' src={resolveAssetUrl(order.image)} mode='aspectFill' /> : <View className='lv-order-image' />}
            <View className='lv-order-body'>
              <Text className='lv-order-title'>{order.title}</Text>
              <Text className='lv-order-meta'>{order.specLabel} × {order.quantity}</Text>
              <Text className='lv-order-meta'>实付 {formatFen(order.paidAmount)}</Text>
            </View>
          </View>
          <Text className='lv-order-meta'>顾客：{order.recipientName ?? '—'}{order.phoneTail ? `（尾号 ${order.phoneTail}）` : ''}</Text>
          <Text className='lv-order-meta'>订单号：{order.orderNo}</Text>
          {order.readyAt ? <Text className='lv-order-meta'>到货：{formatDateTime(order.readyAt)}</Text> : null}
          {order.pickedUpAt ? <Text className='lv-order-meta'>提货：{formatDateTime(order.pickedUpAt)}</Text> : null}
          <View className='lv-row'>
            {done ? (
              <Button className='btn lv-next' onClick={next}>
                继续核销
              </Button>
            ) : (
              <Button className='btn lv-confirm' id='lv-confirm' loading={flag(busy)} disabled={flag(busy || order.status !== 'ready_for_pickup')} onClick={() => void confirm()}>
                确认提货
              </Button>
            )}
          </View>
        </View>
      ) : null}
    </View>
  )
}
