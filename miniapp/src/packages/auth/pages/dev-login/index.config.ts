export default definePageConfig({
  navigationBarTitleText: '选择开发用户',
})
