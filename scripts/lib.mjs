// Plain Node (no dependencies): these helpers run before `pnpm install` on a fresh machine.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function log(msg) {
  process.stdout.write(`[tuan] ${msg}\n`);
}

export function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Runs a command, streaming its output; rejects with its exit code. */
export function run(cmd, args, opts = {}) {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: opts.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit', cwd: opts.cwd ?? ROOT, env: { ...process.env, ...(opts.env ?? {}) } });
    let out = '';
    if (opts.quiet) {
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
    }
    child.on('error', rej);
    child.on('exit', (code) => (code === 0 ? res(out) : rej(Object.assign(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${out.slice(-4000)}`), { code, out }))));
  });
}

export function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let aptUpdated = false;
/** Installs Debian packages when missing (as root); otherwise says exactly what to install. */
export async function ensureDebianPackages(pkgs, why) {
  if (!isRoot()) {
    throw new Error(`${why}: install the Debian packages ${pkgs.join(' ')} (sudo apt-get install -y ${pkgs.join(' ')}), or set DATABASE_URL/REDIS_URL to existing servers.`);
  }
  log(`installing Debian packages: ${pkgs.join(' ')} (${why})`);
  if (!aptUpdated) {
    await run('apt-get', ['update', '-qq'], { quiet: true });
    aptUpdated = true;
  }
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { quiet: true, env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

/** pnpm 12 is a native binary; corepack's pnpm fails on these machines, so npm installs it. */
export async function ensurePnpm() {
  if (which('pnpm')) return 'pnpm';
  log('installing pnpm (npm i -g pnpm@12)');
  await run('npm', ['i', '-g', 'pnpm@12', '--allow-scripts=pnpm'], { quiet: true }).catch(() => run('npm', ['i', '-g', 'pnpm@12'], { quiet: true }));
  if (!which('pnpm')) throw new Error('pnpm could not be installed; install it with: npm i -g pnpm@12');
  return 'pnpm';
}

export async function installPackages() {
  await ensurePnpm();
  log('installing packages (pnpm install)');
  await run('pnpm', ['install', '--frozen-lockfile', '--reporter=silent']);
}

export function freePort() {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

export function portOpen(port, host = '127.0.0.1') {
  return new Promise((res) => {
    const s = net.connect({ port, host });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

export async function waitFor(check, { timeoutMs = 30_000, intervalMs = 200, what = 'condition' } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function waitForHttp(url, timeoutMs = 30_000) {
  await waitFor(async () => {
    try {
      const r = await fetch(url);
      return r.ok;
    } catch {
      return false;
    }
  }, { timeoutMs, what: url });
}

/** CPU seconds a process has used so far in user and kernel mode, from /proc; null where it cannot be read. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 }; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

export function exists(p) {
  return existsSync(p);
}

/** Before a benchmark: packages present, then @tuan/shared and @tuan/server built (the processes run server/dist). */
export async function buildServer() {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  if (!exists(join(ROOT, 'node_modules')) || !exists(join(ROOT, 'server', 'node_modules'))) await installPackages();
  log('building @tuan/shared and @tuan/server');
  await run('pnpm', ['--filter', '@tuan/shared', 'build'], { quiet: true });
  await run('pnpm', ['--filter', '@tuan/server', 'build'], { quiet: true });
}

/** A positive integer knob from the environment (a benchmark's size or duration), or `dflt`. */
export function envInt(name, dflt) {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${v}`);
  return n;
}
