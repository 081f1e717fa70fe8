import Taro, { useDidShow, useShareAppMessage } from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import { leaderStatusZh } from '@tuan/shared/enums'
import { getMyLeader } from '../../../../api/leader'
import { useSession } from '../../../../auth'
import { ErrorState, Loading, LoginPrompt } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { copyInviteLink, useShareToken, withShareToken } from '../../../../share/useShare'
import { flag } from '../../../../utils/flag'
import { ROUTES } from '../../../../utils/routes'
import { kindLabel } from '../../leader'
import '../../leader.css'

const IS_H5 = process.env.TARO_ENV === 'h5'

const LINKS: ReadonlyArray<{ key: string; icon: string; text: string; url: string }> = [
  { key: 'orders', icon: '单', text: '今日订单', url: ROUTES.leaderOrders },
  { key: 'batches', icon: '批', text: '配送批次', url: ROUTES.leaderBatches },
  { key: 'verify', icon: '核', text: '核销提货', url: ROUTES.leaderVerify },
  { key: 'earnings', icon: '收', text: '收益', url: ROUTES.leaderEarnings },
]

/**
 * 团长中心: my status and point, the leader's pages (orders, batches, pickup verification,
 * earnings), and 分享我的自提点 — a leader share whose link binds the neighbours who open it to
 * this point. Someone who is not (yet) a leader is sent to the application page.
 */
export default function LeaderCentre() {
  const session = useSession()
  const me = useApi(() => getMyLeader(), [session?.user?.id], { enabled: !!session })
  useDidShow(() => {
    if (session && me.data !== undefined) void me.reload()
  })
  const leader = me.data
  const isLeader = leader?.status === 'approved' || leader?.status === 'suspended'
  const pointId = isLeader ? leader.point.id : null
  const shareToken = useShareToken('leader', pointId)
  useShareAppMessage(() => ({
    title: leader ? `${leader.point.name}：在这里下单，次日到店自提` : '来我的自提点拼团',
    path: pointId ? withShareToken(ROUTES.pickupPoints({ pointId }), shareToken) : ROUTES.home,
  }))

  if (!session) return <LoginPrompt text='登录后进入团长中心' name='ld-centre' />
  if (me.error && me.data === undefined) return <ErrorState error={me.error} onRetry={() => void me.reload()} />
  if (me.data === undefined) return <Loading />
  if (!leader || !isLeader) {
    return (
      <ErrorState
        text={leader ? `团长申请${leaderStatusZh[leader.status]}` : '你还不是团长'}
        hint={leader?.status === 'rejected' ? leader.rejectReason ?? undefined : '申请通过后即可进入团长中心'}
        back={{ text: leader ? '查看申请' : '申请成为团长', onClick: () => void Taro.redirectTo({ url: ROUTES.leaderApply }) }}
      />
    )
  }

  const share = () => {
    if (!IS_H5 || !pointId) return
    void copyInviteLink(ROUTES.pickupPoints({ pointId }), shareToken, `我是「${leader.point.name}」的团长，在这里下单，次日到店自提：`)
  }

  const p = leader.point
  return (
    <View className='ld-page ld-centre'>
      <View className={`ld-card ld-centre-head is-${leader.status}`}>
        <View className='ld-point-head'>
          <Text className='ld-point-name'>{`团长 ${leader.name}`}</Text>
          <Text className={`ld-tag ld-centre-status${leader.status === 'suspended' ? ' is-muted' : ''}`}>{leaderStatusZh[leader.status]}</Text>
        </View>
        <Text className='ld-line ld-centre-point'>{p.name}</Text>
        <Text className='ld-line-hint'>{`${p.city}${p.district} ${p.address}`}</Text>
        <Text className='ld-line-hint'>{`${kindLabel(p.kind)} · 营业时间 ${p.openingHours} · ${p.status === 'open' ? '接单中' : '暂停接单'}`}</Text>
        {leader.status === 'suspended' ? <Text className='ld-reason' style={{ marginTop: '16px' }}>团长资格已暂停：自提点不接新订单，已有订单仍需完成提货。</Text> : null}
      </View>
      <View className='ld-links'>
        {LINKS.map((l) => (
          <View key={l.key} className={`ld-link-item ld-link-${l.key}`} onClick={() => void Taro.navigateTo({ url: l.url })}>
            <Text className='ld-link-icon'>{l.icon}</Text>
            <Text className='ld-link-text'>{l.text}</Text>
          </View>
        ))}
      </View>
      <Button className='btn btn-block ld-share' openType={IS_H5 ? undefined : 'share'} disabled={flag(!shareToken && IS_H5)} onClick={share}>
        分享我的自提点
      </Button>
      <Text className='ld-line-hint' style={{ textAlign: 'center' }}>邻居打开你的分享后，默认在你这里提货</Text>
    </View>
  )
}
