import type Redis from 'ioredis';
import QRCode from 'qrcode';
import { ServiceUnavailableError } from '../../http/errors';

/** Makes the image of a mini-program code (or QR code) for a share token. */
export interface ShareCodeProvider {
  readonly name: string;
  /** PNG/JPEG bytes as a data URL. `page` is the mini-program page, `scene` the token (≤ 32 chars). */
  image(page: string, scene: string, url: string): Promise<string>;
}

/** Development: a QR code made locally, pointing at the h5 link that carries the token. */
export class LocalQrProvider implements ShareCodeProvider {
  readonly name = 'qrcode';
  image(_page: string, _scene: string, url: string): Promise<string> {
    return QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 1, width: 320 });
  }
}

export interface WxacodeOptions {
  appId: string;
  appSecret: string;
  apiBase: string;
  timeoutMs: number;
  redisPrefix: string;
  /** `release`, `trial` or `develop` (which version of the mini-program the code opens). */
  envVersion?: string;
}

/**
 * Production: `wxacode.getUnlimited`. The access token is shared by every process through Redis (one
 * fetch at a time under a lock; WeChat invalidates the previous token when a new one is fetched, so
 * processes must not each fetch their own). A token WeChat rejects (40001/42001) is dropped and the
 * call retried once.
 */
export class WxacodeProvider implements ShareCodeProvider {
  readonly name = 'wxacode';
  constructor(
    private readonly redis: Redis,
    private readonly o: WxacodeOptions,
  ) {}

  private get tokenKey() {
    return `${this.o.redisPrefix}{wx}:access_token`;
  }

  async image(page: string, scene: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      const res = await this.fetch(`/wxa/getwxacodeunlimit?access_token=${encodeURIComponent(token)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ scene, page, check_path: false, env_version: this.o.envVersion ?? 'release' }),
      });
      const type = res.headers.get('content-type') ?? '';
      if (type.startsWith('image/')) return `data:${type.split(';')[0]};base64,${Buffer.from(await res.arrayBuffer()).toString('base64')}`;
      // Errors come back as JSON with a 200.
      const body = (await res.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
      if ((body.errcode === 40001 || body.errcode === 42001) && attempt === 0) {
        await this.redis.del(this.tokenKey);
        continue;
      }
      throw new ServiceUnavailableError(`wxacode failed: ${body.errcode ?? res.status} ${body.errmsg ?? ''}`.trim());
    }
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

  private fetch(path: string, init: RequestInit): Promise<Response> {
    return fetch(new URL(path, this.o.apiBase), { ...init, signal: AbortSignal.timeout(this.o.timeoutMs) });
  }
}
