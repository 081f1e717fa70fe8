/** The payment module's public face. */
export { PaymentService } from './payment.service';
export { paymentNotifyRouter } from './payment.routes';
export {
  createPaymentProvider,
  notificationReply,
  PaymentProviderError,
  SandboxPaymentProvider,
  type HeaderBag,
  type PaymentConfig,
  type PaymentProvider,
  type PlatformCert,
  type TransactionNotice,
} from './payment.provider';
// WeChat Pay v3 building blocks the payout module (商家转账) shares, so both speak the same crypto.
export {
  deliverNotification,
  digits,
  ensureSandboxKeys,
  schemaCheck,
  WechatpayClient,
  WechatpayNotificationParser,
  type SandboxKeys,
} from './payment.provider';
export {
  encryptSensitiveField,
  formatRfc3339,
  PaymentNotificationError,
  PlatformKeyring,
  randomAlphanumeric,
  sealNotification,
  toPrivateKey,
} from './wechatpay.crypto';
