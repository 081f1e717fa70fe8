import type { KeyObject } from 'node:crypto';
import {
  encryptSensitiveField,
  PaymentProviderError,
  PlatformKeyring,
  toPrivateKey,
  WechatpayClient,
  type HeaderBag,
} from '../payment';
import type { PayoutConfig } from './payout.factory';
import { PayoutRefusedError, PayoutUnclearError, type PayoutNotice, type PayoutProvider, type PayoutRequest, type PayoutResult } from './payout.provider';
import {
  assertOutBillNo,
  BillWire,
  billFromWire,
  PayoutNotificationParser,
  REPORT_JOB_TYPE,
  REPORT_REWARD_DESCRIPTION,
  TRANSFER_SCENE_COMMISSION,
  validatePayoutRequest,
} from './payout.wire';

const BILLS = '/v3/fund-app/mch-transfer/transfer-bills';

export type WechatPayoutOptions = Omit<PayoutConfig, 'provider' | 'sandboxKeyDir' | 'confirmWindowMs'> & { now?: () => number };

/**
 * WeChat Pay 商家转账 (the user-confirmation mode, API of 2025): `POST …/transfer-bills` answers
 * WAIT_USER_CONFIRM with the `package_info` the mini-program hands to `wx.requestMerchantTransfer`;
 * the final state arrives as a MCHTRANSFER.BILL.FINISHED callback or by query.
 *
 * Error policy, the one rule that keeps money from leaving twice: an answer we cannot read — timeout,
 * network, 5xx, SYSTEM_ERROR/FREQUENCY_LIMITED, or a 2xx whose signature or body does not check out —
 * is {@link PayoutUnclearError}: the bill may exist, so the caller queries the same `out_bill_no`
 * (and may repeat the transfer with it), never a new number. Only a 4xx with a business code is
 * {@link PayoutRefusedError}: WeChat looked at it and said no.
 */
export class WechatPayoutProvider implements PayoutProvider {
  readonly name = 'wechat' as const;
  readonly #client: WechatpayClient;
  readonly #parser: PayoutNotificationParser;
  readonly #appId: string;
  readonly #notifyUrl: () => string;
  /** The platform key `user_name` is encrypted with, and its serial for `Wechatpay-Serial`. */
  readonly #encryptFor: { serial: string; key: KeyObject };

  constructor(opts: WechatPayoutOptions) {
    if (!opts.appId || !opts.mchId || !opts.merchantSerialNo) throw new Error('wechat payouts need appId, mchId and merchantSerialNo');
    const keyring = new PlatformKeyring(opts.platformCerts);
    const now = opts.now ?? Date.now;
    this.#client = new WechatpayClient({
      mchId: opts.mchId,
      merchantSerialNo: opts.merchantSerialNo,
      merchantPrivateKey: toPrivateKey(opts.merchantPrivateKeyPem),
      keyring,
      baseUrl: opts.baseUrl,
      timeoutMs: opts.timeoutMs,
      now,
    });
    this.#parser = new PayoutNotificationParser({ platformCerts: opts.platformCerts, apiV3Key: opts.apiV3Key, mchId: opts.mchId, now });
    this.#appId = opts.appId;
    this.#notifyUrl = typeof opts.notifyUrl === 'string' ? () => opts.notifyUrl as string : opts.notifyUrl;
    // The newest certificate is listed first during a rotation (WECHATPAY_PLATFORM_CERTS order).
    const serial = keyring.serials[0]!;
    this.#encryptFor = { serial, key: keyring.get(serial)! };
  }

  async transfer(request: PayoutRequest): Promise<PayoutResult> {
    validatePayoutRequest(request);
    const body = {
      appid: this.#appId,
      out_bill_no: request.outBillNo,
      transfer_scene_id: TRANSFER_SCENE_COMMISSION,
      openid: request.openid,
      ...(request.userName === undefined ? {} : { user_name: encryptSensitiveField(request.userName, this.#encryptFor.key) }),
      transfer_amount: request.amount,
      transfer_remark: request.remark,
      notify_url: this.#notifyUrl(),
      transfer_scene_report_infos: [
        { info_type: REPORT_JOB_TYPE, info_content: request.report.jobType },
        { info_type: REPORT_REWARD_DESCRIPTION, info_content: request.report.rewardDescription },
      ],
    };
    const headers = request.userName === undefined ? undefined : { 'Wechatpay-Serial': this.#encryptFor.serial };
    const bill = await this.#call(() => this.#client.request('POST', BILLS, body, BillWire, headers));
    // The transfer answer leaves out the amount and payee; they are what we sent.
    return billFromWire({ transfer_amount: request.amount, openid: request.openid, ...stripNullish(bill) });
  }

  async query(outBillNo: string): Promise<PayoutResult | null> {
    assertOutBillNo(outBillNo);
    try {
      return billFromWire(await this.#call(() => this.#client.request('GET', `${BILLS}/out-bill-no/${outBillNo}`, undefined, BillWire)));
    } catch (err) {
      if (err instanceof PayoutRefusedError && err.providerCode === 'NOT_FOUND') return null;
      throw err;
    }
  }

  async cancel(outBillNo: string): Promise<PayoutResult> {
    assertOutBillNo(outBillNo);
    return billFromWire(await this.#call(() => this.#client.request('POST', `${BILLS}/out-bill-no/${outBillNo}/cancel`, undefined, BillWire)));
  }

  parseNotification(headers: HeaderBag, rawBody: string): Promise<PayoutNotice> {
    return this.#parser.parse(headers, rawBody);
  }

  /** Maps the client's errors onto the payout policy (see the class comment). */
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof PaymentProviderError)) throw err;
      const refused = !err.retryable && err.httpStatus !== undefined && err.httpStatus >= 400 && err.httpStatus < 500;
      if (refused) throw new PayoutRefusedError(err.code, err.message);
      throw new PayoutUnclearError(`${err.code}: ${err.message}`);
    }
  }
}

/** Drops null/undefined fields, so what WeChat left out does not overwrite what we know. */
function stripNullish<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as T;
}
