import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Plays WeChat's /sns/jscode2session for tests: HTTP 200 with either an openid + session_key or
 * an errcode, exactly as WeChat answers. Codes: `ok:<openid>`, `invalid` (40029), `used` (40163),
 * `quota` (45011), `busy` (-1). Requests with the wrong app id/secret get 40013 (invalid appid).
 */
export async function startFakeWechatLogin(appId: string, secret: string): Promise<{ url: string; calls: URL[]; close(): Promise<void> }> {
  const calls: URL[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    calls.push(url);
    const send = (body: object) => {
      res.writeHead(200, { 'content-type': 'text/plain' }); // WeChat really says text/plain
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/sns/jscode2session') return send({ errcode: 404, errmsg: 'not found' });
    if (url.searchParams.get('appid') !== appId || url.searchParams.get('secret') !== secret || url.searchParams.get('grant_type') !== 'authorization_code') {
      return send({ errcode: 40013, errmsg: 'invalid appid' });
    }
    const code = url.searchParams.get('js_code') ?? '';
    if (code.startsWith('ok:')) return send({ openid: code.slice(3), session_key: `sk-${code.slice(3)}-SECRET`, unionid: `union-${code.slice(3)}` });
    const errors: Record<string, [number, string]> = { invalid: [40029, 'invalid code'], used: [40163, 'code been used'], quota: [45011, 'api minute-quota reach limit'], busy: [-1, 'system error'] };
    const [errcode, errmsg] = errors[code] ?? [40029, 'invalid code'];
    return send({ errcode, errmsg });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
