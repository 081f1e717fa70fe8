// `npm test`: the same provisioning as `npm start` against a separate, fresh test database, then
// every test: shared and server (jest), mini-program type check and both builds, and the browser
// tests against the h5 build served with a running API. Ends with `N passed, N failed`.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ensureDebianPackages, exists, freePort, installPackages, log, run, waitForHttp } from './lib.mjs';
import { devSecrets, provision } from './services.mjs';

const TMP = join(ROOT, '.tmp');
const checks = []; // { name, ok, ms }
let passed = 0;
let failed = 0;

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    checks.push({ name, ok: true, ms: Date.now() - t0 });
    passed++;
    return true;
  } catch (err) {
    checks.push({ name, ok: false, ms: Date.now() - t0 });
    failed++;
    process.stderr.write(`\n✗ ${name}\n${err.out ? err.out.slice(-6000) : err.stack ?? err}\n`);
    return false;
  }
}

async function main() {
  const started = Date.now();
  mkdirSync(TMP, { recursive: true });
  await installPackages();
  const services = await provision({ database: 'tuan_test', redisDb: 1, fresh: true });
  const env = { NODE_ENV: 'test', LOGIN_PROVIDER: 'dev', ...devSecrets(), ...services.env };
  const children = [];
  let h5 = null;
  const cleanup = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    if (h5) await h5.close();
    services.stop();
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

  try {
    const built =
      (await check('build @tuan/shared', () => run('pnpm', ['--filter', '@tuan/shared', 'build'], { quiet: true }))) &&
      (await check('build @tuan/server (tsc, strict)', () => run('pnpm', ['--filter', '@tuan/server', 'build'], { quiet: true })));
    await check('type-check @tuan/server tests', () => run('pnpm', ['--filter', '@tuan/server', 'typecheck'], { quiet: true }));
    await check('type-check @tuan/miniapp', () => run('pnpm', ['--filter', '@tuan/miniapp', 'typecheck'], { quiet: true }));
    await check('build mini-program for weapp', () => run('pnpm', ['--filter', '@tuan/miniapp', 'build:weapp'], { quiet: true, env: { CI: 'true' } }));
    const h5Built = await check('build mini-program for h5', () => run('pnpm', ['--filter', '@tuan/miniapp', 'build:h5'], { quiet: true, env: { CI: 'true' } }));

    let e2eBase = '';
    // The browser tests drive Debian's Chromium; Chinese text needs a CJK font to render.
    const browserReady = exists('/usr/bin/chromium') || (await check('install chromium and a CJK font (Debian)', () => ensureDebianPackages(['chromium', 'fonts-wqy-zenhei'], 'browser tests')));
    if (built && h5Built && browserReady) {
      // A seeded API (worker role too) and the h5 build behind the same proxy the browser uses.
      const apiPort = await freePort();
      // Its own database: its worker sweeps every deadline it can see, and the server tests' data
      // (gift coupons, short-lived groups) must not leak into what the browser sees, nor the reverse.
      const e2eDb = await provision({ database: 'tuan_e2e', redisDb: 4, fresh: true });
      const apiEnv = { ...env, ...e2eDb.env, REDIS_PREFIX: 'e2e:', PORT: String(apiPort), LOGIN_RATE_LIMIT_PER_MIN: '100000', LOG_LEVEL: 'warn', SWEEP_INTERVAL_MS: '1000',
        // Rewards: a short after-sale window (still long enough for the delivery test's 申请售后) and a fast settlement job.
        AFTER_SALE_WINDOW_SEC: '30', REWARD_SETTLE_INTERVAL_MS: '1000', REWARD_PAYOUT_QUERY_INTERVAL_MS: '2000' };
      await run('node', ['server/dist/cli/migrate.js'], { env: apiEnv, quiet: true });
      await run('node', ['server/dist/cli/seed.js'], { env: apiEnv, quiet: true });
      const out = openSync(join(TMP, 'e2e-api.log'), 'w');
      children.push(spawn(process.execPath, ['server/dist/main.js'], { cwd: ROOT, env: { ...process.env, ...apiEnv, ROLE: 'all' }, stdio: ['ignore', out, out] }));
      await waitForHttp(`http://127.0.0.1:${apiPort}/readyz`, 60_000);
      const { startH5Server } = await import('./serve-h5.mjs');
      h5 = await startH5Server({ dir: join(ROOT, 'miniapp', 'dist', 'h5'), port: await freePort(), api: `http://127.0.0.1:${apiPort}` });
      e2eBase = h5.url;
    }

    const report = join(TMP, 'jest.json');
    rmSync(report, { force: true });
    const jestArgs = ['exec', 'jest', '--ci', '--maxWorkers=2', '--json', `--outputFile=${report}`];
    if (!e2eBase) jestArgs.push('--selectProjects', 'shared', 'server-unit', 'server');
    // `node scripts/test.mjs <pattern…>` runs only the jest files matching (e.g. one browser test); `npm test` runs all.
    jestArgs.push(...process.argv.slice(2));
    await run('pnpm', jestArgs, { env: { ...env, E2E_BASE_URL: e2eBase } }).catch(() => {});
    try {
      const r = JSON.parse(readFileSync(report, 'utf8'));
      // A suite that fails to load has no test results; count it as a failure, never as silence.
      const broken = r.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
      passed += r.numPassedTests;
      failed += r.numFailedTests + broken;
      checks.push({ name: `jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${broken} suites broken`, ok: r.success, ms: 0 });
    } catch {
      failed++;
      checks.push({ name: 'jest did not produce a report', ok: false, ms: 0 });
    }
  } finally {
    await cleanup();
  }
  process.stdout.write('\nSummary\n');
  for (const c of checks) process.stdout.write(`  ${c.ok ? '✓' : '✗'} ${c.name}${c.ms ? ` (${(c.ms / 1000).toFixed(1)} s)` : ''}\n`);
  process.stdout.write(`  wall time ${((Date.now() - started) / 1000).toFixed(0)} s\n\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.stdout.write(`0 passed, 1 failed\n`);
  process.exit(1);
});
