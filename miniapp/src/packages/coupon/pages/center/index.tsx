import { useRef, useState } from 'react'
import Taro, { useDidShow, usePullDownRefresh } from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import { ErrorCode } from '@tuan/shared/errors'
import { formatFen } from '@tuan/shared/money'
import type { CouponCenterItem } from '@tuan/shared/schemas'
import { claimCoupon, getCouponCenter } from '../../../../api/coupon'
import { isApiError, showErrorToast } from '../../../../api/request'
import { requireLogin, takeLoginIntent, useSession } from '../../../../auth'
import { CouponTicket, Empty, ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { flag } from '../../../../utils/flag'
import { formatDate } from '../../../../utils/format'
import { ROUTES } from '../../../../utils/routes'
import { couponScopeText, openCouponGoods } from '../../../../utils/couponUse'
import './index.css'

const BLOCKED_ZH: Record<NonNullable<CouponCenterItem['blockedBy']>, string> = {
  SOLD_OUT: '已领完',
  LIMIT_REACHED: '已达上限',
  NEW_USERS_ONLY: '仅限新用户',
}

/** Claim errors after which the list no longer tells the truth about that coupon. */
const STALE_CODES: ReadonlySet<string> = new Set([ErrorCode.COUPON_SOLD_OUT, ErrorCode.COUPON_LIMIT_REACHED, ErrorCode.COUPON_NOT_CLAIMABLE, ErrorCode.COUPON_TEMPLATE_NOT_FOUND])

function thresholdText(c: CouponCenterItem): string {
  if (c.kind === 'no_threshold' || c.threshold <= 0) return '无门槛'
  return `满${formatFen(c.threshold)}可用`
}

function validityText(c: CouponCenterItem): string {
  if (c.validity.type === 'relative') return `领取后 ${c.validity.days} 天内有效`
  return `${formatDate(c.validity.from)} 至 ${formatDate(c.validity.to)} 有效`
}

/** The list after one successful claim, until the server's answer replaces it. */
function afterClaim(c: CouponCenterItem): CouponCenterItem {
  const claimedByMe = c.claimedByMe + 1
  const remaining = Math.max(0, c.remaining - 1)
  const blockedBy = claimedByMe >= c.perUserLimit ? 'LIMIT_REACHED' : remaining <= 0 ? 'SOLD_OUT' : null
  return { ...c, claimedByMe, remaining, blockedBy }
}

function CenterCard({ coupon, busy, onClaim }: { coupon: CouponCenterItem; busy: boolean; onClaim: () => void }) {
  const blocked = coupon.blockedBy
  const soldOut = blocked === 'SOLD_OUT'
  // Claimed up to my limit: the next step is to use it, on the goods it applies to.
  const use = coupon.claimedByMe > 0 && blocked === 'LIMIT_REACHED'
  return (
    <CouponTicket
      className={`coupon-card coupon-card-${coupon.id}${blocked ? ` is-blocked is-${blocked.toLowerCase().replace(/_/g, '-')}` : ''}`}
      label={coupon.label}
      name={coupon.name}
      muted={soldOut}
      lines={[
        <Text key='t' className='coupon-card-threshold'>
          {thresholdText(coupon)}
          {coupon.audience === 'new_users' ? ' · 新人专享' : ''}
        </Text>,
        <Text key='s' className='coupon-card-scope'>
          {couponScopeText(coupon)}
        </Text>,
        <Text key='v' className='coupon-card-validity'>
          {validityText(coupon)}
        </Text>,
      ]}
      side={
        <>
          {use ? (
            <Button className={`btn btn-small coupon-use btn-use-${coupon.id}`} onClick={() => openCouponGoods(coupon)}>
              去使用
            </Button>
          ) : (
            <Button className={`btn btn-small coupon-claim btn-claim-${coupon.id}`} disabled={flag(busy || blocked !== null)} loading={flag(busy)} onClick={onClaim}>
              {blocked ? BLOCKED_ZH[blocked] : '领取'}
            </Button>
          )}
          {coupon.claimedByMe > 0 ? (
            <Text className='coupon-card-claimed'>
              已领取 {coupon.claimedByMe}/{coupon.perUserLimit}
            </Text>
          ) : null}
          <Text className='coupon-card-remaining'>{soldOut ? '已抢光' : `剩余 ${coupon.remaining} 张`}</Text>
        </>
      }
    />
  )
}

export default function CouponCenter() {
  const session = useSession()
  const { data, error, reload, setData } = useApi(() => getCouponCenter(), [session?.user?.id ?? 0])
  const [claiming, setClaiming] = useState<number | null>(null)
  const shown = useRef(false)

  // Back from login or from using a coupon: my counts have moved. Back from a login that 领取 asked
  // for: that claim goes on now, without another tap.
  useDidShow(() => {
    const pending = takeLoginIntent('claim')
    if (pending) void claim(pending.templateId)
    else if (shown.current) void reload()
    shown.current = true
  })

  usePullDownRefresh(() => {
    void reload().finally(() => void Taro.stopPullDownRefresh())
  })

  const claim = async (templateId: number) => {
    if (claiming !== null) return
    if (!(await requireLogin({ kind: 'claim', templateId }))) return
    setClaiming(templateId)
    try {
      await claimCoupon(templateId)
      // The list as it will be after this claim; the server's answer replaces it.
      setData((prev) => (prev ? { ...prev, items: prev.items.map((c) => (c.id === templateId ? afterClaim(c) : c)) } : prev))
      void reload()
      void Taro.showToast({ title: '领取成功', icon: 'success' })
    } catch (e) {
      showErrorToast(e)
      if (isApiError(e) && STALE_CODES.has(e.code)) void reload()
    } finally {
      setClaiming(null)
    }
  }

  let body
  if (error && !data) body = <ErrorState error={error} onRetry={() => void reload()} />
  else if (!data) body = <Loading />
  else if (data.items.length === 0) body = <Empty text='暂时没有可领取的优惠券' hint='过会儿再来看看' />
  else
    body = (
      <View className='center-list'>
        {data.items.map((c) => (
          <CenterCard key={c.id} coupon={c} busy={claiming === c.id} onClaim={() => void claim(c.id)} />
        ))}
      </View>
    )

  return (
    <View className='coupon-center'>
      <View className='center-banner'>
        <View className='center-banner-text'>
          <Text className='center-banner-title'>领券中心</Text>
          <Text className='center-banner-sub'>先领券再下单，结算时自动选择最优券</Text>
        </View>
        {session ? (
          <Text className='center-banner-link link-my-coupons' onClick={() => void Taro.navigateTo({ url: ROUTES.myCoupons })}>
            我的优惠券 ›
          </Text>
        ) : null}
      </View>
      {body}
    </View>
  )
}
