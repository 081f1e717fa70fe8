/** The payout module's public face: a stateless adapter to WeChat Pay 商家转账 (and its sandbox). */
export {
  FINAL_PAYOUT_STATES,
  PAYOUT_NOTIFY_PATH,
  PAYOUT_STATES,
  PayoutRefusedError,
  PayoutUnclearError,
  type PayoutNotice,
  type PayoutProvider,
  type PayoutRequest,
  type PayoutResult,
  type PayoutState,
} from './payout.provider';
export { createPayoutProvider, type PayoutConfig, type PayoutProviderName } from './payout.factory';
export { SandboxPayoutProvider, type SandboxMove, type SandboxPayoutOptions } from './sandbox.provider';
export { WechatPayoutProvider, type WechatPayoutOptions } from './wechat.provider';
