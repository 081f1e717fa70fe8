import Taro from '@tarojs/taro'
import type { AddressView } from '@tuan/shared/schemas'

const CHOSEN_KEY = 'tuan.checkout.addressId'

/** The address picked in the address book for the checkout that opened it (read once, then forgotten). */
export function takeChosenAddress(): number | null {
  const id = Number(Taro.getStorageSync(CHOSEN_KEY) || 0)
  if (id) Taro.removeStorageSync(CHOSEN_KEY)
  return id > 0 ? id : null
}

export function chooseAddress(id: number): void {
  Taro.setStorageSync(CHOSEN_KEY, id)
}

/** 广东省 深圳市 南山区 科技园 1 号 */
export function addressLine(a: Pick<AddressView, 'province' | 'city' | 'district' | 'detail'>): string {
  return `${a.province} ${a.city} ${a.district} ${a.detail}`
}
