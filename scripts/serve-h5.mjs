// Serves the mini-program's h5 build and proxies the API, so the browser sees one origin.
//
//   node scripts/serve-h5.mjs --dir miniapp/dist/h5 --port 10086 --api http://127.0.0.1:3000
//
// - /api/*, /static/*, /admin/*, /healthz → proxied to --api (bodies streamed, status and headers passed)
// - WebSocket upgrades under /api/ (the live group pages' socket, /api/live) → tunnelled to --api
// - existing files under --dir → served as they are
// - anything else → index.html (SPA fallback; the h5 build uses hash routing, but deep links still work)
// Plain Node ESM with no dependencies; also imported as a module: startH5Server({ dir, port, api }).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { extname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.mjs': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

const PROXY_PREFIXES = ['/api/', '/static/', '/admin/'];
const PROXY_EXACT = new Set(['/api', '/admin', '/healthz']);

// Hop-by-hop headers are about one connection and must not be forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function shouldProxy(pathname) {
  return PROXY_EXACT.has(pathname) || PROXY_PREFIXES.some((p) => pathname.startsWith(p));
}

function filterHeaders(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  }
  return out;
}

function proxy(req, res, apiUrl) {
  const target = new URL(req.url, apiUrl);
  const client = target.protocol === 'https:' ? https : http;
  const headers = filterHeaders(req.headers);
  headers.host = target.host;
  const forwardedFor = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${req.socket.remoteAddress}` : String(req.socket.remoteAddress ?? '');
  headers['x-forwarded-host'] = req.headers.host ?? '';
  headers['x-forwarded-proto'] = 'http';

  const upstream = client.request(
    target,
    { method: req.method, headers },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, filterHeaders(up.headers));
      up.pipe(res);
      up.on('error', () => res.destroy());
    },
  );
  upstream.on('error', (err) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({
      error: { code: 'SERVICE_UNAVAILABLE', message: `API unreachable: ${err.code ?? err.message}`, requestId: 'h5-proxy' },
    });
    res.writeHead(502, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  req.on('aborted', () => upstream.destroy());
  req.pipe(upstream);
}

/**
 * A WebSocket upgrade: open a raw connection to the API, replay the request head (with the
 * forwarding headers) and splice the two sockets; the API's 101 (or refusal) flows back as it is.
 */
function tunnelUpgrade(req, socket, head, apiUrl) {
  const secure = apiUrl.protocol === 'https:';
  const port = Number(apiUrl.port || (secure ? 443 : 80));
  const upstream = secure ? tls.connect(port, apiUrl.hostname, { servername: apiUrl.hostname }) : net.connect(port, apiUrl.hostname);
  const fail = () => {
    socket.destroy();
    upstream.destroy();
  };
  upstream.once(secure ? 'secureConnect' : 'connect', () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i];
      if (name.toLowerCase() === 'host') lines.push(`Host: ${apiUrl.host}`);
      else lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
    }
    lines.push(`X-Forwarded-For: ${socket.remoteAddress ?? ''}`);
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head?.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', fail);
  socket.on('error', fail);
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
}

async function fileIfExists(path) {
  try {
    const s = await stat(path);
    return s.isFile() ? s : null;
  } catch {
    return null;
  }
}

async function serveFile(req, res, root, pathname) {
  let rel;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    rel = '/';
  }
  const candidate = normalize(join(root, rel));
  let file = candidate.startsWith(root) ? candidate : null;
  let st = file ? await fileIfExists(file) : null;
  let fallback = false;
  if (!st) {
    file = join(root, 'index.html');
    st = await fileIfExists(file);
    fallback = true;
    if (!st) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('h5 build not found: run pnpm --filter @tuan/miniapp build:h5');
      return;
    }
  }
  const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  // Hashed assets never change; index.html must always be revalidated to pick up a new build.
  const cache = fallback || file.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable';
  res.writeHead(200, { 'content-type': type, 'content-length': st.size, 'cache-control': cache });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/**
 * Starts the h5 server. Resolves once listening; `port: 0` picks a free port.
 * @param {{ dir: string, port?: number, api?: string, host?: string }} options
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export async function startH5Server({ dir, port = 10086, api = 'http://127.0.0.1:3000', host = '127.0.0.1' }) {
  if (!dir) throw new Error('startH5Server: dir is required');
  const root = normalize((isAbsolute(dir) ? dir : resolve(process.cwd(), dir)) + sep);
  const apiUrl = new URL(api);

  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (shouldProxy(pathname)) {
      proxy(req, res, apiUrl);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Method Not Allowed');
      return;
    }
    serveFile(req, res, root, pathname).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  // Upgraded sockets leave the HTTP server's bookkeeping: kept here so close() can end them.
  const tunnels = new Set();
  server.on('upgrade', (req, socket, head) => {
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!pathname.startsWith('/api/')) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    tunnelUpgrade(req, socket, head, apiUrl);
  });

  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const actualPort = server.address().port;
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise((ok) => {
        server.close(() => ok());
        server.closeAllConnections?.();
        for (const s of tunnels) s.destroy();
      }),
  };
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const [k, inline] = a.slice(2).split('=', 2);
    out[k] = inline ?? argv[++i];
  }
  return out;
}

const invokedDirectly = process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  const args = parseArgs(process.argv.slice(2));
  const here = fileURLToPath(new URL('.', import.meta.url));
  const dir = args.dir ?? join(here, '..', 'miniapp', 'dist', 'h5');
  const port = Number(args.port ?? process.env.PORT ?? 10086);
  const api = args.api ?? process.env.API_URL ?? 'http://127.0.0.1:3000';
  const host = args.host ?? '127.0.0.1';
  startH5Server({ dir, port, api, host }).then(
    (srv) => {
      process.stdout.write(`h5 at ${srv.url} (dir ${dir}, api ${api})\n`);
      const stop = () => srv.close().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (err) => {
      process.stderr.write(`serve-h5: ${err.message}\n`);
      process.exit(1);
    },
  );
}
