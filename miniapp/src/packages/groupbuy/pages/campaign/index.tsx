import { useRouter, useShareAppMessage } from '@tarojs/taro'
import { Button, Image, Text, View } from '@tarojs/components'
import { formatFen } from '@tuan/shared/money'
import type { GroupSummary } from '@tuan/shared/schemas'
import { getCampaign, listCampaignGroups } from '../../../../api/groupbuy'
import { resolveAssetUrl } from '../../../../api/config'
import { Avatar, CountdownText, Empty, ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { useCountdown } from '../../../../hooks/useCountdown'
import { ROUTES, parseId } from '../../../../utils/routes'
import { useCheckoutEntry } from '../../../../hooks/useCheckoutEntry'
import { useShareToken, withShareToken } from '../../../../share/useShare'
import { flag } from '../../../../utils/flag'
import { useLiveCampaignGroups } from '../../../../live/useLive'
import { useDidReshow } from '../../../../hooks/useDidReshow'
import './index.css'

function OpenGroupRow({ group, serverTime, busy, onJoin, onExpired }: { group: GroupSummary; serverTime: string; busy: boolean; onJoin: () => void; onExpired: () => void }) {
  return (
    <View className={`open-group open-group-${group.id}`}>
      <Avatar url={group.openerAvatarUrl} nickname={group.openerNickname} />
      <View className='open-group-info goods-info'>
        <Text className='open-group-name'>{group.openerNickname}的团</Text>
        <View className='open-group-meta'>
          <Text className='open-group-left'>还差{group.seatsLeft}人</Text>
          <CountdownText className='open-group-countdown' deadline={group.deadlineAt} serverTime={serverTime} prefix='剩余 ' doneText='已结束' onDone={onExpired} />
        </View>
      </View>
      <Button className='btn btn-small btn-join' disabled={flag(busy || group.seatsLeft <= 0)} onClick={onJoin}>
        去参团
      </Button>
    </View>
  )
}

export default function CampaignPage() {
  const id = parseId(useRouter().params.id)
  const campaignState = useApi(() => getCampaign(id as number), [id], { enabled: id !== null })
  const groupsState = useApi(() => listCampaignGroups(id as number), [id], { enabled: id !== null })
  // Open groups fill, succeed and fail without a reload (live socket, polling fallback).
  useLiveCampaignGroups(id, groupsState.setData)
  const campaign = campaignState.data
  // Orders are created on the checkout page (coupon and quantity first); a tap signs in and goes there.
  const { busy, go: act } = useCheckoutEntry()
  const reloadAll = () => {
    void campaignState.reload()
    void groupsState.reload()
  }

  // Coming back (from login, a payment or a group page): stock and open groups have moved.
  useDidReshow(reloadAll)

  const ends = useCountdown(campaign?.endsAt, campaign?.serverTime)

  // My share of this campaign: its token rides in the card's path (created ahead; WeChat has no share callback).
  const shareToken = useShareToken('campaign', id)
  useShareAppMessage(() => ({
    title: campaign ? `${formatFen(campaign.groupPrice)} ${campaign.groupSize}人团：${campaign.title}` : '团 · 社区拼团',
    path: id ? withShareToken(ROUTES.campaign(id), shareToken) : ROUTES.home,
    imageUrl: campaign?.image ? resolveAssetUrl(campaign.image) : undefined,
  }))

  if (id === null) return <ErrorState text='活动不存在' />
  if (campaignState.error && !campaign) return <ErrorState error={campaignState.error} onRetry={reloadAll} />
  if (!campaign) return <Loading />

  const soldOut = campaign.stockLeft <= 0
  const ended = ends.done || campaign.status !== 'active'
  const canBuy = !soldOut && !ended
  const groups = groupsState.data?.items ?? []

  return (
    <View className='campaign'>
      {campaign.image ? (
        <Image className='campaign-image' src={resolveAssetUrl(campaign.image)} mode='aspectFill' />
      ) : (
        <View className='campaign-image campaign-noimage'>
          <Text>暂无图片</Text>
        </View>
      )}

      <View className='campaign-price-bar'>
        <View className='campaign-price-main'>
          <Text className='campaign-size-tag'>{campaign.groupSize}人团</Text>
          <Text className='campaign-group-price'>{formatFen(campaign.groupPrice)}</Text>
          <Text className='campaign-list-price'>{formatFen(campaign.listPrice)}</Text>
        </View>
        <View className='campaign-ends'>
          <Text className='campaign-ends-label'>{ended ? '活动已结束' : '距活动结束'}</Text>
          {ended ? null : <CountdownText className='campaign-ends-time' deadline={campaign.endsAt} serverTime={campaign.serverTime} onDone={reloadAll} />}
        </View>
      </View>

      <View className='campaign-section campaign-head'>
        <Text className='campaign-title'>{campaign.title}</Text>
        {campaign.specLabel ? <Text className='campaign-spec'>规格：{campaign.specLabel}</Text> : null}
        <View className='campaign-facts'>
          <Text className='campaign-fact campaign-stock'>{soldOut ? '活动已抢光' : `活动剩余 ${campaign.stockLeft} 件`}</Text>
          {campaign.openerMode === 'free' ? <Text className='campaign-fact campaign-fact-hot'>团长免单</Text> : null}
          {campaign.openerMode === 'opener_price' ? <Text className='campaign-fact campaign-fact-hot'>团长价 {formatFen(campaign.openerPrice)}</Text> : null}
          {campaign.newUsersOnly ? <Text className='campaign-fact'>仅限新用户参团</Text> : null}
          <Text className='campaign-fact'>每单限购 {campaign.limits.perOrder} 件</Text>
        </View>
        <Text className='campaign-rule'>开团后邀请好友参团，{campaign.groupSize}人付款即成团；到时未成团自动退款。</Text>
        <Text className='campaign-rule campaign-stock-note'>活动库存是本活动单独划出的 {campaign.stockTotal} 件，与商品页显示的库存分开计算；抢完即止。</Text>
      </View>

      <View className='campaign-section'>
        <View className='campaign-section-head'>
          <Text className='campaign-section-title'>正在拼团</Text>
          <Text className='campaign-section-hint'>可直接参与</Text>
        </View>
        {groupsState.error && !groupsState.data ? (
          <ErrorState error={groupsState.error} onRetry={() => void groupsState.reload()} />
        ) : !groupsState.data ? (
          <Loading />
        ) : groups.length === 0 ? (
          <Empty text='暂时没有可参加的团' hint='一键开团，邀请好友一起拼' />
        ) : (
          groups.map((g) => (
            <OpenGroupRow
              key={g.id}
              group={g}
              serverTime={groupsState.data?.serverTime ?? campaign.serverTime}
              busy={!!busy || !canBuy}
              onJoin={() => void act(`join-${g.id}`, { kind: 'join', groupId: g.id })}
              onExpired={() => void groupsState.reload()}
            />
          ))
        )}
      </View>

      <View className='campaign-actions-space' />
      <View className='campaign-actions bottom-bar'>
        {campaign.allowSolo ? (
          <Button className='btn btn-ghost campaign-action btn-solo' disabled={flag(!!busy || !canBuy)} loading={flag(busy === 'solo')} onClick={() => void act('solo', { kind: 'solo', campaignId: campaign.id })}>
            单独购买 {formatFen(campaign.listPrice)}
          </Button>
        ) : null}
        <Button className='btn campaign-action btn-launch' disabled={flag(!!busy || !canBuy)} loading={flag(busy === 'launch')} onClick={() => void act('launch', { kind: 'launch', campaignId: campaign.id })}>
          {soldOut ? '已抢光' : ended ? '活动已结束' : `一键开团 ${formatFen(campaign.openerPrice)}`}
        </Button>
      </View>
    </View>
  )
}
