import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Plays WeChat's server API for tests: `cgi-bin/token` (tokens `tok-1`, `tok-2`…, each fetch
 * invalidating the previous one, as WeChat does), `wxa/getwxacodeunlimit` (PNG bytes) and
 * `cgi-bin/message/subscribe/send`. A request with a token that is not the current one answers
 * `{ errcode: 40001 }` (HTTP 200, JSON, as WeChat does). Subscribe messages: a user who did not consent
 * (`refuse(openid)`) gets 43101, a body without touser/template_id/data gets 47003, `busyNext(n)` makes
 * the next sends answer -1 (system busy); accepted ones are kept in `messages`.
 */
export async function startFakeWxacode(appId: string, secret: string) {
  const calls: Array<{ path: string; body?: unknown }> = [];
  const messages: Array<{ touser: string; template_id: string; page?: string; data: Record<string, { value: string }>; miniprogram_state?: string }> = [];
  const refused = new Set<string>();
  let busy = 0;
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
      if (url.pathname === '/cgi-bin/message/subscribe/send' && req.method === 'POST') {
        if (url.searchParams.get('access_token') !== current) return json({ errcode: 40001, errmsg: 'invalid credential' });
        if (busy > 0) {
          busy--;
          return json({ errcode: -1, errmsg: 'system error' });
        }
        const m = (raw ? JSON.parse(raw) : {}) as (typeof messages)[number];
        const valid = typeof m.touser === 'string' && typeof m.template_id === 'string' && m.data && typeof m.data === 'object' &&
          Object.values(m.data).every((v) => typeof v?.value === 'string' && [...v.value].length <= 20);
        if (!valid) return json({ errcode: 47003, errmsg: 'argument invalid! data.thing1.value invalid' });
        if (refused.has(m.touser)) return json({ errcode: 43101, errmsg: 'user refuse to accept the msg' });
        messages.push(m);
        return json({ errcode: 0, errmsg: 'ok', msgid: 1000 + messages.length });
      }
      json({ errcode: 404, errmsg: 'not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    messages,
    /** The user did not consent to subscribe messages (or used up the consent). */
    refuse: (openid: string) => void refused.add(openid),
    busyNext: (k: number) => void (busy = k),
    /** Makes WeChat forget the current token (another party fetched one). */
    rotate: () => void (current = 'elsewhere'),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
