import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import {
  deliverNotification,
  digits,
  formatRfc3339,
  PaymentProviderError,
  sealNotification,
  type HeaderBag,
  type SandboxKeys,
} from '../payment';
import { PayoutRefusedError, PayoutUnclearError, type PayoutNotice, type PayoutProvider, type PayoutRequest, type PayoutResult, type PayoutState } from './payout.provider';
import {
  assertOutBillNo,
  BillWire,
  billFromWire,
  PAYOUT_EVENT,
  PAYOUT_ORIGINAL_TYPE,
  PayoutNotificationParser,
  TRANSFER_SCENE_COMMISSION,
  validatePayoutRequest,
} from './payout.wire';

export interface SandboxPayoutOptions {
  /** The payment sandbox's keys: the same platform key signs payment and payout callbacks. */
  keys: SandboxKeys;
  appId: string;
  mchId: string;
  /** Where MCHTRANSFER.BILL.FINISHED callbacks are POSTed (a function: the server's port may be known only later). */
  notifyUrl: string | (() => string);
  /** Timeout of the callback POSTs. */
  timeoutMs: number;
  redis: Redis;
  /** Prefix of every Redis key (default 'tuan:'); bills live at `<prefix>sandbox:payout:{<out_bill_no>}`. */
  redisPrefix?: string;
  /** WeChat closes a transfer the user has not confirmed after 24 h; tests shorten it. */
  confirmWindowMs?: number;
  now?: () => number;
}

/** A sandbox-only state change and the HTTP status the notify URL answered its callback with. */
export interface SandboxMove {
  result: PayoutResult;
  /** null when no callback was sent (the bill was already in the asked state). */
  notifyStatus: number | null;
}

/** Kept as long as WeChat lets a bill be queried (30 days). */
const BILL_TTL_SEC = 30 * 24 * 3600;
const DAY_MS = 24 * 3600_000;

