import type Redis from 'ioredis';
import { ServiceUnavailableError } from '../http/errors';

export interface WechatApiOptions {
  appId: string;
  appSecret: string;
  /** `https://api.weixin.qq.com` in production; a local fake in tests. */
  apiBase: string;
  timeoutMs: number;
  redisPrefix: string;
}

/**
 * The mini-program's server-side WeChat API (api.weixin.qq.com) with its access token, shared by
 * every caller (mini-program codes, subscribe messages). The token is shared by every process through
 * Redis (one fetch at a time under a lock; WeChat invalidates the previous token when a new one is
 * fetched, so processes must not each fetch their own). A caller that gets 40001/42001 calls
 * {@link invalidate} and retries once.
 */
export class WechatApi {
  constructor(
    private readonly redis: Redis,
    private readonly o: WechatApiOptions,
  ) {}

  get appId(): string {
    return this.o.appId;
  }

  private get tokenKey() {
    return `${this.o.redisPrefix}{wx}:access_token`;
  }

  /** The cached access token, or a fresh one fetched by exactly one process at a time. */
  async accessToken(): Promise<string> {
    const lockKey = `${this.o.redisPrefix}{wx}:access_token:lock`;
    for (let i = 0; i < 50; i++) {
      const cached = await this.redis.get(this.tokenKey);
      if (cached) return cached;
      if ((await this.redis.set(lockKey, '1', 'PX', 10_000, 'NX')) === 'OK') {
        try {
          const res = await this.fetch(`/cgi-bin/token?grant_type=client_credential&appid=${encodeURIComponent(this.o.appId)}&secret=${encodeURIComponent(this.o.appSecret)}`, { method: 'GET' });
          const body = (await res.json()) as { access_token?: string; expires_in?: number; errcode?: number; errmsg?: string };
          if (!body.access_token) throw new ServiceUnavailableError(`access token failed: ${body.errcode ?? res.status} ${body.errmsg ?? ''}`.trim());
          // Refresh five minutes before WeChat's expiry.
          await this.redis.set(this.tokenKey, body.access_token, 'EX', Math.max(60, (body.expires_in ?? 7200) - 300));
          return body.access_token;
        } finally {
          await this.redis.del(lockKey);
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new ServiceUnavailableError('access token not available');
  }

  /** Drops a token WeChat rejected (40001 invalid / 42001 expired), so the next call fetches a new one. */
  async invalidate(): Promise<void> {
    await this.redis.del(this.tokenKey);
  }

  /** WeChat answers "token invalid or expired" with these codes. */
  static isTokenError(errcode: number | undefined): boolean {
    return errcode === 40001 || errcode === 42001 || errcode === 40014;
  }

  fetch(path: string, init: RequestInit): Promise<Response> {
    return fetch(new URL(path, this.o.apiBase), { ...init, signal: AbortSignal.timeout(this.o.timeoutMs) });
  }
}
