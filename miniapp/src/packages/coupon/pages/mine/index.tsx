import { useState } from 'react'
import Taro, { useRouter } from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import type { UserCouponView } from '@tuan/shared/schemas'
import { listMyCoupons, type MyCouponTab } from '../../../../api/coupon'
import { useSession } from '../../../../auth'
import { CouponTicket, Empty, ErrorState, ListTabs, Loading, PagedListFooter, LoginPrompt } from '../../../../components'
import { formatDateTime } from '../../../../utils/format'
import { ROUTES } from '../../../../utils/routes'
import { couponScopeText, expiresSoon, openCouponGoods } from '../../../../utils/couponUse'
import { usePagedList } from '../../../../hooks/usePagedList'
import './index.css'

const PAGE_SIZE = 10

const TABS: ReadonlyArray<{ key: MyCouponTab; label: string; empty: string }> = [
  { key: 'available', label: '可用', empty: '暂无可用的优惠券' },
  { key: 'used', label: '已使用', empty: '还没有用过优惠券' },
  { key: 'expired', label: '已过期', empty: '没有过期的优惠券' },
]

const STATUS_ZH: Record<UserCouponView['status'], string> = {
  available: '可使用',
  locked: '待支付订单占用',
  used: '已使用',
  expired: '已过期',
}

function MyCouponCard({ coupon }: { coupon: UserCouponView }) {
  const usable = coupon.status === 'available'
  const locked = coupon.status === 'locked'
  const threshold = coupon.kind === 'no_threshold' || coupon.threshold <= 0 ? '无门槛' : null
  const soon = usable && expiresSoon(coupon.validTo)
  const openOrder = () => {
    if (coupon.orderId) void Taro.navigateTo({ url: ROUTES.orderDetail(coupon.orderId) })
  }
  return (
    <CouponTicket
      className={`my-coupon my-coupon-${coupon.id} my-coupon-tpl-${coupon.templateId} is-${coupon.status}`}
      label={coupon.label}
      name={coupon.name}
      muted={!usable && !locked}
      lines={[
        <Text key='t' className='my-coupon-scope'>
          {threshold ? `${threshold} · ` : ''}
          {couponScopeText(coupon)}
        </Text>,
        <Text key='v' className='my-coupon-valid'>
          有效期至 {formatDateTime(coupon.validTo)}
          {soon ? <Text className='coupon-expiring'> 即将过期</Text> : null}
        </Text>,
      ]}
      side={
        <>
          <Text className={`my-coupon-status my-coupon-status-${coupon.status}`}>{STATUS_ZH[coupon.status]}</Text>
          {usable ? (
            <Button className='btn my-coupon-use' onClick={() => openCouponGoods(coupon)}>
              去使用
            </Button>
          ) : null}
          {locked && coupon.orderId ? (
            <Text className='my-coupon-order' onClick={openOrder}>
              查看订单 ›
            </Text>
          ) : null}
        </>
      }
    />
  )
}

export default function MyCoupons() {
  const session = useSession()
  const loggedIn = !!session
  const initial = useRouter().params.tab
  const [tab, setTab] = useState<MyCouponTab>(TABS.some((t) => t.key === initial) ? (initial as MyCouponTab) : 'available')
  const { items, hasMore, loading, loadingMore, error, reload: loadFirst, loadMore } = usePagedList(
    tab,
    (t, page) => listMyCoupons(t, page, PAGE_SIZE),
    loggedIn,
  )

  const tabInfo = TABS.find((t) => t.key === tab) ?? TABS[0]
  let body
  if (!loggedIn) {
    body = <LoginPrompt name='mc' text='登录后查看优惠券' />
  } else if (loading && items.length === 0) {
    body = <Loading />
  } else if (error && items.length === 0) {
    body = <ErrorState error={error} onRetry={() => void loadFirst()} />
  } else if (items.length === 0) {
    body = (
      <View className='mc-empty empty-with-action'>
        <Empty text={tabInfo.empty} hint={tab === 'available' ? '去领券中心看看' : undefined} />
        {tab === 'available' ? (
          <Button className='btn btn-ghost mc-go-center empty-action' onClick={() => void Taro.navigateTo({ url: ROUTES.couponCenter })}>
            去领券
          </Button>
        ) : null}
      </View>
    )
  } else {
    body = (
      <View className='mc-list'>
        {items.map((c) => (
          <MyCouponCard key={c.id} coupon={c} />
        ))}
        <PagedListFooter hasMore={hasMore} loadingMore={loadingMore} onLoadMore={() => void loadMore()} />
      </View>
    )
  }

  return (
    <View className='my-coupons'>
      <ListTabs tabs={TABS} active={tab} onSelect={setTab} className='mc-tabs' tabClassName={(key) => `mc-tab coupon-tab-${key}`} />
      {body}
    </View>
  )
}
