import { useState } from 'react'
import Taro, { useRouter, useShareAppMessage } from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import { claimPack, getPackProgress, getSharePack, type PackProgress, type SharePack } from '../../../../api/share'
import { showErrorToast } from '../../../../api/request'
import { requireLogin, useSession } from '../../../../auth'
import { ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { copyInviteLink, inviteUrl, useShareToken, withShareToken } from '../../../../share/useShare'
import { flag } from '../../../../utils/flag'
import { ROUTES, parseId } from '../../../../utils/routes'
import { useDidReshow } from '../../../../hooks/useDidReshow'
import './index.css'

const IS_H5 = process.env.TARO_ENV === 'h5'

function Rules({ pack }: { pack: SharePack }) {
  return (
    <View className='pack-card'>
      <Text className='pack-name'>{pack.name}</Text>
      <View className='pack-coupons'>
        {pack.friendCoupons.map((c) => (
          <View key={c.templateId} className='pack-coupon'>
            <Text className='pack-coupon-label'>{c.label}</Text>
            <Text className='pack-coupon-name'>{c.name}</Text>
          </View>
        ))}
      </View>
      <Text className='pack-rules-title'>活动规则</Text>
      <Text className='pack-rules'>{pack.rules}</Text>
    </View>
  )
}

function Progress({ p }: { p: PackProgress }) {
  const k = Math.min(p.newFriends, p.requiredFriends)
  return (
    <View className='pack-progress'>
      <Text className='pack-progress-text'>
        已有 {k}/{p.requiredFriends} 位新朋友领取
      </Text>
      <View className='pack-progress-bar'>
        <View className='pack-progress-fill' style={{ width: `${(100 * k) / p.requiredFriends}%` }} />
      </View>
      {p.bonusIssued ? <Text className='pack-bonus-done'>奖励已发放：{p.pack.bonusCoupon.name}（{p.pack.bonusCoupon.label}），请到「我的优惠券」查看</Text> : null}
    </View>
  )
}

/**
 * 分享券包. Opened with `?id=<pack>` by a sharer (rules first, then share; progress once shared) or
 * with `?st=<token>` by a friend (claim the friend coupons; the sharer sees their progress here too).
 */
export default function SharePackPage() {
  const params = useRouter().params
  const friendToken = params.st && /^[0-9A-Za-z]{4,10}$/.test(params.st) ? params.st : null
  const session = useSession()
  const userId = session?.user?.id ?? 0
  const progress = useApi(() => getPackProgress(friendToken as string), [friendToken, userId], { enabled: !!friendToken })
  const isMine = !friendToken || progress.data?.mine === true
  // A friend who claimed may share the pack on (their share's parent is the one they came through).
  const canShare = isMine || progress.data?.claimedByMe === true
  const packId = parseId(params.id) ?? progress.data?.pack.id ?? null
  const pack = useApi(() => getSharePack(packId as number), [packId], { enabled: !!packId && !friendToken })
  // My own share of the pack (a sharer, or a friend who shares it on): the token goes in the path.
  const myToken = useShareToken('pack', canShare ? packId : null)
  const mine = useApi(() => getPackProgress(myToken as string), [myToken], { enabled: !!myToken })
  const [claiming, setClaiming] = useState(false)

  useDidReshow(() => {
    if (friendToken) void progress.reload()
    if (myToken) void mine.reload()
  })

  useShareAppMessage(() => ({
    title: `送你一份券包：${pack.data?.name ?? progress.data?.pack.name ?? ''}`,
    path: withShareToken(ROUTES.sharePack({ id: packId ?? undefined }), myToken),
  }))

  const claim = async () => {
    if (!friendToken || claiming) return
    setClaiming(true)
    try {
      if (!(await requireLogin())) return
      const res = await claimPack(friendToken)
      void Taro.showToast({ title: '领取成功', icon: 'success' })
      progress.setData(res.progress)
      void progress.reload()
    } catch (e) {
      showErrorToast(e)
    } finally {
      setClaiming(false)
    }
  }

  const loading = (friendToken && progress.loading && !progress.data) || (!friendToken && pack.loading && !pack.data)
  if (!packId && !friendToken) return <ErrorState text='缺少券包参数' />
  if (loading) return <Loading />
  const err = friendToken ? progress.error : pack.error
  if (err) return <ErrorState error={err} onRetry={() => void (friendToken ? progress.reload() : pack.reload())} />
  const packData = pack.data ?? progress.data?.pack
  if (!packData) return <Loading />

  const friendView = friendToken && progress.data && !progress.data.mine ? progress.data : null
  const link = myToken ? withShareToken(ROUTES.sharePack({ id: packData.id }), myToken) : null
  return (
    <View className='share-pack'>
      {friendView ? <Text className='pack-from'>{friendView.sharerNickname} 送你一个券包</Text> : null}
      <Rules pack={packData} />
      {friendView ? (
        <View className='pack-actions'>
          {friendView.claimedByMe ? (
            <Text className='pack-claimed'>已领取，券已放入「我的优惠券」</Text>
          ) : (
            <Button className='btn btn-block pack-claim' disabled={flag(claiming)} onClick={() => void claim()}>
              {claiming ? '领取中…' : '立即领取'}
            </Button>
          )}
          <Progress p={friendView} />
        </View>
      ) : null}
      {canShare ? (
        <View className='pack-actions pack-share'>
          {!userId ? (
            <Button className='btn btn-block pack-login' onClick={() => void requireLogin()}>
              登录后分享
            </Button>
          ) : IS_H5 ? (
            <>
              <Button className='btn btn-block pack-invite' disabled={flag(!link)} onClick={() => link && void copyInviteLink(link, null, `送你一份「${packData.name}」券包，快来领取：`)}>
                邀请好友
              </Button>
              {link ? (
                <>
                  <Text className='pack-link-hint'>点「邀请好友」复制链接，发到微信群或好友；也可以长按复制下面的链接</Text>
                  <Text className='pack-link' userSelect>{inviteUrl(link, null)}</Text>
                </>
              ) : null}
            </>
          ) : (
            <Button className='btn btn-block pack-invite' openType='share' disabled={flag(!myToken)}>
              分享给好友
            </Button>
          )}
          {isMine && mine.data ? <Progress p={mine.data} /> : null}
          <Text className='pack-mine-link' onClick={() => void Taro.navigateTo({ url: ROUTES.myShares })}>
            我的分享 ›
          </Text>
        </View>
      ) : null}
    </View>
  )
}
