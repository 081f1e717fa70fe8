export default definePageConfig({
  navigationBarTitleText: '团长中心',
  enableShareAppMessage: true,
})
