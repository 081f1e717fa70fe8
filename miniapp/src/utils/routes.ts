/** What the checkout page is about to create: 开团 / 参团 / 单独购买. */
export type CheckoutKind = 'launch' | 'join' | 'solo'

export interface CheckoutParams {
  kind: CheckoutKind
  campaignId?: number
  groupId?: number
  quantity?: number
}

/** Page paths in one place, so a moved page breaks the build rather than a link. */
export const ROUTES = {
  home: '/pages/index/index',
  orders: '/pages/orders/index',
  me: '/pages/me/index',
  notFound: (path: string) => `/pages/not-found/index?path=${encodeURIComponent(path)}`,
  devLogin: '/packages/auth/pages/dev-login/index',
  product: (id: number) => `/packages/catalog/pages/product/index?id=${id}`,
  campaign: (id: number) => `/packages/groupbuy/pages/campaign/index?id=${id}`,
  group: (id: number) => `/packages/groupbuy/pages/group/index?id=${id}`,
  myGroups: '/packages/groupbuy/pages/mine/index',
  pay: (orderId: number) => `/packages/order/pages/pay/index?id=${orderId}`,
  orderDetail: (orderId: number) => `/packages/order/pages/detail/index?id=${orderId}`,
  checkout: (params: CheckoutParams) => {
    const q = [`kind=${params.kind}`]
    if (params.campaignId) q.push(`campaignId=${params.campaignId}`)
    if (params.groupId) q.push(`groupId=${params.groupId}`)
    if (params.quantity && params.quantity !== 1) q.push(`quantity=${params.quantity}`)
    return `/packages/order/pages/checkout/index?${q.join('&')}`
  },
  addresses: '/packages/address/pages/list/index',
  /** The address book in choosing mode (from checkout): tapping an address picks it and goes back. */
  chooseAddress: '/packages/address/pages/list/index?select=1',
  addressEdit: (id?: number) => `/packages/address/pages/edit/index${id ? `?id=${id}` : ''}`,
  afterSaleApply: (orderId: number) => `/packages/aftersale/pages/apply/index?orderId=${orderId}`,
  afterSale: (id: number) => `/packages/aftersale/pages/detail/index?id=${id}`,
  couponCenter: '/packages/coupon/pages/center/index',
  myCoupons: '/packages/coupon/pages/mine/index',
  sharePack: (params: { id?: number; token?: string }) =>
    `/packages/share/pages/pack/index?${[params.id ? `id=${params.id}` : '', params.token ? `st=${params.token}` : ''].filter(Boolean).join('&')}`,
  myShares: '/packages/share/pages/mine/index',
  inbox: '/packages/notification/pages/inbox/index',
  myRewards: '/packages/rewards/pages/mine/index',
  withdraw: '/packages/rewards/pages/withdraw/index',
  leaderVerify: '/packages/leader/pages/verify/index',
  leaderEarnings: '/packages/leader/pages/earnings/index',
} as const

/** A positive integer id from a route param, or null. */
export function parseId(raw: string | undefined): number | null {
  const n = Number(raw)
  return Number.isSafeInteger(n) && n > 0 ? n : null
}
