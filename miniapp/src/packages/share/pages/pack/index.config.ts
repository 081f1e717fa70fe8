export default definePageConfig({
  navigationBarTitleText: '分享券包',
})
