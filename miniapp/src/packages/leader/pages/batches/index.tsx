import Taro, { useDidShow, usePullDownRefresh } from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import { pickupBatchStatusZh } from '@tuan/shared/schemas'
import { leaderBatches } from '../../../../api/pickup'
import { useSession } from '../../../../auth'
import { Empty, ErrorState, Loading, LoginPrompt } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { ROUTES } from '../../../../utils/routes'
import '../../pickup.css'

/** My point's daily batches, newest first: 待发货 → 配送中 → 已到货. */
export default function LeaderBatches() {
  const session = useSession()
  const list = useApi(() => leaderBatches(), [session?.user?.id], { enabled: !!session })
  usePullDownRefresh(() => void list.reload().finally(() => Taro.stopPullDownRefresh()))
  // Back from a batch whose arrival was just confirmed: show its new status.
  useDidShow(() => {
    if (list.data) void list.reload()
  })

  if (!session) return <LoginPrompt name='leader-batches' text='登录后查看配送批次' />
  if (list.error && !list.data) return <ErrorState error={list.error} onRetry={() => void list.reload()} />
  if (!list.data) return <Loading />
  const items = list.data.items
  if (items.length === 0) {
    return (
      <View className='lp leader-batches empty-with-action'>
        <Empty text='还没有配送批次' hint='每天截单后，你的自提点的订单会组成一个批次' />
        <Button className='btn btn-ghost empty-action' onClick={() => void Taro.navigateTo({ url: ROUTES.leaderOrders })}>
          查看今日订单
        </Button>
      </View>
    )
  }
  return (
    <View className='lp leader-batches'>
      <View className='lp-card'>
        {items.map((b) => (
          <View key={b.id} className={`lp-row leader-batch leader-batch-${b.id}`} onClick={() => void Taro.navigateTo({ url: ROUTES.leaderBatch(b.id) })}>
            <View className='lp-main'>
              <Text className='lp-name'>{b.businessDate} 批次</Text>
              <Text className='lp-sub'>
                {b.orderCount} 单 · {b.unitCount} 件
              </Text>
            </View>
            <Text className={`lp-status leader-batch-status${b.status === 'arrived' ? ' is-arrived' : ''}`}>{pickupBatchStatusZh[b.status]} ›</Text>
          </View>
        ))}
      </View>
    </View>
  )
}
