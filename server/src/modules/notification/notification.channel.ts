import type { NotificationKind } from '@tuan/shared/contracts';
import { WechatApi } from '../../core/wechat-api';

/** A WeChat subscribe message (`cgi-bin/message/subscribe/send`). */
export interface SubscribeMessage {
  openid: string;
  templateId: string;
  /** Mini-program page opened from the message, without the leading slash (as WeChat wants). */
  page: string | null;
  data: Record<string, { value: string }>;
}

/**
 * What became of one push. `skipped`: the user gave no consent (43101) or is not a user of this app —
 * final and normal; `failed`: WeChat refused the message itself (template or data wrong) — final, for an
 * operator; `retry`: busy, network, timeout — try again later.
 */
export type PushOutcome = { result: 'sent' } | { result: 'skipped' | 'failed' | 'retry'; reason: string };

/**
 * Where messages go besides the inbox. `inbox` (development, h5): nowhere — the inbox row is the
 * message. `wechat` (production): a subscribe message per kind that has a template configured.
 */
export interface PushChannel {
  readonly name: 'inbox' | 'wechat';
  /** The template of a kind, or null when that kind is not pushed (then the message is inbox only). */
  templateFor(kind: NotificationKind): string | null;
  send(message: SubscribeMessage): Promise<PushOutcome>;
}

export class InboxOnlyChannel implements PushChannel {
  readonly name = 'inbox' as const;
  templateFor(): null {
    return null;
  }
  send(): Promise<PushOutcome> {
    return Promise.resolve({ result: 'skipped', reason: 'inbox only' });
  }
}

/** WeChat's answers that end a message for this user without it being our fault. */
const NO_CONSENT = new Set([43101, 40003]);
/** Busy or rate-limited: the same message may go through later. */
const TRANSIENT = new Set([-1, 45009, 45011]);

/**
 * Production: `POST /cgi-bin/message/subscribe/send?access_token=…` with the access token every
 * process shares; a token WeChat rejects is dropped and the send retried once with a fresh one.
 */
export class WechatSubscribeChannel implements PushChannel {
  readonly name = 'wechat' as const;
  constructor(
    private readonly api: WechatApi,
    private readonly templates: Partial<Record<NotificationKind, string>>,
    /** `formal` (release), `trial` or `developer`: which version of the mini-program the message opens. */
    private readonly miniprogramState: 'formal' | 'trial' | 'developer' = 'formal',
  ) {}

  templateFor(kind: NotificationKind): string | null {
    return this.templates[kind] || null;
  }

  async send(m: SubscribeMessage): Promise<PushOutcome> {
    const body = JSON.stringify({
      touser: m.openid,
      template_id: m.templateId,
      ...(m.page ? { page: m.page } : {}),
      data: m.data,
      miniprogram_state: this.miniprogramState,
      lang: 'zh_CN',
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      let answer: { errcode?: number; errmsg?: string };
      try {
        const token = await this.api.accessToken();
        const res = await this.api.fetch(`/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(token)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        answer = (await res.json().catch(() => ({ errcode: res.status >= 500 ? -1 : res.status, errmsg: `HTTP ${res.status}` }))) as typeof answer;
      } catch (err) {
        return { result: 'retry', reason: `unreachable: ${(err as Error).message}`.slice(0, 200) };
      }
      const code = answer.errcode ?? 0;
      const reason = `${code} ${answer.errmsg ?? ''}`.trim().slice(0, 200);
      if (code === 0) return { result: 'sent' };
      if (WechatApi.isTokenError(code) && attempt === 0) {
        await this.api.invalidate();
        continue;
      }
      if (NO_CONSENT.has(code)) return { result: 'skipped', reason };
      if (TRANSIENT.has(code) || WechatApi.isTokenError(code)) return { result: 'retry', reason };
      return { result: 'failed', reason };
    }
    return { result: 'retry', reason: 'access token rejected twice' };
  }
}
