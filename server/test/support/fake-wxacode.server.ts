import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Plays WeChat's `cgi-bin/token` and `wxa/getwxacodeunlimit` for tests: tokens `tok-1`, `tok-2`…
 * (each fetch invalidates the previous one, as WeChat does); a code request with a current token
 * answers PNG bytes, with any other token `{ errcode: 40001 }` (HTTP 200, JSON, as WeChat does).
 */
export async function startFakeWxacode(appId: string, secret: string) {
  const calls: Array<{ path: string; body?: unknown }> = [];
  let n = 0;
  let current = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      calls.push({ path: url.pathname, body: raw ? JSON.parse(raw) : undefined });
      const json = (body: object) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/cgi-bin/token') {
        if (url.searchParams.get('appid') !== appId || url.searchParams.get('secret') !== secret) return json({ errcode: 40013, errmsg: 'invalid appid' });
        current = `tok-${++n}`;
        return json({ access_token: current, expires_in: 7200 });
      }
      if (url.pathname === '/wxa/getwxacodeunlimit') {
        if (url.searchParams.get('access_token') !== current) return json({ errcode: 40001, errmsg: 'invalid credential' });
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      }
      json({ errcode: 404, errmsg: 'not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    /** Makes WeChat forget the current token (another party fetched one). */
    rotate: () => void (current = 'elsewhere'),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
