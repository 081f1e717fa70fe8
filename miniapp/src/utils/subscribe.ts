import Taro from '@tarojs/taro'
import { subscribeTemplates } from '../api/notification'

/**
 * Consent for WeChat subscribe messages (拼团结果、发货通知), asked right after a payment — WeChat lets a
 * mini-program ask after the user paid. Weapp only (h5 has the 消息 inbox). The template ids are read
 * before the payment so the request follows the payment at once. Never throws: a refusal, a closed
 * dialog or an error leaves the payment flow as it was (the inbox still gets every message).
 */
export function prepareNotificationConsent(): () => void {
  if (process.env.TARO_ENV !== 'weapp') return () => undefined
  const ids = subscribeTemplates()
    .then((r) => r.templateIds)
    .catch(() => [] as string[])
  return () => {
    void ids.then((tmplIds) => (tmplIds.length ? Taro.requestSubscribeMessage({ tmplIds } as Taro.requestSubscribeMessage.Option) : undefined)).catch(() => undefined)
  }
}
