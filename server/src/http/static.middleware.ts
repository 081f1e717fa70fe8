import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Middleware } from 'koa';
import type { AppState } from './types';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.map': 'application/json; charset=utf-8',
};

/** Serves files under `dir` at `prefix`; paths that escape `dir` are never served. */
export function serveStatic(prefix: string, dir: string, maxAgeSec = 3600): Middleware<AppState> {
  const root = normalize(dir + sep);
  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !ctx.path.startsWith(prefix + '/')) return next();
    let rel: string;
    try {
      rel = decodeURIComponent(ctx.path.slice(prefix.length + 1));
    } catch {
      return next();
    }
    const file = normalize(join(root, rel));
    if (!file.startsWith(root)) return next();
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return next();
    ctx.type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    ctx.length = info.size;
    ctx.set('Cache-Control', `public, max-age=${maxAgeSec}`);
    ctx.body = createReadStream(file); // Koa sends headers only for HEAD
  };
}
