// `npm start`: install what is missing, provide MariaDB + Redis, migrate, seed, run the API, the
// worker and the h5 build, print the URLs. Ctrl-C stops everything it started.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, installPackages, log, run, waitForHttp } from './lib.mjs';
import { devSecrets, provision } from './services.mjs';

const API_PORT = Number(process.env.PORT ?? 3000);
const H5_PORT = Number(process.env.H5_PORT ?? 10086);
const LOGS = join(ROOT, '.data', 'logs');

async function main() {
  await installPackages();
  log('building shared, server and the mini-program (h5)');
  await run('pnpm', ['--filter', '@tuan/shared', 'build'], { quiet: true });
  await run('pnpm', ['--filter', '@tuan/server', 'build'], { quiet: true });
  await run('pnpm', ['--filter', '@tuan/miniapp', 'build:h5'], { quiet: true, env: { CI: 'true' } });

  const services = await provision({ database: 'tuan' });
  const env = {
    NODE_ENV: 'development',
    LOGIN_PROVIDER: process.env.LOGIN_PROVIDER ?? 'dev',
    ...devSecrets(),
    ...services.env,
    PORT: String(API_PORT),
    CORS_ORIGINS: `http://127.0.0.1:${H5_PORT},http://localhost:${H5_PORT}`,
  };
  const children = [];
  let h5 = null;
  let stopping = false;
  const stopAll = async (code) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    if (h5) await h5.close();
    services.stop();
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    await run('node', ['server/dist/cli/migrate.js'], { env });
    await run('node', ['server/dist/cli/seed.js'], { env });
    mkdirSync(LOGS, { recursive: true });
    for (const role of ['api', 'worker']) {
      const out = openSync(join(LOGS, `${role}.log`), 'a');
      const child = spawn(process.execPath, ['server/dist/main.js'], { cwd: ROOT, env: { ...process.env, ...env, ROLE: role }, stdio: ['ignore', out, out] });
      child.on('exit', (code, signal) => {
        if (!stopping) {
          log(`${role} exited (${signal ?? code}); see .data/logs/${role}.log`);
          void stopAll(1);
        }
      });
      children.push(child);
    }
    await waitForHttp(`http://127.0.0.1:${API_PORT}/readyz`, 60_000);
    const { startH5Server } = await import('./serve-h5.mjs');
    h5 = await startH5Server({ dir: join(ROOT, 'miniapp', 'dist', 'h5'), port: H5_PORT, api: `http://127.0.0.1:${API_PORT}` });
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    await stopAll(1);
    return;
  }
  process.stdout.write(`
  团 Tuan is running
    mini-program (h5)  http://127.0.0.1:${H5_PORT}/
    API                http://127.0.0.1:${API_PORT}/api/products
    API docs           http://127.0.0.1:${API_PORT}/docs
    health / ready     http://127.0.0.1:${API_PORT}/healthz  /readyz
    operator login     POST /admin/auth/login  (username "admin", password "tuan-admin-dev" — development only)
    logs               .data/logs/api.log, .data/logs/worker.log
  Ctrl-C stops everything (data stays in .data/ for the next start).
`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
