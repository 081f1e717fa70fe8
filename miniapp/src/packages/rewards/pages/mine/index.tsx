import Taro from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import { ledgerEntryKindZh } from '@tuan/shared/enums'
import { formatFen } from '@tuan/shared/money'
import { getMyRewards, listMyLedger, type LedgerEntry } from '../../../../api/rewards'
import { startLogin, useSession } from '../../../../auth'
import { Empty, ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { formatDateTime } from '../../../../utils/format'
import { flag } from '../../../../utils/flag'
import { ROUTES } from '../../../../utils/routes'
import '../../rewards.css'
import { useDidReshow } from '../../../../hooks/useDidReshow'

const ACCOUNT_ZH: Record<string, string> = { pending: '待结算', frozen: '冻结中', available: '可提现', withdrawing: '提现中', receivable: '待抵扣' }
const pct = (bps: number) => `${Number((bps / 100).toFixed(2))}%`

/** Why an entry exists, in one line: order, level, rate × base, rule version, via. */
function explain(e: LedgerEntry): string {
  const x = e.explanation
  const parts: string[] = []
  if (x.orderId) parts.push(`订单 #${x.orderId}`)
  if (x.level) parts.push(`${x.level === 1 ? '一级' : '二级'}佣金`)
  if (x.rateBps !== undefined && x.base !== undefined) parts.push(`${pct(x.rateBps)} × ${formatFen(x.base)}`)
  if (x.via === 'share') parts.push(`经分享链（${x.shareChain?.length ?? 0} 层）`)
  if (x.via === 'inviter') parts.push('邀请关系')
  if (x.via === 'self') parts.push('自购')
  if (x.via === 'leader') parts.push('团长自提佣金')
  if (x.ruleVersion) parts.push(`规则 v${x.ruleVersion}`)
  if (x.withdrawalId) parts.push(`提现 #${x.withdrawalId}`)
  if (x.note) parts.push(x.note)
  return parts.join(' · ')
}

/** 我的收益: balances, invitees, the ledger with each entry's explanation, and the rules. */
export default function MyRewardsPage() {
  const session = useSession()
  const userId = session?.user?.id ?? 0
  const rewards = useApi(() => getMyRewards(), [userId], { enabled: !!userId })
  // The statement is read after each balance answer (keyed by its serverTime), never beside it: read in
  // parallel, a settlement committing between the two reads showed 可提现 ¥1.99 over a statement still
  // ending at 佣金冻结. Read after, the statement holds every transfer the balances counted.
  const ledger = useApi(() => listMyLedger(1, 50), [userId, rewards.data?.serverTime], { enabled: !!userId && !!rewards.data })
  useDidReshow(() => {
    if (userId) void rewards.reload()
  })
  if (!userId)
    return (
      <View className='rewards'>
        <Empty text='登录后查看我的收益' />
        <Button className='btn btn-block' onClick={() => void startLogin()}>
          去登录
        </Button>
      </View>
    )
  if (rewards.error) return <ErrorState error={rewards.error} onRetry={() => void rewards.reload()} />
  const r = rewards.data
  if (!r) return <Loading />
  const b = r.balances
  return (
    <View className='rewards'>
      <View className='rewards-card'>
        <Text className='rewards-label'>可提现（元）</Text>
        <Text className='rewards-available' id='rewards-available'>{formatFen(b.available)}</Text>
        <View className='rewards-row'>
          <View className='rewards-cell'>
            <Text className='rewards-cell-value' id='rewards-pending'>{formatFen(b.pending)}</Text>
            <Text className='rewards-cell-label'>待结算</Text>
          </View>
          <View className='rewards-cell'>
            <Text className='rewards-cell-value' id='rewards-frozen'>{formatFen(b.frozen)}</Text>
            <Text className='rewards-cell-label'>冻结中</Text>
          </View>
          <View className='rewards-cell'>
            <Text className='rewards-cell-value'>{formatFen(b.withdrawing)}</Text>
            <Text className='rewards-cell-label'>提现中</Text>
          </View>
        </View>
        {b.receivable > 0 ? <Text className='rewards-owed'>待抵扣 {formatFen(b.receivable)}：结算后的订单发生退款，将从之后的佣金中扣回</Text> : null}
        <Button className='btn btn-block rewards-withdraw' disabled={flag(b.available < r.withdrawal.minAmount)} onClick={() => void Taro.navigateTo({ url: ROUTES.withdraw })}>
          {b.available < r.withdrawal.minAmount ? `满 ${formatFen(r.withdrawal.minAmount)} 可提现` : '提现'}
        </Button>
      </View>

      <View className='rewards-section'>
        <Text className='rewards-section-title'>我的邀请</Text>
        <View className='rewards-row'>
          <View className='rewards-cell'>
            <Text className='rewards-cell-value' id='rewards-invitees-1'>{r.invitees.level1}</Text>
            <Text className='rewards-cell-label'>直接邀请</Text>
          </View>
          <View className='rewards-cell'>
            <Text className='rewards-cell-value'>{r.invitees.level2}</Text>
            <Text className='rewards-cell-label'>间接邀请</Text>
          </View>
        </View>
      </View>

      <View className='rewards-section'>
        <Text className='rewards-section-title'>收益明细</Text>
        {ledger.error ? <ErrorState error={ledger.error} onRetry={() => void ledger.reload()} /> : null}
        {!ledger.data && !ledger.error ? <Loading /> : null}
        {ledger.data && ledger.data.items.length === 0 ? <Empty text='还没有收益' hint='分享拼团，好友下单后即可获得佣金' /> : null}
        {ledger.data?.items.map((e) => (
          <View key={e.id} className='rewards-entry'>
            <View className='rewards-entry-head'>
              <Text className='rewards-entry-kind'>{ledgerEntryKindZh[e.kind]}</Text>
              <Text className={`rewards-entry-amount ${e.fromAccount ? 'move' : e.amount < 0 ? 'minus' : 'plus'}`}>
                {e.fromAccount ? `${ACCOUNT_ZH[e.fromAccount]} → ${ACCOUNT_ZH[e.account]} ` : `${ACCOUNT_ZH[e.account]} ${e.amount < 0 ? '-' : '+'}`}
                {formatFen(Math.abs(e.amount))}
              </Text>
            </View>
            <Text className='rewards-entry-why'>{explain(e)}</Text>
            <Text className='rewards-entry-time'>{formatDateTime(e.createdAt)}</Text>
          </View>
        ))}
      </View>

      <View className='rewards-section rewards-rules'>
        <Text className='rewards-section-title'>佣金规则</Text>
        {r.rules.levels.map((l) => (
          <Text key={l.level} className='rewards-rule'>
            {l.level === 1 ? '一级（通过你的分享或邀请下单）' : '二级（你邀请的人带来的订单）'}：实付商品金额的 {pct(l.rateBps)}
          </Text>
        ))}
        <Text className='rewards-rule'>每单佣金合计不超过实付金额的 {pct(r.rules.capBps)}；最多两级。</Text>
        <Text className='rewards-rule'>下单后为「待结算」，确认收货后「冻结中」，售后期（{Math.round(r.afterSaleWindowSec / 86400) || '<1'} 天）结束且无售后即「可提现」；退款会相应扣回。</Text>
        <Text className='rewards-rule'>
          提现最低 {formatFen(r.withdrawal.minAmount)}，每日最多 {formatFen(r.withdrawal.dailyLimit)}{r.withdrawal.feeBps ? `，手续费 ${pct(r.withdrawal.feeBps)}` : '，免手续费'}。
        </Text>
      </View>
    </View>
  )
}
