/** Page paths in one place, so a moved page breaks the build rather than a link. */
export const ROUTES = {
  home: '/pages/index/index',
  orders: '/pages/orders/index',
  me: '/pages/me/index',
  devLogin: '/packages/auth/pages/dev-login/index',
  product: (id: number) => `/packages/catalog/pages/product/index?id=${id}`,
} as const
