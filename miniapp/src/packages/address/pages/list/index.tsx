import Taro, { useRouter } from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import type { AddressView } from '@tuan/shared/schemas'
import { deleteAddress, listAddresses, setDefaultAddress } from '../../../../api/address'
import { showErrorToast } from '../../../../api/request'
import { requireLogin, useSession } from '../../../../auth'
import { Empty, ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { addressLine, chooseAddress } from '../../../../utils/address'
import { ROUTES } from '../../../../utils/routes'
import '../../address.css'
import { flag } from '../../../../utils/flag'
import { useDidReshow } from '../../../../hooks/useDidReshow'

/** 收货地址: my address book; opened from checkout (`select=1`) tapping an address picks it. */
export default function AddressList() {
  const selecting = useRouter().params.select === '1'
  const session = useSession()
  const list = useApi(() => listAddresses(), [session?.user?.id], { enabled: !!session })
  useDidReshow(() => {
    if (session) void list.reload()
  })

  if (!session) return <ErrorState text='请先登录' back={{ text: '去登录', onClick: () => void requireLogin() }} />
  if (list.error && !list.data) return <ErrorState error={list.error} onRetry={() => void list.reload()} />
  if (!list.data) return <Loading />
  const { items, max } = list.data

  const pick = (a: AddressView) => {
    if (!selecting) return
    chooseAddress(a.id)
    void Taro.navigateBack()
  }
  const makeDefault = async (a: AddressView) => {
    try {
      await setDefaultAddress(a.id)
      await list.reload()
    } catch (e) {
      showErrorToast(e)
    }
  }
  const remove = async (a: AddressView) => {
    const { confirm } = await Taro.showModal({ title: '删除地址', content: '确定删除这个收货地址吗？已下的订单不受影响。', confirmText: '删除', cancelText: '取消' })
    if (!confirm) return
    try {
      await deleteAddress(a.id)
      await list.reload()
    } catch (e) {
      showErrorToast(e)
    }
  }

  return (
    <View className='addr-page'>
      {items.length === 0 ? (
        <Empty text='还没有收货地址' hint='添加一个地址，下单时就能直接使用' />
      ) : (
        items.map((a) => (
          <View key={a.id} className={`addr-card addr-card-${a.id}${a.isDefault ? ' is-default' : ''}`} onClick={() => pick(a)}>
            <View className='addr-card-head'>
              <Text className='addr-name'>{a.name}</Text>
              <Text className='addr-phone'>{a.phoneMasked}</Text>
              {a.isDefault ? <Text className='addr-default-tag'>默认</Text> : null}
            </View>
            <Text className='addr-line'>{addressLine(a)}</Text>
            <View className='addr-card-actions' onClick={(e) => e.stopPropagation()}>
              {a.isDefault ? null : (
                <Text className='addr-action addr-set-default' onClick={() => void makeDefault(a)}>
                  设为默认
                </Text>
              )}
              <Text className='addr-action addr-edit' onClick={() => void Taro.navigateTo({ url: ROUTES.addressEdit(a.id) })}>
                编辑
              </Text>
              <Text className='addr-action addr-delete' onClick={() => void remove(a)}>
                删除
              </Text>
            </View>
          </View>
        ))
      )}
      <View className='addr-bar-space' />
      <View className='addr-bar bottom-bar'>
        <Button className='btn addr-add' disabled={flag(items.length >= max)} onClick={() => void Taro.navigateTo({ url: ROUTES.addressEdit() })}>
          {items.length >= max ? `最多 ${max} 个地址` : '新增收货地址'}
        </Button>
      </View>
    </View>
  )
}
