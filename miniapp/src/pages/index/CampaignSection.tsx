import { useCallback, useEffect, useRef } from 'react'
import Taro from '@tarojs/taro'
import { Image, Text, View } from '@tarojs/components'
import type { CampaignView } from '@tuan/shared/schemas'
import { listCampaigns } from '../../api/groupbuy'
import { resolveAssetUrl } from '../../api/config'
import { errorText } from '../../api/request'
import { CountdownText, Price } from '../../components'
import { useApi } from '../../hooks/useApi'
import { ROUTES } from '../../utils/routes'
import './CampaignSection.css'

function CampaignCard({ campaign, serverTime, onEnded }: { campaign: CampaignView; serverTime: string; onEnded: () => void }) {
  const soldOut = campaign.stockLeft <= 0
  const open = () => {
    void Taro.navigateTo({ url: ROUTES.campaign(campaign.id) })
  }
  return (
    <View className={`campaign-card campaign-card-${campaign.id}${soldOut ? ' is-sold-out' : ''}`} id={`campaign-${campaign.id}`} onClick={open}>
      {campaign.image ? (
        <Image className='campaign-card-image' src={resolveAssetUrl(campaign.image)} mode='aspectFill' lazyLoad />
      ) : (
        <View className='campaign-card-image campaign-card-noimage'>
          <Text>暂无图片</Text>
        </View>
      )}
      <View className='campaign-card-info'>
        <Text className='campaign-card-title'>{campaign.title}</Text>
        <View className='campaign-card-tags'>
          <Text className='campaign-card-size'>{campaign.groupSize}人团</Text>
          {soldOut ? <Text className='campaign-card-soldout'>已抢光</Text> : null}
        </View>
        <View className='campaign-card-prices'>
          <Price fen={campaign.groupPrice} className='campaign-card-price' />
          {campaign.listPrice > campaign.groupPrice ? <Price fen={campaign.listPrice} size='small' className='price-struck campaign-card-list-price' /> : null}
        </View>
        <View className='campaign-card-bottom'>
          <CountdownText className='campaign-card-countdown' deadline={campaign.endsAt} serverTime={serverTime} prefix='距结束 ' doneText='已结束' onDone={onEnded} />
          <Text className='campaign-card-go'>去拼团</Text>
        </View>
      </View>
    </View>
  )
}

/** 拼团活动 on the home page; hidden when there are no running campaigns. */
export function CampaignSection({ refreshSignal, onLoaded }: { refreshSignal: number; onLoaded?: (campaigns: CampaignView[]) => void }) {
  const { data, error, loading, reload } = useApi(() => listCampaigns(1, 50), [])
  const first = useRef(true)

  // The product grid shows each product's group price from the same list (one request for both).
  const onLoadedRef = useRef(onLoaded)
  onLoadedRef.current = onLoaded
  useEffect(() => {
    if (data) onLoadedRef.current?.(data.items)
  }, [data])

  useEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    void reload()
  }, [refreshSignal, reload])

  // Several cards may end in the same second: one reload for all of them.
  const pendingReload = useRef<ReturnType<typeof setTimeout> | null>(null)
  const onEnded = useCallback(() => {
    if (pendingReload.current) return
    pendingReload.current = setTimeout(() => {
      pendingReload.current = null
      void reload()
    }, 500)
  }, [reload])
  useEffect(() => () => {
    if (pendingReload.current) clearTimeout(pendingReload.current)
  }, [])

  let body
  if (error && !data) {
    body = (
      <View className='campaign-section-error' onClick={() => void reload()}>
        <Text>{errorText(error)}，点击重试</Text>
      </View>
    )
  } else if (!data) {
    body = loading ? <View className='campaign-section-loading'><Text>拼团活动加载中…</Text></View> : null
  } else if (data.items.length === 0) {
    return null
  } else {
    body = data.items.map((c) => <CampaignCard key={c.id} campaign={c} serverTime={data.serverTime} onEnded={onEnded} />)
  }

  return (
    <View className='campaign-section'>
      <View className='campaign-section-head'>
        <Text className='campaign-section-title'>拼团活动</Text>
        <Text className='campaign-section-sub'>邀请好友一起拼，更便宜</Text>
      </View>
      {body}
    </View>
  )
}
