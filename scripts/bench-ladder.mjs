// The request pipeline, rung by rung (issue 13: "measure each piece"): one API process (ROLE=api) on a
// fresh `tuan_bench_ladder` database (Redis db 5), and for each route the API process's own CPU per
// request (user + kernel, from /proc) under autocannon load, next to bare `/healthz`:
//
//   node scripts/bench-ladder.mjs          (pnpm bench:ladder; builds @tuan/shared and @tuan/server first)
//
// Rungs: /healthz (koa, security headers, request id; no route); GET /api/me (token, one read); a
// join whose body fails validation (token, router, schema, error envelope); a join of a group that does
// not exist (all of the above plus the join batch's first read, shared by the batch); the home page
// from the cache (public, no token). What a real join costs on top is the batch's work: compare the
// last rung with `pnpm bench:join`'s API CPU per join. One process and one token (the verified-token
// cache hits, as for a shopper's second request). BENCH_LADDER_SEC (6) per rung after a 2 s warm-up,
// BENCH_CONNECTIONS (25).
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildServer, cpuSecondsOf, envInt, freePort, log, ROOT, run, waitForHttp } from './lib.mjs';
import { devSecrets, provision } from './services.mjs';

const requireScripts = createRequire(new URL('./package.json', import.meta.url));
const SEC = envInt('BENCH_LADDER_SEC', 6);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 25);
const TMP = join(ROOT, '.tmp');

await buildServer();
const autocannon = requireScripts('autocannon');
const cpuSeconds = (pid) => {
  const c = cpuSecondsOf(pid);
  return c ? c.user + c.sys : NaN;
};

const cannon = (base, r, sec) =>
  new Promise((resolve, reject) =>
    autocannon({ url: base + r.path, method: r.method ?? 'GET', headers: r.headers, body: r.body, connections: CONNECTIONS, duration: sec }, (err, res) => (err ? reject(err) : resolve(res))),
  );

const services = await provision({ database: 'tuan_bench_ladder', redisDb: 5, fresh: true });
let api;
try {
  mkdirSync(TMP, { recursive: true });
  const env = {
    ...process.env, NODE_ENV: 'test', LOGIN_PROVIDER: 'dev', LOG_LEVEL: 'warn', ...devSecrets(), ...services.env,
    SANDBOX_PAY_KEY_DIR: join(TMP, 'bench-ladder-paykeys'),
  };
  const Redis = createRequire(join(ROOT, 'server', 'package.json'))('ioredis');
  const r = new Redis(services.env.REDIS_URL);
  await r.flushdb();
  await r.quit();
  log('migrating and seeding tuan_bench_ladder');
  await run('node', ['server/dist/cli/migrate.js'], { env, quiet: true });
  await run('node', ['server/dist/cli/seed.js'], { env, quiet: true });
  const port = await freePort();
  const out = openSync(join(TMP, 'bench-ladder-api.log'), 'w');
  api = spawn(process.execPath, ['server/dist/main.js'], { cwd: ROOT, env: { ...env, ROLE: 'api', PORT: String(port) }, stdio: ['ignore', out, out] });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/readyz`, 60_000);
  const login = await (await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'dev:bench-ladder' }) })).json();
  const auth = { authorization: `Bearer ${login.accessToken}`, 'content-type': 'application/json' };
  const rungs = [
    { name: 'GET /healthz', path: '/healthz', expect: 200 },
    { name: 'GET /api/me (token, one read)', path: '/api/me', headers: auth, expect: 200 },
    { name: 'POST join, body fails validation (400)', path: '/api/groups/1/join', method: 'POST', headers: auth, body: JSON.stringify({ quantity: 0 }), expect: 400 },
    { name: 'POST join, no such group (404 after the batch read)', path: '/api/groups/999999999/join', method: 'POST', headers: auth, body: JSON.stringify({ quantity: 1 }), expect: 404 },
    { name: 'GET /api/campaigns (home, from the cache)', path: '/api/campaigns', expect: 200 },
  ];
  const rows = [];
  for (const rung of rungs) {
    log(`${rung.name}: ${SEC} s, ${CONNECTIONS} connections`);
    await cannon(base, rung, 2);
    const cpu0 = cpuSeconds(api.pid);
    const gen0 = process.cpuUsage();
    const res = await cannon(base, rung, SEC);
    const apiCpu = cpuSeconds(api.pid) - cpu0;
    const gen = process.cpuUsage(gen0);
    const n = res.requests.total;
    const wrong = n - (res[`${String(rung.expect)[0]}xx`] ?? 0);
    rows.push({ ...rung, rps: n / SEC, apiMs: (1000 * apiCpu) / n, genMs: (gen.user + gen.system) / 1000 / n, p99: res.latency.p99, wrong });
  }
  const health = rows[0];
  process.stdout.write(`\nRequest pipeline ladder — one API process, ${CONNECTIONS} connections, ${SEC} s per rung\n\n`);
  process.stdout.write('  | rung | req/s | p99 ms | API CPU ms per request | × /healthz | load generator ms |\n  |---|---|---|---|---|---|\n');
  for (const x of rows) {
    process.stdout.write(`  | ${x.name}${x.wrong ? ` (NOTE: ${x.wrong} answers not ${x.expect})` : ''} | ${x.rps.toFixed(0)} | ${x.p99} | ${x.apiMs.toFixed(3)} | ${(x.apiMs / health.apiMs).toFixed(1)} | ${x.genMs.toFixed(3)} |\n`);
  }
  if (rows.some((x) => x.wrong)) process.exitCode = 1;
} finally {
  api?.kill('SIGTERM');
  services.stop();
}
