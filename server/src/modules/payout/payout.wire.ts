import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { PaymentNotificationError, schemaCheck, WechatpayNotificationParser, type HeaderBag, type PlatformCert } from '../payment';
import { PAYOUT_STATES, PayoutRefusedError, type PayoutNotice, type PayoutRequest, type PayoutResult, type PayoutState } from './payout.provider';

/**
 * What both payout providers share: the input rules WeChat applies (so the sandbox cannot accept what
 * production refuses), the transfer bill in WeChat's wire shape (the sandbox stores its bills in that
 * shape, so both map them here), and the MCHTRANSFER.BILL.FINISHED callback parser.
 */

/** Scene 1005 佣金报酬: the report fields WeChat requires for it, by their fixed `info_type` names. */
export const TRANSFER_SCENE_COMMISSION = '1005';
export const REPORT_JOB_TYPE = '岗位类型';
export const REPORT_REWARD_DESCRIPTION = '报酬说明';

/** WeChat's floor for a transfer (0.1 yuan) and the amount from which a real name is required (2,000 yuan). */
export const MIN_TRANSFER_FEN = 10;
export const USER_NAME_REQUIRED_FROM_FEN = 200_000;
/** `transfer_amount` is an int32 of fen. */
const MAX_TRANSFER_FEN = 2_147_483_647;

export const OUT_BILL_NO = /^[A-Za-z0-9]{5,32}$/;

const chars = (s: string) => [...s].length;

/** Refuses what WeChat would refuse with PARAM_ERROR, before any network round trip. */
export function validatePayoutRequest(r: PayoutRequest): void {
  const bad = (message: string) => new PayoutRefusedError('PARAM_ERROR', message);
  if (!OUT_BILL_NO.test(r.outBillNo)) throw bad('outBillNo must be 5–32 of [A-Za-z0-9]');
  if (!r.openid || chars(r.openid) > 64) throw bad('openid is required (≤ 64 characters)');
  if (!Number.isSafeInteger(r.amount) || r.amount < MIN_TRANSFER_FEN || r.amount > MAX_TRANSFER_FEN) {
    throw bad(`amount must be an integer number of fen in ${MIN_TRANSFER_FEN}..${MAX_TRANSFER_FEN}`);
  }
  if (!r.remark || chars(r.remark) > 32) throw bad('remark must be 1–32 characters');
  if (!r.report?.jobType || chars(r.report.jobType) > 32) throw bad('report.jobType (岗位类型) must be 1–32 characters');
  if (!r.report.rewardDescription || chars(r.report.rewardDescription) > 32) {
    throw bad('report.rewardDescription (报酬说明) must be 1–32 characters');
  }
  if (r.userName !== undefined && (!r.userName || chars(r.userName) > 64)) throw bad('userName must be 1–64 characters when given');
  if (r.amount >= USER_NAME_REQUIRED_FROM_FEN && !r.userName) throw bad('userName is required from 2,000 yuan');
}

export function assertOutBillNo(outBillNo: string): void {
  if (!OUT_BILL_NO.test(outBillNo)) throw new PayoutRefusedError('PARAM_ERROR', 'outBillNo must be 5–32 of [A-Za-z0-9]');
}

const Rfc3339 = z.iso.datetime({ offset: true });
const StateSchema = z.enum(PAYOUT_STATES as [PayoutState, ...PayoutState[]]);

/**
 * A transfer bill as WeChat's query answers it (and as the transfer and cancel answers carry subsets of
 * it). Only `out_bill_no` and `state` are always there; unknown fields are stripped.
 */
export const BillWire = z.object({
  out_bill_no: z.string().min(1),
  transfer_bill_no: z.string().nullish(),
  state: StateSchema,
  package_info: z.string().nullish(),
  fail_reason: z.string().nullish(),
  transfer_amount: z.number().int().nonnegative().nullish(),
  openid: z.string().nullish(),
  create_time: Rfc3339.nullish(),
  update_time: Rfc3339.nullish(),
});
export type BillWire = z.infer<typeof BillWire>;

export function billFromWire(b: BillWire): PayoutResult {
  return {
    outBillNo: b.out_bill_no,
    transferBillNo: b.transfer_bill_no ?? null,
    state: b.state,
    // package_info is only usable while the user can still confirm.
    packageInfo: b.state === 'WAIT_USER_CONFIRM' ? (b.package_info ?? null) : null,
    failReason: b.state === 'FAIL' ? (b.fail_reason ?? null) : null,
    amount: b.transfer_amount ?? null,
    openid: b.openid ?? null,
    createdAt: b.create_time ? new Date(b.create_time) : null,
    updatedAt: b.update_time ? new Date(b.update_time) : null,
  };
}

/** The decrypted MCHTRANSFER.BILL.FINISHED resource. WeChat's samples spell the merchant both ways. */
const FinishedResource = BillWire.extend({
  mch_id: z.string().min(1).optional(),
  mchid: z.string().min(1).optional(),
  transfer_bill_no: z.string().min(1),
  transfer_amount: z.number().int().nonnegative(),
});

export const PAYOUT_EVENT = 'MCHTRANSFER.BILL.FINISHED';
/** `resource.original_type` (and the associated data) of transfer callbacks. */
export const PAYOUT_ORIGINAL_TYPE = 'mch_payment';

/**
 * Verify (platform signature over the raw bytes) → decrypt (APIv3 key) → schema-check, through the
 * payment module's one notification path; then refuse a bill of another merchant.
 */
export class PayoutNotificationParser {
  readonly #parser: WechatpayNotificationParser;
  readonly #mchId: string;

  constructor(opts: {
    platformCerts: ReadonlyArray<PlatformCert | { serial: string; publicKey: KeyObject }>;
    apiV3Key: string | Buffer;
    mchId: string;
    now?: () => number;
  }) {
    this.#parser = new WechatpayNotificationParser(opts);
    this.#mchId = opts.mchId;
  }

  async parse(headers: HeaderBag, rawBody: string | Buffer): Promise<PayoutNotice> {
    const { envelope, plaintext } = this.#parser.open(headers, rawBody, PAYOUT_EVENT, PAYOUT_ORIGINAL_TYPE);
    if (envelope.event_type !== PAYOUT_EVENT) throw new PaymentNotificationError('MALFORMED', `unexpected event ${envelope.event_type.slice(0, 64)}`);
    const bill = schemaCheck(FinishedResource, plaintext, 'transfer bill');
    const mch = bill.mch_id ?? bill.mchid;
    if (mch !== undefined && mch !== this.#mchId) throw new PaymentNotificationError('MALFORMED', 'transfer bill of another merchant');
    return { ...billFromWire(bill), notificationId: envelope.id };
  }
}
