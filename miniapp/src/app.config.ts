export default defineAppConfig({
  pages: ['pages/index/index', 'pages/orders/index', 'pages/me/index', 'pages/not-found/index'],
  subPackages: [
    { root: 'packages/catalog', pages: ['pages/product/index'] },
    { root: 'packages/auth', pages: ['pages/dev-login/index'] },
    { root: 'packages/groupbuy', pages: ['pages/campaign/index', 'pages/group/index', 'pages/mine/index'] },
    { root: 'packages/order', pages: ['pages/checkout/index', 'pages/pay/index', 'pages/detail/index'] },
    { root: 'packages/coupon', pages: ['pages/center/index', 'pages/mine/index'] },
    { root: 'packages/share', pages: ['pages/pack/index', 'pages/mine/index'] },
    { root: 'packages/address', pages: ['pages/list/index', 'pages/edit/index'] },
    { root: 'packages/aftersale', pages: ['pages/apply/index', 'pages/detail/index'] },
    { root: 'packages/notification', pages: ['pages/inbox/index'] },
    { root: 'packages/rewards', pages: ['pages/mine/index', 'pages/withdraw/index'] },
    { root: 'packages/leader', pages: ['pages/points/index', 'pages/apply/index', 'pages/index/index', 'pages/orders/index', 'pages/batches/index', 'pages/batch/index', 'pages/verify/index', 'pages/earnings/index'] },
  ],
  // WeChat refuses `getLocation` unless the app declares it (requiredPrivateInfos) and says why it
  // asks (the permission prompt shows `desc`): the pickup-point chooser sorts points nearest first,
  // and a leader's application takes the point's coordinates.
  permission: {
    'scope.userLocation': { desc: '用于为你推荐附近的自提点，以及团长登记自提点位置' },
  },
  requiredPrivateInfos: ['getLocation'],
  window: {
    backgroundTextStyle: 'dark',
    backgroundColor: '#f5f5f5',
    navigationBarBackgroundColor: '#ff5a1f',
    navigationBarTitleText: '团',
    navigationBarTextStyle: 'white',
  },
  tabBar: {
    color: '#8a8a8a',
    selectedColor: '#ff5a1f',
    backgroundColor: '#ffffff',
    borderStyle: 'white',
    list: [
      { pagePath: 'pages/index/index', text: '首页', iconPath: 'assets/tabbar/home.png', selectedIconPath: 'assets/tabbar/home-active.png' },
      { pagePath: 'pages/orders/index', text: '订单', iconPath: 'assets/tabbar/orders.png', selectedIconPath: 'assets/tabbar/orders-active.png' },
      { pagePath: 'pages/me/index', text: '我的', iconPath: 'assets/tabbar/me.png', selectedIconPath: 'assets/tabbar/me-active.png' },
    ],
  },
})
