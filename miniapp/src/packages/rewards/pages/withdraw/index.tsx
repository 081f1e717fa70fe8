import { useEffect, useState } from 'react'
import Taro from '@tarojs/taro'
import { Button, Input, Text, View } from '@tarojs/components'
import { withdrawalStatusZh } from '@tuan/shared/enums'
import { formatFen, parseYuan } from '@tuan/shared/money'
import { confirmWithdrawalSandbox, getMyRewards, getMyWithdrawal, listMyWithdrawals, requestWithdrawal, type Withdrawal } from '../../../../api/rewards'
import { showErrorToast } from '../../../../api/request'
import { useSession } from '../../../../auth'
import { ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { formatDateTime } from '../../../../utils/format'
import { flag } from '../../../../utils/flag'
import '../../rewards.css'

const IS_H5 = process.env.TARO_ENV === 'h5'
const FINAL = ['paid', 'rejected', 'cancelled']

/** What the user should know about where the withdrawal stands. */
function statusHint(w: Withdrawal): string {
  switch (w.status) {
    case 'requested':
      return '已提交，等待财务审核'
    case 'approved':
      return '审核通过，正在发起转账'
    case 'paying':
      return w.packageInfo ? '请确认收款，确认后款项进入微信零钱' : '微信处理中，请稍候'
    case 'paid':
      return '已转入微信零钱'
    case 'failed':
      return `转账未成功${w.failReason ? `（${w.failReason}）` : ''}，财务会重试或退回余额`
    case 'rejected':
      return `未通过：${w.rejectReason ?? ''}；金额已退回可提现余额`
    case 'cancelled':
      return '已取消，金额已退回可提现余额'
    default:
      return ''
  }
}

/** 提现: amount, fee and limits; then the withdrawal's status through to 已到账 (confirming receipt when WeChat asks). */
export default function WithdrawPage() {
  const session = useSession()
  const userId = session?.user?.id ?? 0
  const rewards = useApi(() => getMyRewards(), [userId], { enabled: !!userId })
  const history = useApi(() => listMyWithdrawals(1, 10), [userId], { enabled: !!userId })
  const [text, setText] = useState('')
  const [busy, setBusy] = useState(false)
  const [current, setCurrent] = useState<Withdrawal | null>(null)

  // Follow the withdrawal until it ends (the payout finishes in the worker and the callback).
  useEffect(() => {
    if (!current || FINAL.includes(current.status)) return
    const timer = setTimeout(() => {
      getMyWithdrawal(current.id).then(setCurrent, () => undefined)
    }, 1500)
    return () => clearTimeout(timer)
  }, [current])

  // The list below follows the withdrawal shown above (its status changes while the page is open).
  const currentStatus = current?.status
  useEffect(() => {
    if (currentStatus) void history.reload()
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [currentStatus])

  if (rewards.error) return <ErrorState error={rewards.error} onRetry={() => void rewards.reload()} />
  const r = rewards.data
  if (!r) return <Loading />
  const amount = parseYuan(text)
  const fee = amount ? Math.floor((amount * r.withdrawal.feeBps) / 10_000) : 0
  const left = Math.max(0, r.withdrawal.dailyLimit - r.withdrawal.usedToday)
  const problem =
    text === '' ? null
    : amount === null ? '请输入正确的金额'
    : amount < r.withdrawal.minAmount ? `最低提现 ${formatFen(r.withdrawal.minAmount)}`
    : amount > r.balances.available ? '超出可提现余额'
    : amount > left ? `今日还可提现 ${formatFen(left)}`
    : null

  const submit = async () => {
    if (!amount || problem || busy) return
    setBusy(true)
    try {
      const w = await requestWithdrawal(amount)
      setCurrent(w)
      setText('')
      void rewards.reload()
      void history.reload()
    } catch (e) {
      showErrorToast(e)
    } finally {
      setBusy(false)
    }
  }

  const confirmReceipt = async (w: Withdrawal) => {
    setBusy(true)
    try {
      if (IS_H5) setCurrent(await confirmWithdrawalSandbox(w.id))
      else {
        // WeChat's own receipt page; the result arrives by the payout callback, so we poll after it.
        const wxApi = Taro as unknown as { requestMerchantTransfer?: (o: Record<string, unknown>) => Promise<unknown> }
        const appId = Taro.getAccountInfoSync().miniProgram.appId
        if (!wxApi.requestMerchantTransfer) throw new Error('请升级微信后再确认收款')
        await wxApi.requestMerchantTransfer({ mchId: w.mchId, appId, package: w.packageInfo })
        setCurrent(await getMyWithdrawal(w.id))
      }
      void rewards.reload()
    } catch (e) {
      showErrorToast(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <View className='rewards'>
      {current ? (
        <View className='rewards-card withdraw-result'>
          <Text className={`withdraw-status ${current.status}`} id='withdraw-status'>{withdrawalStatusZh[current.status]}</Text>
          <Text className='withdraw-hint'>{statusHint(current)}</Text>
          <Text className='withdraw-hint'>提现 {formatFen(current.amount)}，手续费 {formatFen(current.fee)}，到账 {formatFen(current.netAmount)}</Text>
          {current.status === 'paying' && current.packageInfo ? (
            <Button className='btn btn-block withdraw-confirm' loading={flag(busy)} onClick={() => void confirmReceipt(current)}>
              {IS_H5 ? '确认收款（沙箱）' : '确认收款'}
            </Button>
          ) : null}
          {FINAL.includes(current.status) ? (
            <Button className='btn btn-ghost btn-block' onClick={() => setCurrent(null)}>
              完成
            </Button>
          ) : null}
        </View>
      ) : (
        <View className='rewards-card'>
          <Text className='rewards-label'>提现金额（元）</Text>
          <Input className='withdraw-input' id='withdraw-amount' type='digit' placeholder='0.00' value={text} onInput={(e) => setText(e.detail.value)} />
          <Text className='withdraw-hint'>
            可提现 {formatFen(r.balances.available)}
            <Text className='withdraw-all' onClick={() => setText((Math.min(r.balances.available, left) / 100).toFixed(2))}>
              {' '}全部提现
            </Text>
          </Text>
          <Text className='withdraw-hint'>手续费 {formatFen(fee)}；实际到账 {formatFen(Math.max(0, (amount ?? 0) - fee))}</Text>
          <Text className='withdraw-hint'>最低 {formatFen(r.withdrawal.minAmount)}，今日还可提现 {formatFen(left)}</Text>
          {problem ? <Text className='withdraw-error'>{problem}</Text> : null}
          <Button className='btn btn-block withdraw-submit' id='withdraw-submit' loading={flag(busy)} disabled={flag(!amount || !!problem)} onClick={() => void submit()}>
            申请提现
          </Button>
        </View>
      )}

      <View className='rewards-section'>
        <Text className='rewards-section-title'>提现记录</Text>
        {history.data?.items.length === 0 ? <Text className='withdraw-hint'>暂无提现记录</Text> : null}
        {history.data?.items.map((w) => (
          <View key={w.id} className='withdraw-item' onClick={() => setCurrent(w)}>
            <Text>{formatDateTime(w.createdAt)}</Text>
            <Text>{formatFen(w.amount)}</Text>
            <Text>{withdrawalStatusZh[w.status]}</Text>
          </View>
        ))}
      </View>
    </View>
  )
}
