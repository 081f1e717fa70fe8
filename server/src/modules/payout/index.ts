/** The payout module's public face: a stateless adapter to WeChat Pay 商家转账 (and its sandbox). */
export {
  FINAL_PAYOUT_STATES,
  PayoutRefusedError,
  PayoutUnclearError,
  type PayoutNotice,
  type PayoutProvider,
  type PayoutRequest,
  type PayoutResult,
  type PayoutState,
} from './payout.provider';
