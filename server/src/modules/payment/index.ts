/** The payment module's public face. */
export { PaymentService } from './payment.service';
export { paymentNotifyRouter } from './payment.routes';
export {
  createPaymentProvider,
  PaymentProviderError,
  SandboxPaymentProvider,
  type HeaderBag,
  type PaymentProvider,
  type TransactionNotice,
} from './payment.provider';
