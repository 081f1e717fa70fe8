import Taro from '@tarojs/taro'
import type { OrderView } from '@tuan/shared/schemas'
import { getOrder, sandboxPay, startPayment } from '../api/order'
import type { ActionKeys } from './idempotency'
import { prepareNotificationConsent } from './subscribe'

const IS_H5 = process.env.TARO_ENV === 'h5'
const POLL_INTERVAL_MS = 700
const POLL_TIMEOUT_MS = 8000

/** The user closed WeChat's payment sheet: not an error worth a toast. */
export class PaymentCancelled extends Error {
  constructor() {
    super('payment cancelled')
    this.name = 'PaymentCancelled'
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Payment is confirmed by the provider's notification to the server, never by the client, so after
 * paying we read the order until it has left pending_payment (or give up after a few seconds and
 * let the user refresh).
 */
export async function waitForPaymentResult(orderId: number, first?: OrderView): Promise<OrderView> {
  let order = first ?? (await getOrder(orderId))
  const deadline = Date.now() + POLL_TIMEOUT_MS
  while (order.status === 'pending_payment' && Date.now() < deadline) {
    await sleep(POLL_INTERVAL_MS)
    order = await getOrder(orderId)
  }
  return order
}

/**
 * Pays an order: 模拟支付 on h5 (sandbox), Taro.requestPayment on weapp — or the sandbox when the
 * server runs the sandbox provider. Resolves with the order as the server sees it afterwards.
 */
export async function payOrder(orderId: number, keys: ActionKeys): Promise<OrderView> {
  if (IS_H5) {
    const after = await keys.run(`sandbox-pay-${orderId}`, (key) => sandboxPay(orderId, key))
    return waitForPaymentResult(orderId, after)
  }
  const pay = await keys.run(`pay-${orderId}`, (key) => startPayment(orderId, key))
  if (pay.provider === 'sandbox') {
    const after = await keys.run(`sandbox-pay-${orderId}`, (key) => sandboxPay(orderId, key))
    return waitForPaymentResult(orderId, after)
  }
  const askConsent = prepareNotificationConsent()
  try {
    await Taro.requestPayment({
      timeStamp: pay.params.timeStamp,
      nonceStr: pay.params.nonceStr,
      package: pay.params.package,
      signType: pay.params.signType,
      paySign: pay.params.paySign,
    })
  } catch (e) {
    const msg = (e as { errMsg?: string } | null)?.errMsg ?? ''
    if (/cancel/i.test(msg)) throw new PaymentCancelled()
    throw e
  }
  askConsent()
  return waitForPaymentResult(orderId)
}
