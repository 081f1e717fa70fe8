import Taro from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import { formatFen } from '@tuan/shared/money'
import { listMyShares, type MyShares } from '../../../../api/share'
import { startLogin, useSession } from '../../../../auth'
import { Empty, ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { formatDateTime } from '../../../../utils/format'
import { ROUTES } from '../../../../utils/routes'
import './index.css'

const KIND_ZH: Record<string, string> = { campaign: '拼团活动', group: '拼团', product: '商品', pack: '券包', leader: '团长' }
type Figures = MyShares['totals']

function Funnel({ f }: { f: Figures }) {
  const cells: Array<[string, string]> = [
    ['浏览', String(f.visitors)],
    ['新用户', String(f.newUsers)],
    ['参团', String(f.joins)],
    ['订单', String(f.orders)],
    ['成交额', formatFen(f.gmv)],
  ]
  return (
    <View className='share-funnel'>
      {cells.map(([label, value]) => (
        <View key={label} className='share-funnel-cell'>
          <Text className='share-funnel-value'>{value}</Text>
          <Text className='share-funnel-label'>{label}</Text>
        </View>
      ))}
    </View>
  )
}

/** 我的分享: every share I made, with its funnel (views → new users → joins → orders → GMV). */
export default function MySharesPage() {
  const session = useSession()
  const userId = session?.user?.id ?? 0
  const { data, error, loading, reload } = useApi(() => listMyShares(1, 50), [userId], { enabled: !!userId })
  if (!userId)
    return (
      <View className='my-shares'>
        <Empty text='登录后查看我的分享' />
        <Button className='btn btn-block' onClick={() => void startLogin()}>
          去登录
        </Button>
      </View>
    )
  if (loading && !data) return <Loading />
  if (error) return <ErrorState error={error} onRetry={() => void reload()} />
  if (!data) return <Loading />
  return (
    <View className='my-shares'>
      <View className='share-total'>
        <Text className='share-total-title'>全部分享（{data.total}）</Text>
        <Funnel f={data.totals} />
      </View>
      {data.items.length === 0 ? (
        <Empty text='还没有分享过' hint='在拼团、商品或券包页面点「分享」' />
      ) : (
        data.items.map((s) => (
          <View key={s.token} className={`share-item share-item-${s.token}`}>
            <View className='share-item-head'>
              <Text className='share-item-kind'>{KIND_ZH[s.kind] ?? s.kind} #{s.targetId}</Text>
              <Text className='share-item-time'>{formatDateTime(s.createdAt)}</Text>
            </View>
            {s.depth > 1 ? <Text className='share-item-depth'>第 {s.depth} 层转发</Text> : null}
            <Funnel f={s.figures} />
            {s.kind === 'pack' ? (
              <Text className='share-item-link' onClick={() => void Taro.navigateTo({ url: ROUTES.sharePack({ id: s.targetId }) })}>
                查看券包进度 ›
              </Text>
            ) : null}
          </View>
        ))
      )}
    </View>
  )
}
