import { useEffect, useRef, useState } from 'react'
import Taro, { useDidShow, useRouter } from '@tarojs/taro'
import { Button, Image, ScrollView, Text, View } from '@tarojs/components'
import { ErrorCode } from '@tuan/shared/errors'
import { formatFen } from '@tuan/shared/money'
import type { CampaignView, CheckoutPreviewResponse, FulfilmentChoice, GroupView, OrderView } from '@tuan/shared/schemas'
import { previewCheckout } from '../../../../api/coupon'
import { buySolo, getCampaign, getGroup, joinGroup, launchGroup, listCampaignGroups } from '../../../../api/groupbuy'
import { resolveAssetUrl } from '../../../../api/config'
import { isApiError, showErrorToast } from '../../../../api/request'
import { requireLogin, useSession } from '../../../../auth'
import { Avatar, CountdownText, CouponTicket, ErrorState, Loading } from '../../../../components'
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
  /** The group being joined (参团 only), as it was when the page opened. */
  group?: GroupView
}

/** The group filled or closed while the shopper was here (参团), or 开团 met my own open group. */
type Blocked = { kind: 'full' } | { kind: 'mine'; groupId: number; orderId: number | null; status: string }

/** Codes after which this group cannot be joined any more: offer the campaign's other groups. */
const GROUP_GONE_CODES: ReadonlySet<string> = new Set([ErrorCode.GROUP_FULL, ErrorCode.GROUP_NOT_JOINABLE])

/** The most units this order may have: the campaign's per-order and per-user limits and what is left. */
function maxQuantity(c: Pick<CampaignView, 'limits' | 'stockLeft'>): number {
  return Math.max(1, Math.min(c.limits.perOrder, c.limits.unitsPerUser, c.stockLeft))
}

function alreadyOpen(e: unknown): Blocked | null {
  if (!isApiError(e) || e.code !== ErrorCode.GROUP_ALREADY_OPEN) return null
  const d = (e.details ?? {}) as { groupId?: unknown; orderId?: unknown; status?: unknown }
  if (typeof d.groupId !== 'number') return null
  return { kind: 'mine', groupId: d.groupId, orderId: typeof d.orderId === 'number' ? d.orderId : null, status: typeof d.status === 'string' ? d.status : 'open' }
}

/**
 * The way on when this order cannot be placed as it is: the campaign's other open groups (or 开团)
 * when the group filled, or the group I already have open when 开团 met it — right here, not a toast.
 */
