import { useEffect, useRef, useState } from 'react'
import Taro, { useDidShow, useRouter } from '@tarojs/taro'
import { Button, Image, ScrollView, Text, View } from '@tarojs/components'
import { ErrorCode } from '@tuan/shared/errors'
import { formatFen } from '@tuan/shared/money'
import type { CampaignView, CheckoutPreviewResponse, OrderView } from '@tuan/shared/schemas'
import { previewCheckout } from '../../../../api/coupon'
import { buySolo, getCampaign, getGroup, joinGroup, launchGroup } from '../../../../api/groupbuy'
import { resolveAssetUrl } from '../../../../api/config'
import { isApiError, showErrorToast } from '../../../../api/request'
import { requireLogin, useSession } from '../../../../auth'
import { CouponTicket, ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { flag } from '../../../../utils/flag'
import { formatDateTime } from '../../../../utils/format'
import { ActionKeys } from '../../../../utils/idempotency'
import { addressLine, takeChosenAddress } from '../../../../utils/address'
import { ROUTES, parseId, type CheckoutKind } from '../../../../utils/routes'
import './index.css'

type CheckoutCoupon = CheckoutPreviewResponse['coupons'][number]

const KIND_ZH: Record<CheckoutKind, string> = { launch: '开团', join: '参团', solo: '单独购买' }
const KINDS: ReadonlySet<string> = new Set(['launch', 'join', 'solo'])

/** The chosen coupon became unusable between preview and submit: preview again. */
const COUPON_CODES: ReadonlySet<string> = new Set([ErrorCode.COUPON_NOT_AVAILABLE, ErrorCode.COUPON_EXPIRED, ErrorCode.COUPON_NOT_APPLICABLE, ErrorCode.COUPON_NOT_FOUND])

interface Goods {
  campaign: Omit<CampaignView, 'serverTime'>
}

function CouponPicker({ coupons, selectedId, bestId, onPick, onClose }: { coupons: CheckoutCoupon[]; selectedId: number | null; bestId: number | null; onPick: (id: number | null) => void; onClose: () => void }) {
  // Usable ones first, biggest discount first; the server's order otherwise.
  const sorted = coupons.slice().sort((a, b) => Number(b.applicable) - Number(a.applicable) || b.discount - a.discount)
  return (
    <View className='coupon-picker-mask' onClick={onClose}>
      <View className='coupon-picker' onClick={(e) => e.stopPropagation()}>
        <View className='coupon-picker-head'>
          <Text className='coupon-picker-title'>选择优惠券</Text>
          <Text className='coupon-picker-close' onClick={onClose}>
            ×
          </Text>
        </View>
        <ScrollView className='coupon-picker-list' scrollY>
          {sorted.map(({ coupon, applicable, discount, reason }) => (
            <CouponTicket
              key={coupon.id}
              className={`coupon-option coupon-option-${coupon.id} coupon-option-tpl-${coupon.templateId}${applicable ? ' is-applicable' : ' is-inapplicable'}`}
              label={coupon.label}
              name={coupon.name}
              muted={!applicable}
              selected={selectedId === coupon.id}
              lines={[<Text key='v'>有效期至 {formatDateTime(coupon.validTo)}</Text>]}
              side={
                applicable ? (
                  <>
                    <Text className='coupon-option-discount'>-{formatFen(discount)}</Text>
                    {coupon.id === bestId ? <Text className='coupon-option-best'>最优</Text> : null}
                    <View className={`coupon-option-radio${selectedId === coupon.id ? ' is-on' : ''}`} />
                  </>
                ) : (
                  <Text className='coupon-option-reason'>{reason ?? '不可用'}</Text>
                )
              }
              onClick={applicable ? () => onPick(coupon.id) : undefined}
            />
          ))}
          <View className={`coupon-option-none${selectedId === null ? ' is-on' : ''}`} onClick={() => onPick(null)}>
            <Text>不使用优惠券</Text>
            <View className={`coupon-option-radio${selectedId === null ? ' is-on' : ''}`} />
          </View>
        </ScrollView>
      </View>
    </View>
  )
}

export default function Checkout() {
  const params = useRouter().params
  const kind = (KINDS.has(params.kind ?? '') ? params.kind : null) as CheckoutKind | null
  const campaignId = parseId(params.campaignId)
  const groupId = parseId(params.groupId)
  const quantity = parseId(params.quantity) ?? 1
  const valid = kind !== null && (kind === 'join' ? groupId !== null : campaignId !== null)
  const session = useSession()
  const userId = session?.user?.id ?? 0

  const goods = useApi<Goods>(
    async () => (kind === 'join' ? { campaign: (await getGroup(groupId as number)).campaign } : { campaign: await getCampaign(campaignId as number) }),
    [kind, campaignId, groupId],
    { enabled: valid },
  )
  /** The address picked in the address book; undefined: my default (the preview says which). */
  const [addressId, setAddressId] = useState<number | undefined>(undefined)
  const preview = useApi(
    () => previewCheckout({ kind: kind as CheckoutKind, campaignId: campaignId ?? undefined, groupId: groupId ?? undefined, quantity, addressId }),
    [kind, campaignId, groupId, quantity, userId, addressId],
    { enabled: valid && userId > 0 },
  )
  const p = preview.data
  // Back from the address book: take what was picked there, or look again (an address was added or changed).
  const shown = useRef(false)
  useDidShow(() => {
    if (!shown.current) {
      shown.current = true
      return
    }
    const chosen = takeChosenAddress()
    if (chosen && chosen !== addressId) setAddressId(chosen)
    else if (valid && userId > 0) void preview.reload()
  })

  /** undefined until the user picks: then the server's best coupon applies. */
  const [picked, setPicked] = useState<number | null | undefined>(undefined)
  const [pickerOpen, setPickerOpen] = useState(false)
  const [submitting, setSubmitting] = useState(false)
  const keys = useRef(new ActionKeys()).current

  // A fresh preview (e.g. after a coupon error) may no longer hold the pick.
  useEffect(() => {
    if (p && picked != null && !p.coupons.some((c) => c.coupon.id === picked && c.applicable)) setPicked(undefined)
  }, [p, picked])

  useEffect(() => {
    if (valid && !session) void requireLogin()
  }, [valid, session])

  if (!valid) return <ErrorState text='订单信息有误' onRetry={() => void Taro.switchTab({ url: ROUTES.home })} retryText='去首页看看' />
  if (!session) return <ErrorState text='请先登录' onRetry={() => void requireLogin()} retryText='去登录' />
  if (preview.error && !p) return <ErrorState error={preview.error} onRetry={() => void preview.reload()} />
  if (!p) return <Loading />

  const selectedId = picked === undefined ? p.bestCouponId : picked
  const selected = selectedId === null ? null : p.coupons.find((c) => c.coupon.id === selectedId && c.applicable) ?? null
  const discount = selected ? selected.discount : 0
  const payable = Math.max(1, p.goodsAmount - discount)
  const usable = p.coupons.filter((c) => c.applicable).length
  const campaign = goods.data?.campaign

  let couponText: string
  if (selected) couponText = `-${formatFen(discount)}${selected.coupon.id === p.bestCouponId ? ' (已选最优)' : ''}`
  else if (usable > 0) couponText = `${usable} 张可用`
  else couponText = p.coupons.length > 0 ? '暂无可用' : '暂无优惠券'

  const address = p.address
  const submit = async () => {
    if (submitting || !kind) return
    if (!(await requireLogin())) return
    if (!address) {
      void Taro.showToast({ title: '请先添加收货地址', icon: 'none' })
      return
    }
    setSubmitting(true)
    const couponId = selected?.coupon.id ?? null
    const create = (key: string): Promise<OrderView> => {
      if (kind === 'join') return joinGroup(groupId as number, quantity, key, couponId, address.id)
      if (kind === 'launch') return launchGroup(campaignId as number, quantity, key, couponId, address.id)
      return buySolo(campaignId as number, quantity, key, couponId, address.id)
    }
    try {
      const order = await keys.run(`${kind}-${couponId ?? 'none'}-${address.id}`, create)
      // Replace this page: back from payment goes to the campaign or group, not to a spent checkout.
      await Taro.redirectTo({ url: ROUTES.pay(order.id) })
    } catch (e) {
      showErrorToast(e)
      if (isApiError(e) && COUPON_CODES.has(e.code)) {
        setPicked(undefined)
        void preview.reload()
      }
      setSubmitting(false)
    }
  }

  return (
    <View className='checkout'>
      {address ? (
        <View className='co-section co-address' onClick={() => void Taro.navigateTo({ url: ROUTES.chooseAddress })}>
          <View className='co-address-info'>
            <Text className='co-address-who'>
              {address.name} {address.phoneMasked}
            </Text>
            <Text className='co-address-line'>{addressLine(address)}</Text>
          </View>
          <Text className='co-arrow'>›</Text>
        </View>
      ) : (
        <View className='co-section co-address co-address-missing' onClick={() => void Taro.navigateTo({ url: ROUTES.addressEdit() })}>
          <Text className='co-address-add'>+ 添加收货地址</Text>
          <Text className='co-arrow'>›</Text>
        </View>
      )}

      <View className='co-section co-goods'>
        {campaign?.image ? <Image className='co-goods-image' src={resolveAssetUrl(campaign.image)} mode='aspectFill' /> : <View className='co-goods-image' />}
        <View className='co-goods-info goods-info'>
          <Text className='co-goods-title'>{campaign?.title ?? ''}</Text>
          {campaign?.specLabel ? <Text className='co-goods-spec'>{campaign.specLabel}</Text> : null}
          <View className='co-goods-bottom'>
            <Text className='co-goods-kind'>{KIND_ZH[kind as CheckoutKind]}</Text>
            <Text className='co-goods-unit'>
              {formatFen(p.unitPrice)} × {p.quantity}
            </Text>
          </View>
        </View>
      </View>

      <View className='co-section'>
        <View className='co-row'>
          <Text className='co-label'>商品金额</Text>
          <Text className='co-goods-amount'>{formatFen(p.goodsAmount)}</Text>
        </View>
        <View className={`co-row co-coupon-row${selected ? ' has-coupon' : ''}`} onClick={() => setPickerOpen(true)}>
          <Text className='co-label'>优惠券</Text>
          <View className='co-coupon-value'>
            <Text className={`co-coupon-text${selected ? ' is-on' : ''}`}>{couponText}</Text>
            <Text className='co-arrow'>›</Text>
          </View>
        </View>
        <View className='co-row'>
          <Text className='co-label'>应付</Text>
          <Text className='co-payable-line'>{formatFen(payable)}</Text>
        </View>
      </View>

      <Text className='co-note'>下单后请在支付时限内完成支付；取消或超时未付，优惠券自动退回。</Text>

      <View className='co-bar-space' />
      <View className='co-bar bottom-bar'>
        <View className='co-bar-total'>
          <Text className='co-bar-label'>合计</Text>
          <Text className='co-payable'>{formatFen(payable)}</Text>
          {discount > 0 ? <Text className='co-bar-saved'>已优惠 {formatFen(discount)}</Text> : null}
        </View>
        <Button className='btn btn-submit-order' disabled={flag(submitting || !address)} loading={flag(submitting)} onClick={() => void submit()}>
          提交订单
        </Button>
      </View>

      {pickerOpen ? (
        <CouponPicker
          coupons={p.coupons}
          selectedId={selected?.coupon.id ?? null}
          bestId={p.bestCouponId}
          onPick={(id) => {
            setPicked(id)
            setPickerOpen(false)
          }}
          onClose={() => setPickerOpen(false)}
        />
      ) : null}
    </View>
  )
}
