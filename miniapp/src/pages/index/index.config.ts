export default definePageConfig({
  navigationBarTitleText: '团 · 社区团购',
  enablePullDownRefresh: true,
  onReachBottomDistance: 100,
})