function BlockedPanel({ blocked, campaign, excludeGroupId, quantity }: { blocked: Blocked; campaign: Omit<CampaignView, 'serverTime'>; excludeGroupId: number | null; quantity: number }) {
  const others = useApi(() => listCampaignGroups(campaign.id), [campaign.id], { enabled: blocked.kind === 'full' })
  if (blocked.kind === 'mine') {
    const unpaid = blocked.status === 'pending' && blocked.orderId !== null
    return (
      <View className='co-section co-blocked co-blocked-mine'>
        <Text className='co-blocked-title'>你在这个活动已有一个{unpaid ? '待支付的' : '进行中的'}团</Text>
        <Text className='co-blocked-hint'>{unpaid ? '支付后即开团，邀请好友来参团吧' : '邀请好友参团，成团后可以再开新团'}</Text>
        {unpaid ? (
          <Button className='btn btn-block co-blocked-pay' onClick={() => void Taro.redirectTo({ url: ROUTES.pay(blocked.orderId as number) })}>
            去支付
          </Button>
        ) : null}
        <Button className={`btn btn-block co-blocked-my-group${unpaid ? ' btn-ghost' : ''}`} onClick={() => void Taro.redirectTo({ url: ROUTES.group(blocked.groupId) })}>
          查看我的团
        </Button>
      </View>
    )
  }
  const groups = (others.data?.items ?? []).filter((g) => g.id !== excludeGroupId && g.seatsLeft > 0)
  return (
    <View className='co-section co-blocked co-blocked-full'>
      <Text className='co-blocked-title'>这个团已经满员了</Text>
      <Text className='co-blocked-hint'>{groups.length > 0 ? '同活动还有这些团可以直接参加：' : '可以自己开一个团，邀请好友来拼'}</Text>
      {!others.data && !others.error ? <Loading text='正在找其他团…' /> : null}
      {groups.map((g) => (
        <View key={g.id} className={`co-other-group co-other-group-${g.id}`}>
          <Avatar url={g.openerAvatarUrl} nickname={g.openerNickname} />
          <View className='co-other-group-info'>
            <Text className='co-other-group-name'>{g.openerNickname}的团</Text>
            <View className='co-other-group-meta'>
              <Text>还差{g.seatsLeft}人 · </Text>
              <CountdownText deadline={g.deadlineAt} serverTime={others.data?.serverTime ?? g.serverTime} prefix='剩余 ' doneText='已结束' />
            </View>
          </View>
          <Button className='btn btn-small co-other-join' onClick={() => void Taro.redirectTo({ url: ROUTES.checkout({ kind: 'join', groupId: g.id, quantity }) })}>
            去参团
          </Button>
        </View>
      ))}
      <Button className='btn btn-block co-blocked-launch' onClick={() => void Taro.redirectTo({ url: ROUTES.checkout({ kind: 'launch', campaignId: campaign.id, quantity }) })}>
        我来开团 {formatFen(campaign.openerPrice)}
      </Button>
    </View>
  )
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
  const [quantity, setQuantity] = useState(() => parseId(params.quantity) ?? 1)
  const valid = kind !== null && (kind === 'join' ? groupId !== null : campaignId !== null)
  const session = useSession()
  const userId = session?.user?.id ?? 0

  const goods = useApi<Goods>(
    async () => {
      if (kind !== 'join') return { campaign: await getCampaign(campaignId as number) }
      const group = await getGroup(groupId as number)
      return { campaign: group.campaign, group }
    },
    [kind, campaignId, groupId],
    { enabled: valid },
  )
  /** The address picked in the address book; undefined: my default (the preview says which). */
  const [addressId, setAddressId] = useState<number | undefined>(undefined)
  /** 快递配送 or 到店自提; undefined until the shopper switches (then: what the order allows, delivery first). */
  const [modePicked, setModePicked] = useState<'delivery' | 'pickup' | undefined>(undefined)
  const preview = useApi(
    () =>
      previewCheckout({
        kind: kind as CheckoutKind, campaignId: campaignId ?? undefined, groupId: groupId ?? undefined, quantity, addressId,
        ...(modePicked ? { fulfilment: { mode: modePicked } } : {}),
      }),
    [kind, campaignId, groupId, quantity, userId, addressId, modePicked],
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
  const [blocked, setBlocked] = useState<Blocked | null>(null)
  const keys = useRef(new ActionKeys()).current

  // A fresh preview (e.g. after a coupon error) may no longer hold the pick.
  useEffect(() => {
    if (p && picked != null && !p.coupons.some((c) => c.coupon.id === picked && c.applicable)) setPicked(undefined)
  }, [p, picked])

  useEffect(() => {
    if (valid && !session) void requireLogin()
  }, [valid, session])

  if (!valid) return <ErrorState text='订单信息有误' />
  if (!session) return <ErrorState text='请先登录' back={{ text: '去登录', onClick: () => void requireLogin() }} />
  if (preview.error && !p) return <ErrorState error={preview.error} onRetry={() => void preview.reload()} />
  if (!p) return <Loading />

  const selectedId = picked === undefined ? p.bestCouponId : picked
  const selected = selectedId === null ? null : p.coupons.find((c) => c.coupon.id === selectedId && c.applicable) ?? null
  const discount = selected ? selected.discount : 0
  const payable = Math.max(1, p.goodsAmount - discount)
  const usable = p.coupons.filter((c) => c.applicable).length
  const campaign = goods.data?.campaign
  const joinedGroup = goods.data?.group
  // Already full or closed when the page opened (e.g. a stale share link): say so before the form.
  const shownBlocked: Blocked | null = blocked ?? (kind === 'join' && joinedGroup && (joinedGroup.status !== 'open' || joinedGroup.seatsLeft <= 0) && joinedGroup.myRole === null ? { kind: 'full' } : null)
  const maxQty = campaign ? maxQuantity(campaign) : 1
  const step = (delta: number) => {
    const next = Math.min(maxQty, Math.max(1, quantity + delta))
    if (next !== quantity) setQuantity(next)
  }

  let couponText: string
  if (selected) couponText = `-${formatFen(discount)}${selected.coupon.id === p.bestCouponId ? ' (已选最优)' : ''}`
  else if (usable > 0) couponText = `${usable} 张可用`
  else couponText = p.coupons.length > 0 ? '暂无可用' : '暂无优惠券'

  const address = p.address
  const modes = p.fulfilmentModes
  // What this order uses: the shopper's switch if the order allows it, else delivery when allowed, else pickup.
  const mode: 'delivery' | 'pickup' = modePicked && modes.includes(modePicked) ? modePicked : modes.includes('delivery') ? 'delivery' : 'pickup'
  const point = mode === 'pickup' ? p.pickupPoint : null
  const ready = modes.length > 0 && (mode === 'pickup' ? !!point : !!address)
  const submit = async () => {
    if (submitting || !kind) return
    if (!(await requireLogin())) return
    if (!ready) {
      void Taro.showToast({ title: modes.length === 0 ? '该商品暂不支持下单' : mode === 'pickup' ? '请选择自提点' : '请先添加收货地址', icon: 'none' })
      return
    }
    setSubmitting(true)
    const couponId = selected?.coupon.id ?? null
    const fulfilment: FulfilmentChoice | null = mode === 'pickup' && point ? { mode: 'pickup', pointId: point.id } : null
    const addressChoice = address?.id ?? null
    const create = (key: string): Promise<OrderView> => {
      if (kind === 'join') return joinGroup(groupId as number, quantity, key, couponId, addressChoice, fulfilment)
      if (kind === 'launch') return launchGroup(campaignId as number, quantity, key, couponId, addressChoice, fulfilment)
      return buySolo(campaignId as number, quantity, key, couponId, addressChoice, fulfilment)
    }
    try {
      const order = await keys.run(`${kind}-${quantity}-${couponId ?? 'none'}-${mode}-${point?.id ?? address?.id ?? 'none'}`, create)
      // Replace this page: back from payment goes to the campaign or group, not to a spent checkout.
      await Taro.redirectTo({ url: ROUTES.pay(order.id) })
    } catch (e) {
      const mine = alreadyOpen(e)
      if (mine || (kind === 'join' && isApiError(e) && GROUP_GONE_CODES.has(e.code))) {
        setBlocked(mine ?? { kind: 'full' })
        setSubmitting(false)
        return
      }
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
      {modes.length > 1 ? (
        <View className='co-section co-modes'>
          <Text className={`co-mode co-mode-delivery${mode === 'delivery' ? ' is-on' : ''}`} onClick={() => setModePicked('delivery')}>
            快递配送
          </Text>
          <Text className={`co-mode co-mode-pickup${mode === 'pickup' ? ' is-on' : ''}`} onClick={() => setModePicked('pickup')}>
            到店自提
          </Text>
        </View>
      ) : null}
      {modes.length === 0 ? (
        <View className='co-section co-no-mode'>
          <Text className='co-address-line'>该商品暂不支持配送或自提</Text>
        </View>
      ) : mode === 'pickup' ? (
        point ? (
          <View className='co-section co-address co-point' onClick={() => void Taro.navigateTo({ url: ROUTES.choosePickupPoint })}>
            <View className='co-address-info'>
              <Text className='co-address-who co-point-name'>自提点：{point.name}</Text>
              <Text className='co-address-line'>{point.address}</Text>
              {point.openingHours ? <Text className='co-address-line co-point-hours'>营业时间 {point.openingHours} · 截单后次日送达</Text> : null}
            </View>
            <Text className='co-arrow'>›</Text>
          </View>
        ) : (
          <View className='co-section co-address co-address-missing co-point-missing' onClick={() => void Taro.navigateTo({ url: ROUTES.choosePickupPoint })}>
            <Text className='co-address-add'>请选择自提点</Text>
            <Text className='co-arrow'>›</Text>
          </View>
        )
      ) : (
        address ? (
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
        )
      )}

      <View className='co-section co-goods'>
        {campaign?.image ? <Image className='co-goods-image' src={resolveAssetUrl(campaign.image)} mode='aspectFill' /> : <View className='co-goods-image' />}
        <View className='co-goods-info goods-info'>
          <Text className='co-goods-title'>{campaign?.title ?? ''}</Text>
          {campaign?.specLabel ? <Text className='co-goods-spec'>{campaign.specLabel}</Text> : null}
          <View className='co-goods-bottom'>
            <Text className='co-goods-kind'>{KIND_ZH[kind as CheckoutKind]}</Text>
            <Text className='co-goods-unit'>{formatFen(p.unitPrice)}</Text>
          </View>
        </View>
      </View>

      <View className='co-section co-qty-row'>
        <View className='co-qty-label'>
          <Text className='co-label'>购买数量</Text>
          {campaign ? <Text className='co-qty-limit'>每单限购 {campaign.limits.perOrder} 件{campaign.stockLeft < campaign.limits.perOrder ? ` · 仅剩 ${campaign.stockLeft} 件` : ''}</Text> : null}
        </View>
        <View className='co-stepper'>
          <Text className={`co-step co-step-minus${quantity <= 1 ? ' is-disabled' : ''}`} onClick={() => step(-1)}>
            −
          </Text>
          <Text className='co-qty'>{quantity}</Text>
          <Text className={`co-step co-step-plus${quantity >= maxQty ? ' is-disabled' : ''}`} onClick={() => step(1)}>
            +
          </Text>
        </View>
      </View>

      {shownBlocked && campaign ? <BlockedPanel blocked={shownBlocked} campaign={campaign} excludeGroupId={groupId} quantity={quantity} /> : null}

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
        <Button className='btn btn-submit-order' disabled={flag(submitting || !ready || shownBlocked !== null)} loading={flag(submitting)} onClick={() => void submit()}>
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
