import { useEffect, useRef, useState } from 'react'
import Taro, { useRouter, useShareAppMessage } from '@tarojs/taro'
import { Button, Image, Text, View } from '@tarojs/components'
import { groupStatusZh } from '@tuan/shared/enums'
import { ErrorCode } from '@tuan/shared/errors'
import { formatFen } from '@tuan/shared/money'
import type { GroupView } from '@tuan/shared/schemas'
import { getGroup } from '../../../../api/groupbuy'
import { resolveAssetUrl } from '../../../../api/config'
import { isApiError, showErrorToast } from '../../../../api/request'
import { requireLogin, useSession } from '../../../../auth'
import { Avatar, CountdownText, ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { useCountdown } from '../../../../hooks/useCountdown'
import { ROUTES, parseId } from '../../../../utils/routes'
import { copyInviteLink, useShareToken, withShareToken } from '../../../../share/useShare'
import { makePoster, savePoster } from '../../../../share/poster'
import { flag } from '../../../../utils/flag'
import { useLiveGroup } from '../../../../live/useLive'
import { useDidReshow } from '../../../../hooks/useDidReshow'
import './index.css'

const IS_H5 = process.env.TARO_ENV === 'h5'
/** After the deadline the worker needs a moment to settle the group: re-read a few times. */
const SETTLE_RETRY_MS = 2000
const SETTLE_RETRIES = 5

function isLive(g: GroupView): boolean {
  return g.status === 'open' || g.status === 'pending'
}

function Seats({ group }: { group: GroupView }) {
  // Only a live group has seats waiting for someone; a failed or cancelled one shows who was in it.
  const empty = isLive(group) ? Math.max(0, group.size - group.members.length) : 0
  return (
    <View className='group-seats'>
      {group.members.map((m, i) => (
        <View key={`${i}-${m.joinedAt}`} className={`group-seat group-member${m.paid ? ' is-paid' : ' is-unpaid'}`}>
          <Avatar url={m.avatarUrl} nickname={m.nickname} size='large' />
          {m.role === 'opener' ? <Text className='group-seat-badge'>团长</Text> : null}
          <Text className='group-seat-name'>{m.nickname}</Text>
          {m.paid ? null : <Text className='group-seat-unpaid'>待支付</Text>}
        </View>
      ))}
      {Array.from({ length: empty }, (_, i) => (
        <View key={`empty-${i}`} className='group-seat group-seat-empty'>
          <View className='group-seat-placeholder'>
            <Text>?</Text>
          </View>
          <Text className='group-seat-name'>虚位以待</Text>
        </View>
      ))}
    </View>
  )
}

export default function GroupPage() {
  const id = parseId(useRouter().params.id)
  const session = useSession()
  const { data: group, error, loading, reload, setData } = useApi(() => getGroup(id as number), [id, session?.user?.id ?? 0], { enabled: id !== null })
  // Joins, payments, success and failure arrive without a reload (live socket, polling fallback).
  useLiveGroup(id, group, setData)
  const [joining, setJoining] = useState(false)

  // Back from login or payment: my role and the seats may have changed.
  useDidReshow(() => void reload())

  const countdown = useCountdown(group?.deadlineAt, group?.serverTime)

  // The deadline passed but the answer still says "open": the worker settles the group at its
  // deadline, so read it again a few times until the final status shows.
  const retries = useRef(0)
  useEffect(() => {
    if (!group || !group.deadlineAt || !countdown.done || !isLive(group)) {
      if (group && !isLive(group)) retries.current = 0
      return undefined
    }
    if (retries.current >= SETTLE_RETRIES) return undefined
    const timer = setTimeout(() => {
      retries.current += 1
      void reload()
    }, retries.current === 0 ? 300 : SETTLE_RETRY_MS)
    return () => clearTimeout(timer)
  }, [group, countdown.done, reload])

  // My share of this group: its token rides in the card's path (created ahead; WeChat has no share callback).
  const shareToken = useShareToken('group', id)
  useShareAppMessage(() => ({
    title: group ? `还差${group.seatsLeft}人，${formatFen(group.campaign.groupPrice)}拼「${group.campaign.title}」` : '快来和我一起拼团',
    path: id ? withShareToken(ROUTES.group(id), shareToken) : ROUTES.home,
    imageUrl: group?.campaign.image ? resolveAssetUrl(group.campaign.image) : undefined,
  }))

  /** The order is created on the checkout page, after the coupon choice. */
  const join = async () => {
    if (!group || joining) return
    setJoining(true)
    try {
      const url = ROUTES.checkout({ kind: 'join', groupId: group.id })
      // Logged out: the login page opens this checkout afterwards, no second tap.
      if (!(await requireLogin({ kind: 'open', url }))) return
      await Taro.navigateTo({ url })
    } catch (e) {
      showErrorToast(e)
    } finally {
      setJoining(false)
    }
  }

  const invite = () => {
    if (!IS_H5 || !id) return
    // h5 has no share sheet: copy the link to this group, with my share token and a line of text.
    void copyInviteLink(ROUTES.group(id), shareToken, group ? `我在拼「${group.campaign.title}」，还差${group.seatsLeft}人，快来一起拼：` : '快来和我一起拼团：')
  }

  const [poster, setPoster] = useState<string | null>(null)
  const [drawing, setDrawing] = useState(false)
  const drawPoster = async () => {
    if (!group || !shareToken || drawing) return
    setDrawing(true)
    try {
      const c = group.campaign
      setPoster(
        await makePoster({
          title: c.title, price: formatFen(c.groupPrice), listPrice: formatFen(c.listPrice), token: shareToken,
          status: group.status === 'open' ? `${group.size}人团 · 还差 ${group.seatsLeft} 人` : `${group.size}人团 · ${groupStatusZh[group.status]}`,
          imageUrl: c.image ? resolveAssetUrl(c.image) : null,
        }),
      )
    } catch (e) {
      showErrorToast(e)
    } finally {
      setDrawing(false)
    }
  }

  if (id === null || (isApiError(error) && error.code === ErrorCode.GROUP_NOT_FOUND)) {
    return <ErrorState text='拼团不存在或已被删除' error={error} />
  }
  if (error && !group) return <ErrorState error={error} onRetry={() => void reload()} />
  if (!group) return <Loading />

  const live = isLive(group)
  const open = group.status === 'open'
  const member = group.myRole !== null
  const iOpenedIt = group.myRole === 'opener'
  const c = group.campaign

  let headline: string
  if (group.status === 'open') headline = group.seatsLeft > 0 ? `还差 ${group.seatsLeft} 人成团` : '人已满，等待付款'
  else if (group.status === 'pending') headline = iOpenedIt ? '支付后即开团，再邀请好友参团' : '等待团长付款后开团'
  else if (group.status === 'succeeded') headline = '拼团成功，坐等收货'
  else if (group.status === 'failed') headline = '未能按时成团，款项已原路退回'
  else headline = '该团已取消'

  return (
    <View className={`group group-is-${group.status}`}>
      <View className='group-campaign' onClick={() => void Taro.navigateTo({ url: ROUTES.campaign(c.id) })}>
        {c.image ? (
          <Image className='group-campaign-image' src={resolveAssetUrl(c.image)} mode='aspectFill' />
        ) : (
          <View className='group-campaign-image' />
        )}
        <View className='group-campaign-info'>
          <Text className='group-campaign-title'>{c.title}</Text>
          <Text className='group-campaign-size'>{group.size}人团</Text>
          <View className='group-campaign-prices'>
            <Text className='group-campaign-price'>{formatFen(c.groupPrice)}</Text>
            <Text className='group-campaign-list-price'>{formatFen(c.listPrice)}</Text>
          </View>
        </View>
      </View>

      <View className='group-card'>
        <Text className={`group-status group-status-${group.status}`}>{group.status === 'pending' && iOpenedIt ? '待支付' : groupStatusZh[group.status]}</Text>
        <Text className='group-headline'>{headline}</Text>
        {live && group.deadlineAt ? (
          <View className='group-countdown-row'>
            <Text className='group-countdown-label'>剩余</Text>
            <CountdownText className='group-countdown' deadline={group.deadlineAt} serverTime={group.serverTime} />
            <Text className='group-countdown-label'>结束</Text>
          </View>
        ) : null}

        <Seats group={group} />
        <Text className='group-progress'>
          {group.paidCount}/{group.size} 人已付款{open ? ` · 剩余 ${group.seatsLeft} 个名额` : ''}
        </Text>

        {member ? <Text className='group-my-role'>{group.myRole === 'opener' ? '我是团长' : '我已参团'}</Text> : null}

        <View className='group-actions'>
          {group.status === 'pending' && iOpenedIt && group.myOrderId ? (
            <Button className='btn btn-block btn-pay-opener' onClick={() => void Taro.navigateTo({ url: ROUTES.pay(group.myOrderId as number) })}>
              去支付，开团
            </Button>
          ) : null}
          {open && member && group.seatsLeft > 0 ? (
            <Button className='btn btn-block btn-share' openType={IS_H5 ? undefined : 'share'} onClick={invite}>
              邀请好友参团
            </Button>
          ) : null}
          {open && member && group.seatsLeft > 0 && shareToken ? (
            <Button className='btn btn-ghost btn-block btn-poster' loading={flag(drawing)} onClick={() => void drawPoster()}>
              生成分享海报
            </Button>
          ) : null}
          {open && !member ? (
            <Button className='btn btn-block btn-join' disabled={flag(joining || group.seatsLeft <= 0 || countdown.done)} loading={flag(joining)} onClick={() => void join()}>
              {group.seatsLeft > 0 ? `去参团 ${formatFen(c.groupPrice)}` : '名额已满'}
            </Button>
          ) : null}
          {!live ? (
            <Button className='btn btn-block btn-launch-again' onClick={() => void Taro.navigateTo({ url: ROUTES.campaign(c.id) })}>
              {group.status === 'succeeded' ? '再开一团' : '去开个新团'}
            </Button>
          ) : null}
          {member && group.myOrderId ? (
            <Button className='btn btn-ghost btn-block btn-my-order' onClick={() => void Taro.navigateTo({ url: ROUTES.orderDetail(group.myOrderId as number) })}>
              查看我的订单
            </Button>
          ) : null}
        </View>
        {loading ? <Text className='group-refreshing'>刷新中…</Text> : null}
        {poster ? (
          <View className='group-poster'>
            <Image className='group-poster-image' src={poster} mode='widthFix' />
            <Button className='btn btn-block btn-poster-save' onClick={() => void savePoster(poster).catch(showErrorToast)}>
              {IS_H5 ? '下载海报' : '保存到相册'}
            </Button>
            <Text className='group-poster-close' onClick={() => setPoster(null)}>
              关闭
            </Text>
          </View>
        ) : null}
      </View>

      <View className='group-rules'>
        <Text className='group-rules-title'>拼团规则</Text>
        <Text className='group-rules-text'>1. 团长付款后开团，{group.size}人付款即成团。</Text>
        <Text className='group-rules-text'>2. 到时未成团，已付款项自动原路退回。</Text>
        <Text className='group-rules-text'>3. 每人每团限参一次，团长不能参加自己的团。</Text>
      </View>
    </View>
  )
}
