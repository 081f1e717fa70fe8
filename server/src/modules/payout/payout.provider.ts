import type { HeaderBag } from '../payment';

/**
 * The payout seam (issue 10): how money leaves the platform to a beneficiary's WeChat wallet.
 *
 * The rewards module owns withdrawals and their states; it talks only to {@link PayoutProvider}.
 * Which implementation runs is configuration (`PAYOUT_PROVIDER`):
 * - `wechat`: WeChat Pay 商家转账 (`POST /v3/fund-app/mch-transfer/transfer-bills`, scene 1005 佣金报酬),
 *   signed requests and signed, encrypted callbacks — the same v3 crypto as payments.
 * - `sandbox`: development and h5; follows the same states and signs its callbacks with the sandbox
 *   platform key, so the callback path is the production one.
 *
 * This module owns no table: it is a stateless adapter. Idempotency is WeChat's: `outBillNo` is the key,
 * and after an unclear answer (timeout, 5xx, network) the caller must `query` the same number and never
 * send a new one ({@link PayoutUnclearError}).
 */

/** WeChat's transfer-bill states. SUCCESS, FAIL and CANCELLED are final. */
export type PayoutState =
  | 'ACCEPTED'
  | 'PROCESSING'
  | 'WAIT_USER_CONFIRM'
  | 'TRANSFERING'
  | 'SUCCESS'
  | 'FAIL'
  | 'CANCELING'
  | 'CANCELLED';

export const FINAL_PAYOUT_STATES: readonly PayoutState[] = ['SUCCESS', 'FAIL', 'CANCELLED'];

export const PAYOUT_STATES: readonly PayoutState[] = [
  'ACCEPTED',
  'PROCESSING',
  'WAIT_USER_CONFIRM',
  'TRANSFERING',
  'SUCCESS',
  'FAIL',
  'CANCELING',
  'CANCELLED',
];

/**
 * Where this deployment receives MCHTRANSFER.BILL.FINISHED callbacks (PUBLIC_URL + this path unless
 * PAYOUT_NOTIFY_URL says otherwise). The module that owns withdrawals registers the route.
 */
export const PAYOUT_NOTIFY_PATH = '/api/payouts/wechat/notify';

export interface PayoutRequest {
  /** Our payout number: 5–32 of `[A-Za-z0-9]`; unique per merchant; reused for every retry of one payout. */
  outBillNo: string;
  /** The beneficiary's openid under the mini-program appid. */
  openid: string;
  /** Fen, ≥ 1 (WeChat's minimum is 0.1 yuan for most scenes; the provider refuses below). */
  amount: number;
  /** Shown to the user (transfer_remark, ≤ 32 characters). */
  remark: string;
  /** Scene 1005 佣金报酬 report fields: 岗位类型 and 报酬说明. */
  report: { jobType: string; rewardDescription: string };
  /** Real name (encrypted with the platform key by the wechat provider); required by WeChat from 2,000 yuan. */
  userName?: string;
}

export interface PayoutResult {
  outBillNo: string;
  /** WeChat's transfer_bill_no, once it exists. */
  transferBillNo: string | null;
  state: PayoutState;
  /** Present in WAIT_USER_CONFIRM: what the mini-program passes to `wx.requestMerchantTransfer`. */
  packageInfo: string | null;
  /** WeChat's fail_reason code when FAIL (e.g. 'TRANSFER_RISK'), else null. */
  failReason: string | null;
  /** Fen as WeChat recorded the bill (the caller checks it against its own payout); null if not sent. */
  amount: number | null;
  /** The beneficiary's openid as WeChat recorded it; null if not sent. */
  openid: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** A verified, decrypted MCHTRANSFER.BILL.FINISHED callback. */
export interface PayoutNotice extends PayoutResult {
  /** WeChat's notification id (the same across its retries). */
  notificationId: string;
}

export interface PayoutProvider {
  readonly name: 'wechat' | 'sandbox';
  /** Starts (or, for the same `outBillNo`, re-asks) a transfer. Throws {@link PayoutUnclearError} when the answer is unknown. */
  transfer(request: PayoutRequest): Promise<PayoutResult>;
  /** The transfer's current state; null when WeChat knows no bill with that number (NOT_FOUND). */
  query(outBillNo: string): Promise<PayoutResult | null>;
  /** Asks to cancel a transfer not yet confirmed by the user (→ CANCELING → CANCELLED). */
  cancel(outBillNo: string): Promise<PayoutResult>;
  /** Verifies the signature and decrypts a callback; throws on anything not genuine. */
  parseNotification(headers: HeaderBag, rawBody: string): Promise<PayoutNotice>;
}

/** The provider's answer is unknown (timeout, network error, 5xx, SYSTEM_ERROR): query, never re-send with a new number. */
export class PayoutUnclearError extends Error {
  readonly code = 'PAYOUT_UNCLEAR';
}

/** The provider refused the request outright (4xx with a business code, e.g. NOT_ENOUGH, INVALID_REQUEST). */
export class PayoutRefusedError extends Error {
  readonly code = 'PAYOUT_REFUSED';
  constructor(
    readonly providerCode: string,
    message: string,
  ) {
    super(message);
  }
}
