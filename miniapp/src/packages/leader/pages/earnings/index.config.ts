export default definePageConfig({
  navigationBarTitleText: '团长收益',
})
