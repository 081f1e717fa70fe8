import QRCode from 'qrcode';
import { WechatApi } from '../../core/wechat-api';
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
  /** `release`, `trial` or `develop` (which version of the mini-program the code opens). */
  envVersion?: string;
}

/**
 * Production: `wxacode.getUnlimited`, with the access token every process shares (core/wechat-api.ts).
 * A token WeChat rejects (40001/42001) is dropped and the call retried once.
 */
export class WxacodeProvider implements ShareCodeProvider {
  readonly name = 'wxacode';
  constructor(
    private readonly wechat: WechatApi,
    private readonly o: WxacodeOptions = {},
  ) {}

  async image(page: string, scene: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.wechat.accessToken();
      const res = await this.wechat.fetch(`/wxa/getwxacodeunlimit?access_token=${encodeURIComponent(token)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ scene, page, check_path: false, env_version: this.o.envVersion ?? 'release' }),
      });
      const type = res.headers.get('content-type') ?? '';
      if (type.startsWith('image/')) return `data:${type.split(';')[0]};base64,${Buffer.from(await res.arrayBuffer()).toString('base64')}`;
      // Errors come back as JSON with a 200.
      const body = (await res.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
      if (WechatApi.isTokenError(body.errcode) && attempt === 0) {
        await this.wechat.invalidate();
        continue;
      }
      throw new ServiceUnavailableError(`wxacode failed: ${body.errcode ?? res.status} ${body.errmsg ?? ''}`.trim());
    }
  }
}
