import { useEffect, useState } from 'react'
import Taro, { useDidShow } from '@tarojs/taro'
import { Button, Image, Text, View } from '@tarojs/components'
import { getSession, logoutUser, refreshProfile, startLogin, useSession } from '../../auth'
import { resolveAssetUrl } from '../../api/config'
import { listMyCoupons } from '../../api/coupon'
import { getMyLeader, type MyLeader } from '../../api/leader'
import { unreadNotificationCount } from '../../api/notification'
import { showErrorToast } from '../../api/request'
import { ROUTES } from '../../utils/routes'
import { useDidReshow } from '../../hooks/useDidReshow'
import './index.css'
import { flag } from '../../utils/flag'

const IS_H5 = process.env.TARO_ENV === 'h5'

export default function Me() {
  const session = useSession()
  const user = session?.user ?? null
  const [busy, setBusy] = useState(false)
  /** Coupons on the 可用 tab (a one-row page read only for its total); null when unknown. */
  const [couponCount, setCouponCount] = useState<number | null>(null)

  /** Unread messages (消息); null when unknown. */
  const [unread, setUnread] = useState<number | null>(null)
  /** My leader application or account (团长); undefined while unknown, null when I never applied. */
  const [leader, setLeader] = useState<MyLeader | undefined>(undefined)

  const loadCouponCount = () => {
    if (!getSession()) return
    listMyCoupons('available', 1, 1)
      .then((res) => setCouponCount(res.total))
      .catch(() => setCouponCount(null))
    unreadNotificationCount()
      .then((res) => setUnread(res.unread))
      .catch(() => setUnread(null))
    getMyLeader()
      .then(setLeader)
      .catch(() => setLeader(undefined))
  }

  useDidShow(() => {
    // Keep the cached profile fresh; a failed refresh clears the session inside the request layer.
    if (session) refreshProfile().catch(() => undefined)
  })
  // The counts load when the user is known (below) and again each time 我的 shows again.
  useDidReshow(loadCouponCount)

  const userId = user?.id ?? 0
  useEffect(() => {
    if (userId) loadCouponCount()
    else {
      setCouponCount(null)
      setUnread(null)
      setLeader(undefined)
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [userId])

  /** Pages that are about me: logged out, the tap logs in first (the menu stays where it was). */
  const openSignedIn = async (url: string) => {
    if (!session) {
      await login()
      return
    }
    void Taro.navigateTo({ url })
  }

  const login = async () => {
    if (busy) return
    setBusy(true)
    try {
      const done = await startLogin()
      if (done) void Taro.showToast({ title: '登录成功', icon: 'success' })
    } catch (e) {
      showErrorToast(e)
    } finally {
      setBusy(false)
    }
  }

  const switchUser = () => {
    void Taro.navigateTo({ url: ROUTES.devLogin })
  }

  const logout = async () => {
    const { confirm } = await Taro.showModal({ title: '退出登录', content: '确定要退出当前账号吗？', confirmText: '退出', cancelText: '取消' })
    if (!confirm) return
    await logoutUser()
    void Taro.showToast({ title: '已退出登录', icon: 'none' })
  }

  return (
    <View className='me'>
      <View className='me-header'>
        {user?.avatarUrl ? (
          <Image className='me-avatar' src={resolveAssetUrl(user.avatarUrl)} mode='aspectFill' />
        ) : (
          <View className='me-avatar me-avatar-placeholder'>
            <Text>{user ? user.nickname.slice(-1) : '团'}</Text>
          </View>
        )}
        <View className='me-header-info'>
          {session ? (
            <>
              <Text className='me-nickname' id='me-nickname'>{user?.nickname ?? '已登录'}</Text>
              <Text className='me-phone'>{user?.phoneMasked ? `手机号 ${user.phoneMasked}` : '未绑定手机号'}</Text>
            </>
          ) : (
            <>
              <Text className='me-nickname me-logged-out'>未登录</Text>
              <Text className='me-phone'>登录后可参与拼团、查看订单</Text>
            </>
          )}
        </View>
      </View>

      <View className='me-menu'>
        <View className='me-menu-item me-my-groups' onClick={() => void openSignedIn(ROUTES.myGroups)}>
          <Text className='me-menu-icon'>团</Text>
          <Text className='me-menu-text'>我的拼团</Text>
          <Text className='me-menu-hint'>开的团、参的团</Text>
          <Text className='me-menu-arrow'>›</Text>
        </View>
        <View className='me-menu-item me-inbox' onClick={() => void openSignedIn(ROUTES.inbox)}>
          <Text className='me-menu-icon'>信</Text>
          <Text className='me-menu-text'>消息</Text>
          {session && unread ? <Text className='me-menu-badge me-unread-count'>{unread > 99 ? '99+' : unread}</Text> : null}
          <Text className='me-menu-arrow'>›</Text>
        </View>
        <View className='me-menu-item me-coupon-center' onClick={() => void Taro.navigateTo({ url: ROUTES.couponCenter })}>
          <Text className='me-menu-icon'>券</Text>
          <Text className='me-menu-text'>领券中心</Text>
          <Text className='me-menu-hint'>好券天天领</Text>
          <Text className='me-menu-arrow'>›</Text>
        </View>
        <View className='me-menu-item me-my-coupons' onClick={() => void openSignedIn(ROUTES.myCoupons)}>
          <Text className='me-menu-icon'>惠</Text>
          <Text className='me-menu-text'>我的优惠券</Text>
          {session && couponCount ? <Text className='me-menu-badge me-coupon-count'>{couponCount > 99 ? '99+' : couponCount}</Text> : null}
          <Text className='me-menu-arrow'>›</Text>
        </View>
        <View className='me-menu-item me-my-rewards' onClick={() => void openSignedIn(ROUTES.myRewards)}>
          <Text className='me-menu-icon'>佣</Text>
          <Text className='me-menu-text'>我的收益</Text>
          <Text className='me-menu-hint'>佣金、提现</Text>
          <Text className='me-menu-arrow'>›</Text>
        </View>
        <View className='me-menu-item me-my-shares' onClick={() => void Taro.navigateTo({ url: ROUTES.myShares })}>
          <Text className='me-menu-icon'>享</Text>
          <Text className='me-menu-text'>我的分享</Text>
          <Text className='me-menu-hint'>浏览、新用户、订单</Text>
          <Text className='me-menu-arrow'>›</Text>
        </View>
        <View className='me-menu-item me-pickup-point' onClick={() => void Taro.navigateTo({ url: ROUTES.pickupPoints() })}>
          <Text className='me-menu-icon'>提</Text>
          <Text className='me-menu-text'>我的自提点</Text>
          <Text className='me-menu-hint'>离我最近的团长</Text>
          <Text className='me-menu-arrow'>›</Text>
        </View>
        <View
          className='me-menu-item me-leader'
          onClick={() => void openSignedIn(leader?.status === 'approved' || leader?.status === 'suspended' ? ROUTES.leaderCentre : ROUTES.leaderApply)}
        >
          <Text className='me-menu-icon'>长</Text>
          <Text className='me-menu-text'>{leader?.status === 'approved' || leader?.status === 'suspended' ? '团长中心' : '申请成为团长'}</Text>
          <Text className='me-menu-hint me-leader-hint'>
            {leader?.status === 'applied' ? '审核中' : leader?.status === 'rejected' ? '未通过，可重新申请' : leader?.status === 'suspended' ? '已暂停' : leader ? '' : '开个自提点，赚佣金'}
          </Text>
          <Text className='me-menu-arrow'>›</Text>
        </View>
        <View className='me-menu-item me-addresses' onClick={() => void openSignedIn(ROUTES.addresses)}>
          <Text className='me-menu-icon'>址</Text>
          <Text className='me-menu-text'>收货地址</Text>
          <Text className='me-menu-arrow'>›</Text>
        </View>
      </View>

      <View className='me-actions'>
        {session ? (
          <>
            {IS_H5 ? (
              <Button className='btn btn-ghost btn-block me-switch' onClick={switchUser}>
                切换用户
              </Button>
            ) : null}
            <Button className='btn btn-ghost btn-block me-logout' onClick={() => void logout()}>
              退出登录
            </Button>
          </>
        ) : (
          <Button className='btn btn-block me-login' id='me-login' loading={flag(busy)} onClick={() => void login()}>
            {IS_H5 ? '登录（选择开发用户）' : '微信一键登录'}
          </Button>
        )}
      </View>
    </View>
  )
}
