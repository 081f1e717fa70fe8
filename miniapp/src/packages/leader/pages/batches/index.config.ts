export default definePageConfig({
  navigationBarTitleText: '配送批次',
  enablePullDownRefresh: true,
})
