import { ErrorCode } from '@tuan/shared';
import { DomainError } from '../../http/errors';

/** What a login provider learns from a mini-program login code. */
export interface LoginIdentity {
  openid: string;
  unionid: string | null;
  /** WeChat session_key: stored encrypted, never returned or logged. */
  sessionKey: string | null;
  /** Suggested nickname for a new user. */
  nickname: string;
}

export interface LoginProvider {
  readonly name: 'wechat' | 'dev';
  exchange(code: string): Promise<LoginIdentity>;
}

/**
 * The real WeChat code exchange: GET /sns/jscode2session. WeChat answers HTTP 200 even for errors,
 * with `errcode`; each known errcode becomes a stable error code of ours.
 */
export class WechatLoginProvider implements LoginProvider {
  readonly name = 'wechat' as const;
  constructor(
    private readonly opts: { appId: string; appSecret: string; apiBase: string; timeoutMs: number },
  ) {}

  async exchange(code: string): Promise<LoginIdentity> {
    const url = new URL('/sns/jscode2session', this.opts.apiBase);
    url.searchParams.set('appid', this.opts.appId);
    url.searchParams.set('secret', this.opts.appSecret);
    url.searchParams.set('js_code', code);
    url.searchParams.set('grant_type', 'authorization_code');
    let body: { openid?: string; session_key?: string; unionid?: string; errcode?: number; errmsg?: string };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = (await res.json()) as typeof body;
    } catch {
      throw new DomainError(ErrorCode.LOGIN_PROVIDER_UNAVAILABLE, 'WeChat login service did not answer');
    }
    if (body.errcode) throw wechatError(body.errcode);
    if (!body.openid || !body.session_key) {
      throw new DomainError(ErrorCode.LOGIN_PROVIDER_UNAVAILABLE, 'WeChat login answered without an openid');
    }
    return { openid: body.openid, unionid: body.unionid ?? null, sessionKey: body.session_key, nickname: '微信用户' };
  }
}

function wechatError(errcode: number): DomainError {
  switch (errcode) {
    case 40029: // invalid code
    case 40163: // code already used
      return new DomainError(ErrorCode.LOGIN_CODE_INVALID, 'Login code is invalid or already used', { provider: 'wechat', errcode });
    case 45011: // API minute-quota reached
      return new DomainError(ErrorCode.LOGIN_PROVIDER_RATE_LIMITED, 'Too many logins; retry in a minute', { provider: 'wechat', errcode });
    case 40226: // high-risk user blocked by WeChat
      return new DomainError(ErrorCode.FORBIDDEN, 'This WeChat account is restricted', { provider: 'wechat', errcode });
    default: // -1 system busy and anything unknown
      return new DomainError(ErrorCode.LOGIN_PROVIDER_UNAVAILABLE, 'WeChat login is unavailable; retry shortly', { provider: 'wechat', errcode });
  }
}

const DEV_CODE = /^dev:([A-Za-z0-9_-]{1,32})$/;
const DEV_NICKNAMES: Record<string, string> = { alice: '小明', bob: '小红', carol: '小刚', dave: '小美' };

/**
 * Development and test logins that follow the same code-exchange shape: `dev:alice` always maps to
 * the same user, so several users can be simulated side by side. Refused in production.
 */
export class DevLoginProvider implements LoginProvider {
  readonly name = 'dev' as const;
  constructor(nodeEnv: string) {
    if (nodeEnv === 'production') throw new Error('the dev login provider is refused in production');
  }
  async exchange(code: string): Promise<LoginIdentity> {
    const m = DEV_CODE.exec(code);
    if (!m) throw new DomainError(ErrorCode.LOGIN_CODE_INVALID, 'Dev login codes look like dev:<name>', { provider: 'dev' });
    const name = m[1]!;
    return { openid: `dev_${name}`, unionid: null, sessionKey: null, nickname: DEV_NICKNAMES[name] ?? name };
  }
}
