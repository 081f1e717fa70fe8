import Taro from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import { commissionStatusZh } from '@tuan/shared/enums'
import { ErrorCode } from '@tuan/shared/errors'
import { formatFen } from '@tuan/shared/money'
import { getLeaderEarnings } from '../../../../api/pickupVerify'
import { isApiError } from '../../../../api/request'
import { useSession } from '../../../../auth'
import { Empty, ErrorState, Loading, LoginPrompt } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { formatDateTime } from '../../../../utils/format'
import { ROUTES } from '../../../../utils/routes'
import '../../leader-verify.css'
import { useDidReshow } from '../../../../hooks/useDidReshow'

const pct = (bps: number) => `${Number((bps / 100).toFixed(2))}%`

/**
 * 团长收益: GMV of my completed pickup orders and my commission on them, from the ledger — 冻结中 while
 * the after-sale window runs, then settled into 我的收益's 可提现 (where it is withdrawn).
 */
export default function LeaderEarningsPage() {
  const session = useSession()
  const userId = session?.user?.id ?? 0
  const earnings = useApi(() => getLeaderEarnings(1, 50), [userId], { enabled: !!userId })
  useDidReshow(() => {
    if (userId) void earnings.reload()
  })
  if (!userId) return <LoginPrompt text='登录后查看团长收益' name='leader-earnings' />
  if (earnings.error) {
    if (isApiError(earnings.error) && earnings.error.code === ErrorCode.NOT_A_LEADER) {
      return <ErrorState error={earnings.error} hint='成为团长后，这里显示自提订单的销售额和佣金' back={{ text: '返回我的', onClick: () => void Taro.switchTab({ url: ROUTES.me }) }} />
    }
    return <ErrorState error={earnings.error} onRetry={() => void earnings.reload()} />
  }
  const e = earnings.data
  if (!e) return <Loading />
  const total = e.commission.frozen + e.commission.settled
  return (
    <View className='lv'>
      <View className='lv-card'>
        <Text className='lv-hint'>累计佣金（元）</Text>
        <Text className='le-total' id='le-total'>{formatFen(total)}</Text>
        <View className='le-grid'>
          <View className='le-cell'>
            <Text className='le-cell-value' id='le-gmv'>{formatFen(e.gmv)}</Text>
            <Text className='le-cell-label'>自提销售额</Text>
          </View>
          <View className='le-cell'>
            <Text className='le-cell-value' id='le-orders'>{e.orders}</Text>
            <Text className='le-cell-label'>已提货订单</Text>
          </View>
        </View>
        <View className='le-grid'>
          <View className='le-cell'>
            <Text className='le-cell-value' id='le-frozen'>{formatFen(e.commission.frozen)}</Text>
            <Text className='le-cell-label'>冻结中</Text>
          </View>
          <View className='le-cell'>
            <Text className='le-cell-value' id='le-settled'>{formatFen(e.commission.settled)}</Text>
            <Text className='le-cell-label'>已结算</Text>
          </View>
          <View className='le-cell'>
            <Text className='le-cell-value'>{formatFen(e.commission.refunded)}</Text>
            <Text className='le-cell-label'>退款扣回</Text>
          </View>
        </View>
        <Text className='lv-hint'>
          顾客提货后佣金进入「冻结中」，售后期结束即结算到「我的收益」可提现。{e.ownRateBps !== null ? `你的佣金比例：${pct(e.ownRateBps)}。` : ''}
        </Text>
        <Button className='btn btn-block btn-ghost le-withdraw' onClick={() => void Taro.navigateTo({ url: ROUTES.myRewards })}>
          去我的收益提现
        </Button>
      </View>

      <View className='lv-card'>
        <Text className='lv-title'>佣金明细</Text>
        {e.lines.items.length === 0 ? <Empty text='还没有佣金' hint='顾客到你的自提点提货后，这里会显示每单佣金' /> : null}
        {e.lines.items.map((l) => (
          <View key={l.orderId} className='le-line'>
            <View className='le-line-main'>
              <Text className='le-line-title'>订单 #{l.orderId} · {commissionStatusZh[l.status]}</Text>
              <Text className='le-line-meta'>{pct(l.rateBps)} × {formatFen(l.base)} · {formatDateTime(l.createdAt)}</Text>
            </View>
            <Text className={`le-line-amount ${l.status}`}>{formatFen(l.amount)}</Text>
          </View>
        ))}
      </View>
    </View>
  )
}
