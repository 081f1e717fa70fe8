import { Text, View } from '@tarojs/components'
import './index.css'

/** Placeholder until ordering ships. */
export default function Orders() {
  return (
    <View className='orders-coming'>
      <View className='orders-coming-icon'>
        <Text>单</Text>
      </View>
      <Text className='orders-coming-title'>订单功能即将上线</Text>
      <Text className='orders-coming-hint'>拼团下单、自提码与订单详情都会出现在这里，敬请期待</Text>
    </View>
  )
}
