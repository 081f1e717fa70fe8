import { useState } from 'react'
import Taro from '@tarojs/taro'
import { showErrorToast } from '../api/request'
import { requireLogin } from '../auth'
import { ROUTES, type CheckoutParams } from '../utils/routes'

/**
 * 开团 / 参团 / 单独购买 buttons: orders are created on the checkout page (coupon and quantity first),
 * so a tap only signs in and goes there. Logged out, the login page opens that checkout afterwards
 * (no second tap). `busy` is the key of the tap in progress, so its button can spin and others wait.
 */
export function useCheckoutEntry(): { busy: string | null; go: (key: string, params: CheckoutParams) => Promise<void> } {
  const [busy, setBusy] = useState<string | null>(null)
  const go = async (key: string, params: CheckoutParams) => {
    if (busy) return
    setBusy(key)
    try {
      const url = ROUTES.checkout(params)
      if (!(await requireLogin({ kind: 'open', url }))) return
      await Taro.navigateTo({ url })
    } catch (e) {
      showErrorToast(e)
    } finally {
      setBusy(null)
    }
  }
  return { busy, go }
}
