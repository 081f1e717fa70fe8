import Taro, { usePullDownRefresh } from '@tarojs/taro'
import { Button, Image, Text, View } from '@tarojs/components'
import { groupStatusZh } from '@tuan/shared/enums'
import { formatFen } from '@tuan/shared/money'
import type { MyGroupSummary } from '@tuan/shared/schemas'
import { myGroups } from '../../../../api/groupbuy'
import { resolveAssetUrl } from '../../../../api/config'
import { startLogin, useSession } from '../../../../auth'
import { CountdownText, Empty, ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { ROUTES } from '../../../../utils/routes'
import { useDidReshow } from '../../../../hooks/useDidReshow'
import './index.css'

function statusText(g: MyGroupSummary): string {
  if (g.status === 'pending') return g.myRole === 'opener' ? '待你支付后开团' : groupStatusZh.pending
  if (g.status === 'open') return g.seatsLeft > 0 ? `拼团中 · 还差${g.seatsLeft}人` : '人已满，等待付款'
  return groupStatusZh[g.status]
}

function GroupRow({ g, serverTime, onEnded }: { g: MyGroupSummary; serverTime: string; onEnded: () => void }) {
  const openGroup = () => void Taro.navigateTo({ url: ROUTES.group(g.id) })
  const stop = (fn: () => void) => (e: { stopPropagation: () => void }) => {
    e.stopPropagation()
    fn()
  }
  const inviting = g.status === 'open' && g.seatsLeft > 0
  return (
    <View className={`my-group my-group-${g.id} my-group-is-${g.status}`} onClick={openGroup}>
      {g.image ? <Image className='my-group-image goods-thumb' src={resolveAssetUrl(g.image)} mode='aspectFill' lazyLoad /> : <View className='my-group-image goods-thumb' />}
      <View className='my-group-info goods-info'>
        <View className='my-group-head'>
          <Text className='my-group-role'>{g.myRole === 'opener' ? '我开的团' : '我参的团'}</Text>
          <Text className='my-group-size'>{g.size}人团 · {formatFen(g.groupPrice)}</Text>
        </View>
        <Text className='my-group-title'>{g.title}</Text>
        <Text className={`my-group-status my-group-status-${g.status}`}>{statusText(g)}</Text>
        {g.status === 'open' && g.deadlineAt ? (
          <CountdownText className='my-group-countdown' deadline={g.deadlineAt} serverTime={serverTime} prefix='剩余 ' doneText='已到时间' onDone={onEnded} />
        ) : null}
        <View className='my-group-actions'>
          {g.status === 'pending' && g.myRole === 'opener' ? (
            <Button className='btn btn-small my-group-pay' onClick={stop(() => void Taro.navigateTo({ url: ROUTES.pay(g.myOrderId) }))}>
              去支付
            </Button>
          ) : inviting ? (
            <Button className='btn btn-small my-group-invite' onClick={stop(openGroup)}>
              邀请好友
            </Button>
          ) : (
            <Button className='btn btn-ghost btn-small my-group-view' onClick={stop(openGroup)}>
              查看拼团
            </Button>
          )}
        </View>
      </View>
    </View>
  )
}

/** 我的拼团: groups I opened or joined, newest first, each with its next step. */
export default function MyGroupsPage() {
  const session = useSession()
  const userId = session?.user?.id ?? 0
  const { data, error, loading, reload } = useApi(() => myGroups(), [userId], { enabled: !!userId })
  useDidReshow(() => {
    if (userId) void reload()
  })
  usePullDownRefresh(() => {
    void reload().finally(() => void Taro.stopPullDownRefresh())
  })

  if (!userId) {
    return (
      <View className='my-groups empty-with-action'>
        <Empty text='登录后查看我的拼团' />
        <Button className='btn empty-action' onClick={() => void startLogin()}>
          去登录
        </Button>
      </View>
    )
  }
  if (error && !data) return <ErrorState error={error} onRetry={() => void reload()} />
  if (!data) return loading ? <Loading /> : null
  if (data.items.length === 0) {
    return (
      <View className='my-groups empty-with-action'>
        <Empty text='还没有参加过拼团' hint='和邻居一起拼，更便宜' />
        <Button className='btn btn-ghost empty-action' onClick={() => void Taro.switchTab({ url: ROUTES.home })}>
          去首页看看
        </Button>
      </View>
    )
  }
  return (
    <View className='my-groups'>
      {data.items.map((g) => (
        <GroupRow key={g.id} g={g} serverTime={data.serverTime} onEnded={() => void reload()} />
      ))}
    </View>
  )
}