// Compare-and-set on the bill's JSON: a state change applies only to the version it was decided on,
// so two processes confirming and cancelling the same bill end with exactly one of them.
const CAS = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
`;

/** The stored bill: WeChat's query shape plus what the sandbox needs to answer like it. */
type StoredBill = BillWire & { mch_id: string; appid: string; transfer_remark: string; transfer_scene_id: string };

/**
 * Development and h5 stand-in for WeChat Pay 商家转账. It follows WeChat's states — `transfer` answers
 * WAIT_USER_CONFIRM with a package_info, then the user (here: {@link confirm} or {@link fail}, which a
 * development route or a test calls) moves it through TRANSFERING to SUCCESS or FAIL — and it POSTs
 * each final state as a MCHTRANSFER.BILL.FINISHED callback signed with the sandbox platform key and
 * sealed with the sandbox APIv3 key, so the production callback path is the one that runs.
 * Bills live in Redis, so every process (API, worker, a test) sees the same bill.
 */
export class SandboxPayoutProvider implements PayoutProvider {
  readonly name = 'sandbox' as const;
  readonly #keys: SandboxKeys;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #opts: { appId: string; mchId: string; notifyUrl: () => string; timeoutMs: number; confirmWindowMs: number };
  readonly #parser: PayoutNotificationParser;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(opts: SandboxPayoutOptions) {
    this.#keys = opts.keys;
    this.#redis = opts.redis;
    this.#prefix = opts.redisPrefix ?? 'tuan:';
    this.#now = opts.now ?? Date.now;
    this.#opts = {
      appId: opts.appId,
      mchId: opts.mchId,
      notifyUrl: typeof opts.notifyUrl === 'string' ? () => opts.notifyUrl as string : opts.notifyUrl,
      timeoutMs: opts.timeoutMs,
      confirmWindowMs: opts.confirmWindowMs ?? DAY_MS,
    };
    this.#parser = new PayoutNotificationParser({
      platformCerts: [{ serial: opts.keys.platformSerialNo, publicKey: opts.keys.platformPublicKey }],
      apiV3Key: opts.keys.apiV3Key,
      mchId: opts.mchId,
      now: this.#now,
    });
  }

  /**
   * Creates the bill in WAIT_USER_CONFIRM, or returns the bill already made under this number (SET NX:
   * atomic across processes). The same number with another payee or amount is refused, as WeChat does.
   */
  async transfer(request: PayoutRequest): Promise<PayoutResult> {
    validatePayoutRequest(request);
    const nowIso = this.#iso();
    const bill: StoredBill = {
      mch_id: this.#opts.mchId,
      appid: this.#opts.appId,
      out_bill_no: request.outBillNo,
      transfer_bill_no: `1330${digits(`${this.#opts.mchId}:bill:${request.outBillNo}`, 36)}`,
      transfer_scene_id: TRANSFER_SCENE_COMMISSION,
      state: 'WAIT_USER_CONFIRM',
      // Opaque to us as WeChat's is; the mini-program passes it to wx.requestMerchantTransfer.
      package_info: `SANDBOX_${randomBytes(24).toString('base64url')}`,
      transfer_amount: request.amount,
      transfer_remark: request.remark,
      openid: request.openid,
      create_time: nowIso,
      update_time: nowIso,
    };
    const key = this.#key(request.outBillNo);
    if ((await this.#redis.set(key, JSON.stringify(bill), 'EX', BILL_TTL_SEC, 'NX')) === 'OK') return billFromWire(bill);
    const stored = await this.#load(request.outBillNo);
    if (!stored) throw new PayoutUnclearError('sandbox bill vanished; query again');
    if (stored.bill.openid !== request.openid || stored.bill.transfer_amount !== request.amount) {
      throw new PayoutRefusedError('INVALID_REQUEST', 'out_bill_no already used with a different payee or amount');
    }
    return billFromWire(stored.bill);
  }

  async query(outBillNo: string): Promise<PayoutResult | null> {
    assertOutBillNo(outBillNo);
    const stored = await this.#load(outBillNo);
    return stored ? billFromWire(stored.bill) : null;
  }

  /**
   * Like WeChat: a bill the user has not confirmed can be cancelled; WeChat answers CANCELING and calls
   * back CANCELLED later. The sandbox records CANCELLED at once, answers CANCELING and POSTs the
   * callback in the background (never inside the caller's await, which may hold locks the callback
   * handler needs). Cancelling a cancelled bill answers its state; a paid or failed one is refused.
   */
  async cancel(outBillNo: string): Promise<PayoutResult> {
    assertOutBillNo(outBillNo);
    const { bill, changed } = await this.#move(outBillNo, ['ACCEPTED', 'PROCESSING', 'WAIT_USER_CONFIRM'], 'CANCELLED', ['CANCELING']);
    if (changed) this.#background(this.#notify(bill));
    return billFromWire(bill.state === 'CANCELLED' && changed ? { ...bill, state: 'CANCELING' } : bill);
  }

  /**
   * Sandbox only — the user confirmed in WeChat's receipt page: WAIT_USER_CONFIRM → TRANSFERING →
   * SUCCESS, then the callback. `hold` stops at TRANSFERING (money in flight) so callers can be tested
   * there; a later confirm finishes it. Confirming a SUCCESS bill again changes and sends nothing.
   */
  async confirm(outBillNo: string, opts: { hold?: boolean } = {}): Promise<SandboxMove> {
    assertOutBillNo(outBillNo);
    const transfering = await this.#move(outBillNo, ['WAIT_USER_CONFIRM', 'TRANSFERING'], 'TRANSFERING', ['SUCCESS']);
    if (opts.hold || transfering.bill.state === 'SUCCESS') return { result: billFromWire(transfering.bill), notifyStatus: null };
    const done = await this.#move(outBillNo, ['TRANSFERING'], 'SUCCESS');
    return { result: billFromWire(done.bill), notifyStatus: done.changed ? await this.#notify(done.bill) : null };
  }

  /** Sandbox only — WeChat gave up (e.g. 'PAYEE_ACCOUNT_ABNORMAL', 'TRANSFER_RISK'): → FAIL, then the callback. */
  async fail(outBillNo: string, reason: string): Promise<SandboxMove> {
    assertOutBillNo(outBillNo);
    if (!/^[A-Z_]{1,64}$/.test(reason)) throw new PayoutRefusedError('PARAM_ERROR', 'reason must be a WeChat fail_reason code');
    const { bill, changed } = await this.#move(outBillNo, ['ACCEPTED', 'PROCESSING', 'WAIT_USER_CONFIRM', 'TRANSFERING'], 'FAIL', [], {
      fail_reason: reason,
    });
    return { result: billFromWire(bill), notifyStatus: changed ? await this.#notify(bill) : null };
  }

  /** Sandbox only — WeChat retries callbacks: POSTs the final state's callback again (same notification id). */
  async resendNotification(outBillNo: string): Promise<number> {
    assertOutBillNo(outBillNo);
    const stored = await this.#load(outBillNo);
    if (!stored || !['SUCCESS', 'FAIL', 'CANCELLED'].includes(stored.bill.state)) {
      throw new PayoutRefusedError('INVALID_REQUEST', 'only a bill in a final state has a callback');
    }
    return this.#notify(stored.bill);
  }

  /** Resolves when every background callback has been sent (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  parseNotification(headers: HeaderBag, rawBody: string): Promise<PayoutNotice> {
    return this.#parser.parse(headers, rawBody);
  }

  /** The callback for a bill in its current state, sealed and signed like WeChat's (not sent). */
  buildNotification(bill: StoredBill) {
    const plaintext = {
      mch_id: bill.mch_id,
      out_bill_no: bill.out_bill_no,
      transfer_bill_no: bill.transfer_bill_no,
      state: bill.state,
      transfer_amount: bill.transfer_amount,
      openid: bill.openid,
      ...(bill.fail_reason ? { fail_reason: bill.fail_reason } : {}),
      create_time: bill.create_time,
      update_time: bill.update_time,
    };
    return sealNotification({
      eventType: PAYOUT_EVENT,
      summary: '商家转账单据终态通知',
      originalType: PAYOUT_ORIGINAL_TYPE,
      plaintext,
      apiV3Key: this.#keys.apiV3Key,
      platformSerial: this.#keys.platformSerialNo,
      platformPrivateKey: this.#keys.platformPrivateKey,
      // One id per bill and final state, like WeChat's retries of one notification.
      id: `SBX-${digits(`${bill.mch_id}:notify:${bill.out_bill_no}:${bill.state}`, 32)}`,
      nowMs: this.#now(),
    });
  }

  async #notify(bill: StoredBill): Promise<number> {
    try {
      return await deliverNotification(this.#opts.notifyUrl(), this.buildNotification(bill), this.#opts.timeoutMs);
    } catch (err) {
      throw new PayoutUnclearError(err instanceof PaymentProviderError ? err.message : String(err));
    }
  }

  #background(p: Promise<unknown>): void {
    // A lost callback is what WeChat's own can be too: the caller's query finds the state.
    const tracked = p.catch(() => undefined).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /**
   * One compare-and-set transition. `from` are the states it may leave; `same` are states that mean
   * "already done" (answered as they are, no change). Anything else is refused like WeChat refuses an
   * operation the bill's state does not allow.
   */
  async #move(
    outBillNo: string,
    from: PayoutState[],
    to: PayoutState,
    same: PayoutState[] = [],
    extra: Partial<StoredBill> = {},
  ): Promise<{ bill: StoredBill; changed: boolean }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const stored = await this.#load(outBillNo);
      if (!stored) throw new PayoutRefusedError('NOT_FOUND', 'no transfer bill with that out_bill_no');
      const { raw, bill } = stored;
      if (bill.state === to || same.includes(bill.state)) return { bill, changed: false };
      if (!from.includes(bill.state)) throw new PayoutRefusedError('INVALID_REQUEST', `the bill is ${bill.state}; cannot become ${to}`);
      const next: StoredBill = { ...bill, ...extra, state: to, update_time: this.#iso() };
      if (Number(await this.#redis.eval(CAS, 1, this.#key(outBillNo), raw, JSON.stringify(next), String(BILL_TTL_SEC))) === 1) {
        return { bill: next, changed: true };
      }
    }
    throw new PayoutUnclearError('sandbox bill kept changing; query again');
  }

  /** Reads a bill; one the user left unconfirmed past the window is closed first (CANCELLED), as WeChat does. */
  async #load(outBillNo: string): Promise<{ raw: string; bill: StoredBill } | null> {
    const key = this.#key(outBillNo);
    for (let attempt = 0; attempt < 20; attempt++) {
      const raw = await this.#redis.get(key);
      if (raw === null) return null;
      const bill = JSON.parse(raw) as StoredBill;
      const created = bill.create_time ? Date.parse(bill.create_time) : this.#now();
      if (bill.state !== 'WAIT_USER_CONFIRM' || this.#now() - created < this.#opts.confirmWindowMs) return { raw, bill };
      const closed: StoredBill = { ...bill, state: 'CANCELLED', update_time: this.#iso() };
      const next = JSON.stringify(closed);
      if (Number(await this.#redis.eval(CAS, 1, key, raw, next, String(BILL_TTL_SEC))) === 1) return { raw: next, bill: closed };
    }
    throw new PayoutUnclearError('sandbox bill kept changing; query again');
  }

  #key(outBillNo: string): string {
    return `${this.#prefix}sandbox:payout:{${outBillNo}}`;
  }

  #iso(): string {
    return formatRfc3339(new Date(this.#now()));
  }
}
