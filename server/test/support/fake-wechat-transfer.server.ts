import { constants, privateDecrypt, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type http from 'node:http';
import { chinaTime, checkMerchantAuthorization, platformSignatureHeaders, postSealedNotification, serveFake } from './fake-wechatpay.server';

/**
 * A local stand-in for WeChat Pay 商家转账 (user-confirmation mode), for tests. Like the payment fake it
 * is written on node:crypto, not on the code under test. It checks the merchant signature on every
 * request, keeps bills by out_bill_no (a repeat answers the same bill; the same number with another
 * payee or amount is refused), decrypts `user_name` with the platform key named by `Wechatpay-Serial`,
 * signs every answer, and plays the user and WeChat: confirm, fail, cancel, each final state called back
 * signed and sealed. It can be told to time out (after creating the bill) or to fail with SYSTEM_ERROR.
 */
export interface FakeTransferOptions {
  mchId: string;
  appId: string;
  merchantSerialNo: string;
  merchantPublicKey: KeyObject;
  platformSerial: string;
  platformPrivateKey: KeyObject;
  apiV3Key: string | Buffer;
}

type Bill = {
  mch_id: string;
  out_bill_no: string;
  transfer_bill_no: string;
  appid: string;
  state: string;
  transfer_amount: number;
  transfer_remark: string;
  openid: string;
  user_name?: string;
  package_info: string;
  fail_reason?: string;
  notify_url: string;
  create_time: string;
  update_time: string;
};

export interface FakeTransferRequest {
  method: string;
  url: string;
  body: Record<string, unknown> | undefined;
  authorized: boolean;
  headers: http.IncomingHttpHeaders;
}

export interface FakeWechatTransfer {
  readonly baseUrl: string;
  readonly requests: FakeTransferRequest[];
  readonly bills: Map<string, Bill>;
  /** Bills actually created (a repeat of a number does not count). */
  billsCreated(): number;
  /** The next `n` transfer requests create the bill but answer only after `ms` (the caller times out first). */
  stallNextTransfers(n: number, ms: number): void;
  /** The next `n` requests (any route) answer 500 SYSTEM_ERROR without doing anything. */
  failNext(n: number): void;
  /** The user confirmed: → TRANSFERING → SUCCESS, callback. Resolves with the notify URL's HTTP status. */
  confirm(outBillNo: string): Promise<number>;
  /** WeChat failed it: → FAIL with `reason`, callback. */
  fail(outBillNo: string, reason: string): Promise<number>;
  /** The pending cancel completes: CANCELING → CANCELLED, callback. */
  finishCancel(outBillNo: string): Promise<number>;
  close(): Promise<void>;
}

export async function startFakeWechatTransfer(opts: FakeTransferOptions): Promise<FakeWechatTransfer> {
  const apiV3Key = Buffer.isBuffer(opts.apiV3Key) ? opts.apiV3Key : Buffer.from(opts.apiV3Key, 'utf8');
  const requests: FakeTransferRequest[] = [];
  const bills = new Map<string, Bill>();
  let created = 0;
  let stall = { n: 0, ms: 0 };
  let failing = 0;

  function answer(res: http.ServerResponse, status: number, payload?: unknown): void {
    if (res.destroyed) return;
    const body = payload === undefined ? '' : JSON.stringify(payload);
    res.writeHead(status, {
      'Request-ID': randomUUID(),
      ...platformSignatureHeaders(opts.platformPrivateKey, opts.platformSerial, body),
      ...(body ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    });
    res.end(body);
  }
  const error = (res: http.ServerResponse, status: number, code: string, message: string) => answer(res, status, { code, message });

  /** What WeChat's query answers (no package once the user can no longer confirm). */
  function view(b: Bill) {
    const { notify_url: _n, package_info, user_name: _u, ...rest } = b;
    return b.state === 'WAIT_USER_CONFIRM' ? { ...rest, package_info } : rest;
  }

  async function callBack(b: Bill): Promise<number> {
    const plaintext = {
      mch_id: b.mch_id,
      out_bill_no: b.out_bill_no,
      transfer_bill_no: b.transfer_bill_no,
      state: b.state,
      transfer_amount: b.transfer_amount,
      openid: b.openid,
      ...(b.fail_reason ? { fail_reason: b.fail_reason } : {}),
      create_time: b.create_time,
      update_time: b.update_time,
    };
    return postSealedNotification(
      b.notify_url,
      { eventType: 'MCHTRANSFER.BILL.FINISHED', originalType: 'mch_payment', plaintext, summary: '商家转账单据终态通知' },
      { apiV3Key, platformSerial: opts.platformSerial, platformPrivateKey: opts.platformPrivateKey },
    );
  }

  function move(outBillNo: string, from: string[], to: string, extra: Partial<Bill> = {}): Bill {
    const b = bills.get(outBillNo);
    if (!b) throw new Error(`no bill ${outBillNo}`);
    if (!from.includes(b.state)) throw new Error(`bill ${outBillNo} is ${b.state}, not ${from.join('/')}`);
    Object.assign(b, extra, { state: to, update_time: chinaTime(Date.now()) });
    return b;
  }

  async function transfer(req: http.IncomingMessage, res: http.ServerResponse, body: Record<string, unknown>): Promise<void> {
    const need = (f: string) => typeof body[f] === 'string' && (body[f] as string).length > 0;
    for (const f of ['appid', 'out_bill_no', 'transfer_scene_id', 'openid', 'transfer_remark']) {
      if (!need(f)) return error(res, 400, 'PARAM_ERROR', `${f} is required`);
    }
    if (body.appid !== opts.appId) return error(res, 400, 'PARAM_ERROR', 'appid does not belong to this merchant');
    const no = body.out_bill_no as string;
    if (!/^[A-Za-z0-9]{5,32}$/.test(no)) return error(res, 400, 'PARAM_ERROR', 'out_bill_no');
    const amount = body.transfer_amount;
    if (!Number.isInteger(amount) || (amount as number) < 10) return error(res, 400, 'PARAM_ERROR', 'transfer_amount');
    if ([...(body.transfer_remark as string)].length > 32) return error(res, 400, 'PARAM_ERROR', 'transfer_remark');
    if (body.notify_url !== undefined && (typeof body.notify_url !== 'string' || !/^https?:\/\//.test(body.notify_url))) {
      return error(res, 400, 'PARAM_ERROR', 'notify_url');
    }
    // Scene 1005 佣金报酬 requires both report fields.
    const infos = Array.isArray(body.transfer_scene_report_infos) ? (body.transfer_scene_report_infos as Array<Record<string, unknown>>) : [];
    if (body.transfer_scene_id !== '1005') return error(res, 400, 'PARAM_ERROR', 'this merchant has scene 1005 only');
    for (const t of ['岗位类型', '报酬说明']) {
      const info = infos.find((i) => i.info_type === t);
      if (!info || typeof info.info_content !== 'string' || !info.info_content) return error(res, 400, 'PARAM_ERROR', `transfer_scene_report_infos: ${t}`);
    }
    let userName: string | undefined;
    if (body.user_name !== undefined) {
      if (req.headers['wechatpay-serial'] !== opts.platformSerial) return error(res, 400, 'PARAM_ERROR', 'Wechatpay-Serial must name the key user_name is encrypted with');
      try {
        userName = privateDecrypt({ key: opts.platformPrivateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(body.user_name as string, 'base64')).toString('utf8');
      } catch {
        return error(res, 400, 'PARAM_ERROR', 'user_name could not be decrypted');
      }
    }
    if ((amount as number) >= 200_000 && !userName) return error(res, 400, 'PARAM_ERROR', 'user_name is required from 2,000 yuan');

    let bill = bills.get(no);
    if (bill) {
      if (bill.openid !== body.openid || bill.transfer_amount !== amount) return error(res, 400, 'INVALID_REQUEST', '商户单号重复，且参数不一致');
    } else {
      const now = chinaTime(Date.now());
      bill = {
        mch_id: opts.mchId,
        out_bill_no: no,
        transfer_bill_no: `1330${Date.now()}${randomBytes(8).toString('hex')}`,
        appid: opts.appId,
        state: 'WAIT_USER_CONFIRM',
        transfer_amount: amount as number,
        transfer_remark: body.transfer_remark as string,
        openid: body.openid as string,
        ...(userName === undefined ? {} : { user_name: userName }),
        package_info: `ABBQO+${randomBytes(24).toString('base64')}`,
        notify_url: (body.notify_url as string | undefined) ?? '',
        create_time: now,
        update_time: now,
      };
      bills.set(no, bill);
      created++;
    }
    if (stall.n > 0) {
      stall.n--;
      await new Promise((r) => setTimeout(r, stall.ms));
    }
    const b = bill;
    return answer(res, 200, {
      out_bill_no: b.out_bill_no,
      transfer_bill_no: b.transfer_bill_no,
      create_time: b.create_time,
      state: b.state,
      ...(b.state === 'WAIT_USER_CONFIRM' ? { package_info: b.package_info } : {}),
      ...(b.fail_reason ? { fail_reason: b.fail_reason } : {}),
    });
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    let body: Record<string, unknown> = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return error(res, 400, 'PARAM_ERROR', 'body is not JSON');
      }
    }
    const authError = checkMerchantAuthorization(req, raw, opts);
    requests.push({ method: req.method ?? '', url: req.url ?? '', body: raw ? body : undefined, authorized: authError === null, headers: req.headers });
    if (authError) return error(res, 401, 'SIGN_ERROR', authError);
    if (failing > 0) {
      failing--;
      return error(res, 500, 'SYSTEM_ERROR', '系统繁忙，请稍后重试');
    }
    const p = new URL(req.url ?? '/', 'http://fake').pathname;
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && p === '/v3/fund-app/mch-transfer/transfer-bills') return transfer(req, res, body);
    if (req.method === 'GET' && (m = /^\/v3\/fund-app\/mch-transfer\/transfer-bills\/out-bill-no\/([^/]+)$/.exec(p))) {
      const b = bills.get(decodeURIComponent(m[1]!));
      return b ? answer(res, 200, view(b)) : error(res, 404, 'NOT_FOUND', '记录不存在');
    }
    if (req.method === 'POST' && (m = /^\/v3\/fund-app\/mch-transfer\/transfer-bills\/out-bill-no\/([^/]+)\/cancel$/.exec(p))) {
      const b = bills.get(decodeURIComponent(m[1]!));
      if (!b) return error(res, 404, 'NOT_FOUND', '记录不存在');
      if (['ACCEPTED', 'PROCESSING', 'WAIT_USER_CONFIRM'].includes(b.state)) move(b.out_bill_no, [b.state], 'CANCELING');
      else if (!['CANCELING', 'CANCELLED'].includes(b.state)) return error(res, 400, 'INVALID_REQUEST', '单据状态不允许撤销');
      return answer(res, 200, { out_bill_no: b.out_bill_no, transfer_bill_no: b.transfer_bill_no, state: b.state, update_time: b.update_time });
    }
    return error(res, 404, 'NOT_FOUND', `no route ${req.method} ${p}`);
  }

  const served = await serveFake(route);

  return {
    baseUrl: served.baseUrl,
    requests,
    bills,
    billsCreated: () => created,
    stallNextTransfers(n, ms) {
      stall = { n, ms };
    },
    failNext(n) {
      failing = n;
    },
    async confirm(no) {
      move(no, ['WAIT_USER_CONFIRM'], 'TRANSFERING');
      return callBack(move(no, ['TRANSFERING'], 'SUCCESS'));
    },
    async fail(no, reason) {
      return callBack(move(no, ['ACCEPTED', 'PROCESSING', 'WAIT_USER_CONFIRM', 'TRANSFERING'], 'FAIL', { fail_reason: reason }));
    },
    async finishCancel(no) {
      return callBack(move(no, ['CANCELING'], 'CANCELLED'));
    },
    close: served.close,
  };
}
