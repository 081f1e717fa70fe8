// Benchmarks against two API processes and one worker on a fresh `tuan_bench` database (Redis db 2).
//
//   node scripts/bench.mjs [join|claim|visit|home]     (pnpm bench / pnpm bench:join / pnpm bench:claim / pnpm bench:visit / pnpm bench:home)
//
// With no argument only the join benchmark runs (as `pnpm bench` always did; each mode provisions its
// own fresh database, so one mode per run keeps a run under ~2 minutes). Every mode: builds the server,
// provisions MariaDB + Redis (reused when already running), migrates and seeds, starts the processes,
// measures bare GET /healthz, then its own measured run in which every request comes from a distinct
// user (the run stops early when the users run out), then checks invariants read straight from
// MySQL. Exits non-zero when an invariant fails or the run saw 5xx answers or socket errors.
//
// join:  POST /api/groups/:id/join — each request a new user taking a seat in an open group — then
//        sandbox payment of the join orders it created. Invariants: seats, stock, one active seat per
//        user per group.
// claim: POST /api/coupon-templates/:id/claim — each request a new user claiming from one centre
//        template whose stock is smaller than the number of users, so the run measures real issues
//        (201) and the Redis gate's fast refusals (409 COUPON_SOLD_OUT); the servers run with
//        COUPON_CLAIMS_PER_MIN raised so the per-user rate limit does not dominate. Then one user fires
//        50 concurrent claims at a template with perUserLimit 2 (exactly 2 must be issued). Invariants:
//        issued == coupons issued == users that got 201, issued ≤ stock, per-user limits held.
// home:  GET /api/campaigns (anonymous, the home page), then GET /api/campaigns/:id and its /groups.
// visit: POST /api/shares/:token/visits — anonymous visitors (a device id each; every 4th repeats the
//        previous one, answered from Redis). Invariants: share_visits rows == answers `counted: true`
//        (no visit lost), one row per visitor per day.
//
// Knobs (environment): BENCH_CONNECTIONS (per API process, 25), BENCH_HEALTH_SEC (10), DB_POOL_SIZE (40),
//   BENCH_PROFILE_DIR (write a V8 CPU profile of each server process there),
//   BENCH_NODE_ARGS (extra node flags for the server processes, e.g. --perf-basic-prof),
//   BENCH_NO_BUILD=1 (run server/dist as it is, e.g. while editing the sources),
//   BENCH_TABLE_STATS=1 (MariaDB's per-table statistics on: the breakdown adds rows changed and read per
//   table per request; costs a little, so off by default),
//   BENCH_WARMUP_SEC (3: join, launch and claim send that long first, not measured — see warmUp()),
//   BENCH_DURABLE=1 (run MariaDB with innodb_flush_log_at_trx_commit=1 — every commit flushed to disk, as
//   production runs — instead of the local default 2; the report names the setting it ran with).
//   join:  BENCH_JOIN_SEC (15), BENCH_OPENERS (groups to open, 6000), BENCH_USERS (joiners, 24000),
//          BENCH_PAY_MAX (join orders to pay, all), BENCH_PAY_SEC (time cap of the pay phase, 25),
//          BENCH_PAY_CONCURRENCY (50), BENCH_OUTBOX_DRAIN_SEC (wait for the outbox backlog before
//          reading the dispatch lag, 30).
//   claim: BENCH_CLAIM_SEC (15), BENCH_CLAIM_USERS (claimers, 40000), BENCH_CLAIM_STOCK (template stock,
//          30000), BENCH_BURST_CLAIMS (concurrent claims of the one user, 50).
//   visit: BENCH_VISIT_SEC (15), BENCH_VISITS (200000), BENCH_VISIT_REPEAT_EVERY (4).
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, cpuSecondsOf, exists, freePort, installPackages, log, run, waitForHttp } from './lib.mjs';
import { devSecrets, provision } from './services.mjs';

const requireScripts = createRequire(new URL('./package.json', import.meta.url));
const requireServer = createRequire(join(ROOT, 'server', 'package.json'));

const int = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`);
  return n;
};
const CONNECTIONS = int('BENCH_CONNECTIONS', 25); // per API process
const DURABLE = int('BENCH_DURABLE', 0) === 1;
const TABLE_STATS = int('BENCH_TABLE_STATS', 0) === 1;
const WARMUP_SEC = int('BENCH_WARMUP_SEC', 3);
const HEALTH_SEC = int('BENCH_HEALTH_SEC', 10);
const SETUP_CONCURRENCY = 40;
const DB_POOL_SIZE = process.env.DB_POOL_SIZE ?? '40';

const TMP = join(ROOT, '.tmp');
const PAY_KEY_DIR = join(ROOT, '.data', 'sandbox-pay-bench');

// ---------------------------------------------------------------- small helpers

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
function latencySummary(values) {
  const s = Float64Array.from(values).sort();
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.length ? s[s.length - 1] : NaN };
}
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
function tally(map, key, by = 1) {
  map.set(key, (map.get(key) ?? 0) + by);
}
const listOutcomes = (entries) => entries.map(([k, v]) => `${k}: ${v}`).join(', ');
/** Outcome keys are "201", "409 GROUP_FULL", "socket error ECONNRESET", … */
const countWhere = (outcomes, re) => [...outcomes].filter(([k]) => re.test(k)).reduce((a, [, v]) => a + v, 0);
const serverErrorsIn = (outcomes) => countWhere(outcomes, /^5\d\d|^socket/);
const outcomeOf = (status, json) => (status >= 200 && status < 300 ? String(status) : `${status} ${json?.error?.code ?? '(no error code)'}`);

/** One JSON call with its latency; never throws for HTTP statuses, only for transport errors. */
async function call(base, method, path, { token, body } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const t0 = performance.now();
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const ms = performance.now() - t0;
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text, ms };
}

/** Like call() but insists on a 2xx answer (set-up steps). */
async function must(base, method, path, opts) {
  let r = await call(base, method, path, opts);
  // A set-up step the server answered "busy, retry" (e.g. 502 PAYMENT_PROVIDER_ERROR when the
  // sandbox's own notification timed out on a loaded machine) is retried, as a client would.
  for (let attempt = 1; attempt <= 3 && r.json?.error?.details?.retryable; attempt++) {
    await new Promise((res) => setTimeout(res, 200 * attempt));
    r = await call(base, method, path, opts);
  }
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path} → ${r.status} ${r.text.slice(0, 500)}`);
  return r.json;
}

/** call() for the unmeasured side phases: tallies the outcome (`keyOf`, or the socket error) and keeps the latency. */
async function tallied(outcomes, latencies, base, method, path, { keyOf = outcomeOf, ...opts } = {}) {
  try {
    const r = await call(base, method, path, opts);
    latencies.push(r.ms);
    tally(outcomes, keyOf(r.status, r.json));
    return r;
  } catch (err) {
    tally(outcomes, `socket error ${err.cause?.code ?? err.message}`);
    return null;
  }
}

/** Runs fn over items with at most `concurrency` in flight; stops taking new items after `deadline`. */
async function pool(items, concurrency, fn, deadline = Infinity) {
  const out = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length && performance.now() < deadline) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}

// ---------------------------------------------------------------- processes

const children = [];

function startServer(name, env) {
  const out = openSync(join(TMP, `bench-${name}.log`), 'w');
  // BENCH_PROFILE_DIR: V8 CPU profiles of every server process, written when it exits (open the
  // .cpuprofile in Chrome DevTools, or summarise it with scripts/cpuprofile-top.mjs).
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  // BENCH_NODE_ARGS: extra node flags for the server processes only (e.g. `--perf-basic-prof` for
  // `perf record`, `--trace-deopt`); NODE_OPTIONS refuses V8 flags like these and would reach the
  // load generator too.
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...extra, ...profile, 'server/dist/main.js'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  child.benchName = name;
  child.on('exit', (code, signal) => {
    if (!child.expectedExit) process.stderr.write(`[bench] ${name} exited unexpectedly (code ${code}, signal ${signal}); see .tmp/bench-${name}.log\n`);
  });
  children.push(child);
  return child;
}

async function stopChildren() {
  await Promise.all(
    children.map((c) => {
      if (c.exitCode !== null || c.signalCode !== null) return null;
      c.expectedExit = true;
      return new Promise((res) => {
        const killer = setTimeout(() => c.kill('SIGKILL'), 15_000);
        c.once('exit', () => {
          clearTimeout(killer);
          res();
        });
        c.kill('SIGTERM');
      });
    }),
  );
}

/** The last warnings/errors the processes logged (LOG_LEVEL=warn), so a failing run shows why. */
function showServerLogs() {
  for (const name of ['api1', 'api2', 'worker']) {
    let text = '';
    try {
      text = readFileSync(join(TMP, `bench-${name}.log`), 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n').filter(Boolean);
    if (!lines.length) continue;
    process.stdout.write(`\n  ${name}: ${lines.length} log lines at warn or above (.tmp/bench-${name}.log); last:\n`);
    for (const l of lines.slice(-3)) process.stdout.write(`    ${l.slice(0, 400)}\n`);
  }
}

/**
 * Build, provision a fresh tuan_bench (Redis db 2), migrate, seed, start two API processes and one
 * worker with the common environment plus `extraEnv`. Returns the bases and an idempotent cleanup.
 */
async function bringUp(extraEnv) {
  mkdirSync(TMP, { recursive: true });
  mkdirSync(PAY_KEY_DIR, { recursive: true });
  if (!exists(join(ROOT, 'node_modules')) || !exists(join(ROOT, 'server', 'node_modules')) || !exists(join(ROOT, 'scripts', 'node_modules'))) await installPackages();

  if (process.env.BENCH_NO_BUILD === '1') log('BENCH_NO_BUILD=1: running the server as last built (server/dist)');
  else {
    log('building @tuan/shared and @tuan/server');
    await run('pnpm', ['--filter', '@tuan/shared', 'build'], { quiet: true });
    await run('pnpm', ['--filter', '@tuan/server', 'build'], { quiet: true });
  }

  const services = await provision({ database: 'tuan_bench', redisDb: 2, fresh: true });
  if (DURABLE) {
    if (!services.setFlushAtCommit) throw new Error('BENCH_DURABLE=1 needs the local MariaDB (not DATABASE_URL)');
    services.setFlushAtCommit(1);
  }
  if (TABLE_STATS) {
    if (!services.setTableStats) throw new Error('BENCH_TABLE_STATS=1 needs the local MariaDB (not DATABASE_URL)');
    services.setTableStats(true);
  }
  let stopped = false;
  const cleanup = async () => {
    if (stopped) return;
    stopped = true;
    stopCannons();
    await stopChildren();
    // Back to the local default, so tests that share this MariaDB keep their speed.
    if (DURABLE) services.setFlushAtCommit(2);
    if (TABLE_STATS) services.setTableStats(false);
    services.stop();
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.on('SIGTERM', () => void cleanup().then(() => process.exit(143)));

  try {
    const env = {
      NODE_ENV: 'test',
      LOGIN_PROVIDER: 'dev',
      LOGIN_RATE_LIMIT_PER_MIN: '1000000',
      LOG_LEVEL: 'warn',
      ...devSecrets(),
      ...services.env,
      DB_POOL_SIZE,
      SANDBOX_PAY_KEY_DIR: PAY_KEY_DIR,
      ...extraEnv,
    };
    if (process.env.REDIS_URL) {
      // Someone else's Redis: keep our keys (and BullMQ queues) apart instead of flushing anything.
      env.REDIS_PREFIX = `tuan-bench-${Date.now()}:`;
    } else {
      // Our own local Redis, db 2: a fresh database deserves fresh counters and queues (ids restart at 1).
      const Redis = requireServer('ioredis');
      const r = new Redis(services.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await r.connect();
      await r.flushdb();
      await r.quit();
    }

    log('migrating and seeding tuan_bench');
    await run('node', ['server/dist/cli/migrate.js'], { env, quiet: true });
    await run('node', ['server/dist/cli/seed.js'], { env, quiet: true });

    const ports = [await freePort(), await freePort()];
    ports.forEach((port, i) => startServer(`api${i + 1}`, { ...env, ROLE: 'api', PORT: String(port) }));
    startServer('worker', { ...env, ROLE: 'worker', PORT: '0' });
    const bases = ports.map((p) => `http://127.0.0.1:${p}`);
    await Promise.all(bases.map((b) => waitForHttp(`${b}/readyz`, 60_000)));
    log(`API processes on ${ports.join(', ')} (ROLE=api), one worker (ROLE=worker), DB_POOL_SIZE=${DB_POOL_SIZE}`);
    return { bases, baseOf: (i) => bases[i % bases.length], databaseUrl: services.env.DATABASE_URL, redisUrl: services.env.REDIS_URL, cleanup };
  } catch (err) {
    await cleanup();
    showServerLogs();
    throw err;
  }
}

async function adminToken(base) {
  return (await must(base, 'POST', '/admin/auth/login', { body: { username: 'admin', password: 'tuan-admin-dev' } })).accessToken;
}

const BENCH_ADDRESS = { name: '压测', phone: '13800000000', province: '广东省', city: '深圳市', district: '南山区', detail: '压测路 1 号', isDefault: true };

/**
 * Dev login (creates the user on first use); spreads over the API processes by index. Buyers
 * (`withAddress`) also get a default delivery address: every order is delivered to one.
 */
async function loginUser(stack, name, i, withAddress = false) {
  const r = await must(stack.baseOf(i), 'POST', '/api/auth/login', { body: { code: `dev:${name}` } });
  if (withAddress) await must(stack.baseOf(i), 'POST', '/api/addresses', { token: r.accessToken, body: BENCH_ADDRESS });
  return { token: r.accessToken, userId: r.user.id };
}

/** Logs in `n` users named `${prefix}${i}`; also the logins/s it took (with their address, for buyers). */
async function loginUsers(stack, prefix, n, withAddress = false) {
  log(`logging in ${n} users (${prefix}*)`);
  const start = performance.now();
  const users = await pool(Array.from({ length: n }, (_, i) => i), SETUP_CONCURRENCY, (i) => loginUser(stack, `${prefix}${i}`, i, withAddress));
  return { users, rps: n / ((performance.now() - start) / 1000) };
}

// ---------------------------------------------------------------- autocannon

const autocannon = requireScripts('autocannon');
const cannons = new Set();

/** One autocannon run; collects every response time (ms) into `latencies` for merged percentiles. */
function cannon(opts, latencies) {
  return new Promise((res, rej) => {
    const inst = autocannon(opts, (err, result) => {
      cannons.delete(inst);
      if (err) rej(err);
      else res(result);
    });
    cannons.add(inst);
    inst.on('response', (_client, _status, _bytes, responseTime) => {
      if (typeof latencies === 'function') latencies(responseTime);
      else latencies.push(responseTime);
    });
  });
}
function stopCannons() {
  for (const c of cannons) c.stop();
}

/** Adds up autocannon results of the parallel instances. */
function combine(results) {
  const sum = (f) => results.reduce((a, r) => a + (f(r) ?? 0), 0);
  const duration = Math.max(...results.map((r) => r.duration));
  return {
    total: sum((r) => r.requests.total),
    rps: sum((r) => r.requests.total / r.duration),
    duration,
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
    statusCodes: results.reduce((acc, r) => {
      for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) acc[code] = (acc[code] ?? 0) + v.count;
      return acc;
    }, {}),
  };
}

/** Bare GET /healthz on every API process at once: the same-run baseline. */
async function measureHealth(stack) {
  log(`GET /healthz for ${HEALTH_SEC} s, ${CONNECTIONS} connections per process`);
  const lat = [];
  const before = await costSnapshot(stack.databaseUrl, stack.redisUrl);
  const stats = combine(await Promise.all(stack.bases.map((b) => cannon({ url: `${b}/healthz`, connections: CONNECTIONS, duration: HEALTH_SEC }, lat))));
  const after = await costSnapshot(stack.databaseUrl, stack.redisUrl);
  return { stats, lat: latencySummary(lat), cpuMs: cpuMsPer(before, after, stats.total) };
}

/**
 * BENCH_WARMUP_SEC (3) of the same kind of request before the measured run, neither counted nor
 * costed: the API's JIT is still compiling the write path for the first seconds it runs at load (perf
 * on a cold 8 s join run, node --perf-basic-prof: 15.6 % of the API processes' CPU in V8's compiler
 * in the first half, 9.3 % in the second), which a server that has been taking joins all morning no
 * longer pays. /healthz gets none: its path is small and it runs 10 s (not measured cold). Returns
 * the items the warm-up did not take (its requests are real: their seats and orders stay, and the
 * invariants count them).
 */
async function warmUp(bases, label, opts) {
  // At most a quarter of the items, so a small run still has most of them to measure.
  const pool = opts.items.slice(0, Math.floor(opts.items.length / 4));
  if (!WARMUP_SEC || !pool.length) return opts.items;
  log(`warm-up: ${label} for ${WARMUP_SEC} s or ${pool.length} requests (not measured)`);
  const r = await distinctRun(bases, { ...opts, items: pool, sec: WARMUP_SEC });
  return opts.items.slice(r.used);
}

/**
 * The measured run: autocannon on every API process for `sec` seconds, each request a POST for the
 * next item (a distinct user) — `request(item)` gives its path and body. When the items run out no
 * user is ever repeated: the run stops (at autocannon's next 1 s tick) and sends harmless GETs until
 * then, which are not counted. `onAnswer(status, json, item)` returns the outcome key ("201",
 * "409 GROUP_FULL", …). Returns autocannon's sums with own counts over the time the real requests took,
 * the outcomes, the latencies and every answer as { at (ms since start), key, ms }.
 */
async function distinctRun(bases, { sec, items, request, onAnswer }) {
  if (!items.length) throw new Error('nothing to send: no items for the run');
  let next = 0;
  let exhaustedAt = 0;
  const nextItem = () => {
    if (next < items.length) return items[next++];
    if (!exhaustedAt) {
      exhaustedAt = performance.now();
      setImmediate(stopCannons);
    }
    return null;
  };
  const outcomes = new Map();
  const answers = [];
  // Items sent whose answer had not come when the run stopped (autocannon drops those): their
  // writes may still have happened, so the invariants count them as unknown, not as refused.
  const inFlight = new Set();
  let lastAnswer = 0;
  let pending = null; // set by onResponse, read by the 'response' listener right after it (same tick)
  const start = performance.now();
  const first = request(items[0]);
  const spec = {
    method: 'POST',
    path: first.path,
    setupRequest: (req, context) => {
      const item = nextItem();
      context.item = item;
      if (!item) return { ...req, method: 'GET', path: '/healthz', headers: {}, body: undefined };
      inFlight.add(item);
      const r = request(item);
      return {
        ...req,
        method: 'POST',
        path: r.path,
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(item.token ? { authorization: `Bearer ${item.token}` } : {}) },
        body: JSON.stringify(r.body ?? {}),
      };
    },
    onResponse: (status, body, context) => {
      pending = null;
      if (!context.item) return;
      inFlight.delete(context.item);
      lastAnswer = performance.now();
      let json = null;
      try {
        json = JSON.parse(body);
      } catch {
        /* not JSON */
      }
      const key = onAnswer(status, json, context.item);
      tally(outcomes, key);
      pending = { at: lastAnswer - start, key };
    },
  };
  const results = await Promise.all(
    bases.map((b) =>
      cannon({ url: b, connections: CONNECTIONS, duration: sec, timeout: 30, requests: [spec] }, (ms) => {
        if (pending) answers.push({ ...pending, ms });
        pending = null;
      }),
    ),
  );
  const end = performance.now();
  const stats = combine(results);
  // Own counts: only real requests (not the filler GETs after the users ran out), over the time they took.
  stats.duration = ((exhaustedAt ? lastAnswer : end) - start) / 1000;
  stats.total = answers.length;
  stats.rps = answers.length / stats.duration;
  return { stats, outcomes, answers, lat: latencySummary(answers.map((a) => a.ms)), exhausted: !!exhaustedAt, users: items.length, sec, unanswered: [...inFlight], used: next };
}

// ---------------------------------------------------------------- database

/** Opens the bench database for `fn({ q, check, fact })`; returns the checks and facts it recorded. */
async function withDb(databaseUrl, fn) {
  const mysql = requireServer('mysql2/promise');
  const db = await mysql.createConnection({ uri: databaseUrl, supportBigNumbers: true, bigNumberStrings: false });
  const checks = [];
  const facts = [];
  try {
    await fn({
      q: async (sql, params = []) => (await db.query(sql, params))[0],
      check: (name, ok, detail) => checks.push({ name, ok, detail }),
      fact: (line) => facts.push(line),
    });
  } finally {
    await db.end();
  }
  return { checks, facts };
}

// ---------------------------------------------------------------- where the time goes

const pidIn = (file) => {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || null;
  } catch {
    return null;
  }
};

/**
 * A snapshot of what the measured run costs: CPU of every process on the machine's side of the test
 * (the API processes, the worker, MariaDB and Redis when this checkout started them, the load
 * generator) and MariaDB's own statement counters. `costLines(before, after, n)` prints the
 * difference per request — the breakdown issue 13 asks for, taken in the same run as the figures.
 */
async function costSnapshot(databaseUrl, redisUrl) {
  const cpu = {};
  for (const c of children) cpu[c.benchName] = cpuSecondsOf(c.pid);
  cpu.mariadb = cpuSecondsOf(pidIn(join(ROOT, '.data', 'mariadb.pid')));
  cpu.redis = cpuSecondsOf(pidIn(join(ROOT, '.data', 'redis.pid')));
  const u = process.cpuUsage();
  cpu['load generator'] = { user: u.user / 1e6, sys: u.system / 1e6 };
  const counters = {};
  // Context switches of the whole machine: on two cores every round trip wakes another process.
  try {
    counters.ctxt = Number(/^ctxt (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? NaN);
  } catch {
    counters.ctxt = NaN;
  }
  await withDb(databaseUrl, async ({ q }) => {
    const rows = await q(`SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Com_commit', 'Com_rollback', 'Com_set_option', 'Com_begin')`);
    for (const r of rows) counters[r.Variable_name] = Number(r.Value);
    if (TABLE_STATS) {
      for (const r of await q(`SELECT TABLE_NAME AS t, ROWS_CHANGED AS c, ROWS_READ AS r FROM INFORMATION_SCHEMA.TABLE_STATISTICS WHERE TABLE_SCHEMA = DATABASE()`)) {
        counters[`changed:${r.t}`] = Number(r.c);
        counters[`read:${r.t}`] = Number(r.r);
      }
    }
  });
  // Redis round trips matter as much as SQL statements here: commands by name, server-wide.
  const redis = {};
  if (redisUrl) {
    const Redis = requireServer('ioredis');
    const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    for (const line of (await r.info('commandstats')).split('\n')) {
      const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
      if (m) redis[m[1]] = Number(m[2]);
    }
    await r.quit();
  }
  return { cpu, counters, redis };
}

/** CPU ms per request of every process (user+kernel) between two snapshots, and their sum. */
function cpuMsPer(before, after, requests) {
  const per = (v) => (requests ? (1000 * v) / requests : 0);
  const procs = Object.keys(after.cpu)
    .filter((k) => after.cpu[k] && before.cpu[k])
    .map((k) => [k, per(after.cpu[k].user - before.cpu[k].user), per(after.cpu[k].sys - before.cpu[k].sys)]);
  return { procs, total: procs.reduce((a, [, u, s]) => a + u + s, 0) };
}

function costLines(before, after, requests, what) {
  const per = (v) => (requests ? v / requests : 0);
  const cpu = cpuMsPer(before, after, requests);
  const d = (k) => (after.counters[k] ?? 0) - (before.counters[k] ?? 0);
  // Our own snapshot queries (the SHOW STATUS itself) are a handful; negligible against thousands.
  return [
    `  where the time goes (per ${what}, during the measured run; ${fmt((cpu.total * requests) / 1000)} CPU-s in all):`,
    `      CPU ms (user+kernel): ${cpu.procs.map(([k, u, s]) => `${k} ${fmt(u + s, 2)} (${fmt(u, 2)}+${fmt(s, 2)})`).join(', ')}`,
    `      context switches (whole machine): ${fmt(per(d('ctxt')), 1)}`,
    redisLine(before.redis, after.redis, per),
    ...(TABLE_STATS ? ['changed', 'read'].map((what) => tableLine(what, d, after.counters, per)) : []),
    `      MariaDB statements: ${fmt(per(d('Questions')))} (select ${fmt(per(d('Com_select')))}, insert ${fmt(per(d('Com_insert')))}, update ${fmt(per(d('Com_update')))}, delete ${fmt(per(d('Com_delete')))}, begin ${fmt(per(d('Com_begin')))}, commit ${fmt(per(d('Com_commit')))}, rollback ${fmt(per(d('Com_rollback')))}, set ${fmt(per(d('Com_set_option')))})`,
  ];
}

/** Rows changed (or read) per request by table, from MariaDB's TABLE_STATISTICS (BENCH_TABLE_STATS=1). */
function tableLine(what, d, counters, per) {
  const rows = Object.keys(counters).filter((k) => k.startsWith(`${what}:`)).map((k) => [k.slice(what.length + 1), d(k)]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  return `      MariaDB rows ${what}: ${fmt(per(rows.reduce((a, [, n]) => a + n, 0)), 2)} (${rows.slice(0, 10).map(([t, n]) => `${t} ${fmt(per(n), 2)}`).join(', ')})`;
}

/** Redis commands per request, the busiest first (our own INFO calls are two; negligible). */
function redisLine(before, after, per) {
  const diff = Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  const total = diff.reduce((a, [, n]) => a + n, 0);
  return `      Redis commands (a script's own calls counted too): ${fmt(per(total), 2)} (${diff.slice(0, 8).map(([k, n]) => `${k} ${fmt(per(n), 2)}`).join(', ')})`;
}

// ---------------------------------------------------------------- report

/**
 * The summary block every mode prints. `measured` is distinctRun()'s result plus label/okLabel/okUnit/
 * who/knob; `lines` are the mode's own lines after it (side phases); `ratio` names the ratio line.
 */
function report({ title, setup, health, measured: m, lines, ratio, invariants, t0, durability, rows = [] }) {
  const out = [];
  const p = (s = '') => out.push(s);
  const width = Math.max(25, m.label.length);
  const rpsLine = (label, rps, l) => `  ${label.padEnd(width)} ${fmt(rps, 0).padStart(6)} req/s   p50 ${fmt(l.p50)} ms  p99 ${fmt(l.p99)} ms`;
  const errors = m.stats.errors + countWhere(m.outcomes, /^5\d\d/);
  const okKey = m.okKey ?? '201';
  const ok = m.outcomes.get(okKey) ?? 0;
  const business = [...m.outcomes].filter(([k]) => /^4\d\d/.test(k));
  const other = [...m.outcomes].filter(([k]) => k !== okKey && !/^[45]\d\d/.test(k));
  p();
  p(`${title} benchmark — 2 API processes + 1 worker, MariaDB + Redis on this machine`);
  for (const s of setup) p(`  ${s}`);
  p();
  p(`${rpsLine('GET /healthz', health.stats.rps, health.lat)}   (${health.stats.total} requests, ${health.stats.errors} errors, ${health.stats.non2xx} non-2xx)`);
  p(`      CPU ms per request (user+kernel): ${health.cpuMs.procs.map(([k, u, s]) => `${k} ${fmt(u + s, 3)}`).join(', ')}; ${fmt(health.cpuMs.total, 3)} in all`);
  p(`${rpsLine(m.label, m.stats.rps, m.lat)}  max ${fmt(m.lat.max)} ms   (${m.stats.total} answered in ${fmt(m.stats.duration)} s)`);
  p(`      ${m.okLabel} (${okKey}): ${ok}  →  ${fmt(ok / m.stats.duration, 0)} ${m.okUnit}/s`);
  p(`      non-2xx business outcomes: ${business.length ? listOutcomes(business) : 'none'}`);
  p(`      errors: ${errors} (socket errors ${m.stats.errors} incl. ${m.stats.timeouts} timeouts, 5xx ${errors - m.stats.errors})`);
  if (other.length) p(`      other: ${listOutcomes(other)}`);
  if (m.exhausted) p(`      NOTE: all ${m.users} ${m.who} were used before ${m.sec} s; raise ${m.knob} for a full-length run`);
  for (const s of lines) p(s);
  p(`  ${ratio} / healthz: ${fmt((100 * m.stats.rps) / health.stats.rps)} %`);
  // When every core is busy, req/s is cores ÷ CPU per request, so the ratio of CPU costs predicts the
  // ratio above: a route that costs k× a /healthz in CPU answers about 1/k of its rate. It moves less
  // than req/s between runs (a machine that is slower for the whole run changes both sides alike), and
  // tells what a target needs: 20 % means a request may cost at most 5 bare /healthz requests of CPU,
  // load generator included.
  if (m.cpuMs?.total && health.cpuMs.total) {
    const k = m.cpuMs.total / health.cpuMs.total;
    p(`  CPU per ${ratio} / CPU per /healthz: ${fmt(m.cpuMs.total, 3)} / ${fmt(health.cpuMs.total, 3)} ms = ${fmt(k, 1)}× (ratio if CPU-bound ≈ ${fmt(100 / k)} %)`);
    // The same without the load generator: what the server alone spends, whatever the harness costs.
    const server = (c) => c.total - c.procs.filter(([name]) => name === 'load generator').reduce((a, [, u, sys]) => a + u + sys, 0);
    p(`      server side only (API, worker, MariaDB, Redis): ${fmt(server(m.cpuMs), 3)} / ${fmt(server(health.cpuMs), 3)} ms = ${fmt(server(m.cpuMs) / server(health.cpuMs), 1)}×`);
  }
  p();
  p('  Database');
  for (const line of invariants.facts) p(`    ${line}`);
  p();
  p('  Invariants');
  for (const c of invariants.checks) p(`    ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
  p();
  // One table for the README: every route measured in this run against the same run's /healthz.
  p(`  Summary (durability: ${durability})`);
  p('  | route | req/s | p50 / p99 ms | ratio to /healthz | durability |');
  p('  |---|---|---|---|---|');
  const row = (route, rps, l) => p(`  | \`${route}\` | ${fmt(rps, 0)} | ${fmt(l.p50)} / ${fmt(l.p99)} | ${fmt((100 * rps) / health.stats.rps)} % | ${durability} |`);
  row('GET /healthz', health.stats.rps, health.lat);
  row(m.label, m.stats.rps, m.lat);
  for (const r of rows) row(r.route, r.rps, r.lat);
  p();
  p(`  wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  process.stdout.write(`${out.join('\n')}\n`);
  return { failed: invariants.checks.some((c) => !c.ok), serverErrors: errors };
}

// ---------------------------------------------------------------- join

const JOIN_SEC = int('BENCH_JOIN_SEC', 15);
// Enough joiners that a 15 s run at ~1 600 joins/s does not run out (4 seats per group of 5).
const OPENERS = int('BENCH_OPENERS', 6000);
const USERS = int('BENCH_USERS', 24000);
const PAY_MAX = int('BENCH_PAY_MAX', Number.MAX_SAFE_INTEGER);
const PAY_SEC = int('BENCH_PAY_SEC', 25);
const PAY_CONCURRENCY = int('BENCH_PAY_CONCURRENCY', 50);
const GROUP_SIZE = 5;
const CAMPAIGN_STOCK = 100_000;

/** A product and its running campaign for a bench run: one unit per order, one open group and one unit per user. */
async function benchCampaign(base, token, title) {
  const product = await must(base, 'POST', '/admin/products', {
    token,
    body: {
      title: '压测专用 团购商品',
      description: 'bench',
      category: '压测',
      images: ['/static/products/orange.svg'],
      status: 'on_sale',
      skus: [{ specLabel: '1 件', listPrice: 1999, stock: CAMPAIGN_STOCK * 2 }],
    },
  });
  return must(base, 'POST', '/admin/campaigns', {
    token,
    body: {
      skuId: product.skus[0].id,
      title,
      groupPrice: 999,
      groupSize: GROUP_SIZE,
      groupDurationSec: 3600,
      paymentTimeoutSec: 900,
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      endsAt: new Date(Date.now() + 86_400_000).toISOString(),
      stock: CAMPAIGN_STOCK,
      limits: { perOrder: 1, openGroupsPerUser: 1, unitsPerUser: 1 },
      allowSolo: true,
    },
  });
}

async function benchJoin(stack) {
  const { bases, baseOf } = stack;
  // ---------------- set-up: product, campaign, open groups, joiner tokens
  const setupStart = performance.now();
  const token = await adminToken(bases[0]);
  const campaign = await benchCampaign(bases[0], token, '压测拼团');

  log(`opening ${OPENERS} groups (login, POST /api/groups, sandbox-pay)`);
  const groups = (
    await pool(Array.from({ length: OPENERS }, (_, i) => i), SETUP_CONCURRENCY, async (i) => {
      const base = baseOf(i);
      const opener = await loginUser(stack, `bench-opener-${i}`, i, true);
      const order = await must(base, 'POST', '/api/groups', { token: opener.token, body: { campaignId: campaign.id, quantity: 1 } });
      // A pay whose own notification timed out on a loaded machine is retried by must(); the retry
      // may find the first attempt's payment applied after all (409 ORDER_NOT_PAYABLE, status paid).
      const paid = await must(base, 'POST', `/api/orders/${order.id}/sandbox-pay`, { token: opener.token }).catch(async (err) => {
        if (!/ORDER_NOT_PAYABLE/.test(err.message)) throw err;
        return must(base, 'GET', `/api/orders/${order.id}`, { token: opener.token });
      });
      return paid.groupStatus === 'open' ? order.groupId : null;
    })
  ).filter((g) => g !== null);
  if (groups.length !== OPENERS) throw new Error(`only ${groups.length} of ${OPENERS} groups opened after their opener paid`);

  const joiners = await loginUsers(stack, 'bench-user-', USERS, true);
  const setupSec = (performance.now() - setupStart) / 1000;

  // ---------------- the measured join run
  // Item i = (user i, group i mod G): every request is a new user; a group gets its 4 free seats from
  // 4 different users, and items beyond 4·G meet full groups (GROUP_FULL, an expected outcome).
  const joinedOrders = []; // { orderId, token, groupId }
  const joinRequest = {
    request: (it) => ({ path: `/api/groups/${it.groupId}/join`, body: { quantity: 1 } }),
    onAnswer: (status, json, it) => {
      if (status === 201 && json?.id) {
        joinedOrders.push({ orderId: json.id, token: it.token, groupId: it.groupId });
        return '201';
      }
      return status === 201 ? '201 (no order id)' : outcomeOf(status, json);
    },
  };
  // The warm-up takes the first joiners (real seats, counted by the invariants); the measured run the rest.
  const items = await warmUp(bases, 'POST /api/groups/:id/join', { ...joinRequest, items: joiners.users.map((u, i) => ({ ...u, groupId: groups[i % groups.length] })) });
  log(`POST /api/groups/:id/join for ${JOIN_SEC} s, ${CONNECTIONS} connections per process, ${items.length} distinct users over ${groups.length} open groups`);
  const joinFrom = new Date();
  const costBefore = await costSnapshot(stack.databaseUrl, stack.redisUrl);
  const measured = await distinctRun(bases, {
    sec: JOIN_SEC,
    items,
    ...joinRequest,
  });
  const joinTo = new Date();
  const costAfter = await costSnapshot(stack.databaseUrl, stack.redisUrl);
  measured.cpuMs = cpuMsPer(costBefore, costAfter, measured.stats.total);

  // ---------------- pay the join orders
  const toPay = joinedOrders.slice(0, PAY_MAX);
  log(`sandbox-pay of ${toPay.length} join orders, concurrency ${PAY_CONCURRENCY} (cap ${PAY_SEC} s)`);
  const payLat = [];
  const payOutcomes = new Map();
  const payCostBefore = await costSnapshot(stack.databaseUrl, stack.redisUrl);
  const payStart = performance.now();
  await pool(
    toPay,
    PAY_CONCURRENCY,
    (o, i) =>
      tallied(payOutcomes, payLat, baseOf(i), 'POST', `/api/orders/${o.orderId}/sandbox-pay`, {
        token: o.token,
        // A paid order's own status (paid, refunding, …) rather than the bare 200.
        keyOf: (status, json) => (status === 200 ? `200 ${json?.status}` : outcomeOf(status, json)),
      }),
    payStart + PAY_SEC * 1000,
  );
  const paySec = (performance.now() - payStart) / 1000;
  const payL = latencySummary(payLat);
  const payCostAfter = await costSnapshot(stack.databaseUrl, stack.redisUrl);

  return {
    title: 'Join',
    setup: [`setup: ${groups.length} open groups of ${GROUP_SIZE}, ${items.length} joiners logged in (${fmt(joiners.rps, 0)} logins/s), ${fmt(setupSec)} s`],
    measured: { ...measured, label: 'POST /api/groups/:id/join', okLabel: 'joined', okUnit: 'seats', who: 'joiners', knob: 'BENCH_USERS' },
    lines: [
      `  POST /api/orders/:id/sandbox-pay ${fmt(payLat.length / paySec, 0)} req/s   p50 ${fmt(payL.p50)} ms  p99 ${fmt(payL.p99)} ms   (${payLat.length} of ${joinedOrders.length} join orders in ${fmt(paySec)} s, concurrency ${PAY_CONCURRENCY})`,
      `      outcomes: ${listOutcomes([...payOutcomes]) || 'none'}`,
      ...(payLat.length ? costLines(payCostBefore, payCostAfter, payLat.length, 'sandbox-pay answered') : []),
      ...(await outboxLines(stack.databaseUrl, joinFrom, joinTo, measured.stats.duration)),
      ...costLines(costBefore, costAfter, measured.stats.total, 'join answered'),
    ],
    ratio: 'join',
    rows: [{ route: 'POST /api/orders/:id/sandbox-pay', rps: payLat.length / paySec, lat: payL }],
    sideErrors: serverErrorsIn(payOutcomes),
    invariants: await joinInvariants(stack.databaseUrl, campaign.id),
  };
}

const OUTBOX_DRAIN_SEC = int('BENCH_OUTBOX_DRAIN_SEC', 30);

/**
 * The outbox during the join run, read from MySQL: events written per second (created in the run's
 * window, over the time its real requests took) and, once the worker has drained its backlog (at most
 * BENCH_OUTBOX_DRAIN_SEC), the dispatch lag of those events — commit to subscriber done
 * (`delivered_at − created_at`) — and the fan-out lag (commit to deliveries created). `created_at` is
 * taken when the request's transaction writes the event, a little before its commit, so under this
 * load the figures also hold the tail of the writing transaction.
 */
async function outboxLines(databaseUrl, from, to, runSec) {
  const sqlTime = (d) => d.toISOString().replace('T', ' ').replace('Z', ''); // UTC, as the columns hold it
  const window = [sqlTime(from), sqlTime(to)];
  const lines = [];
  await withDb(databaseUrl, async ({ q }) => {
    const types = await q(`SELECT type, COUNT(*) AS n FROM domain_events WHERE created_at >= ? AND created_at < ? GROUP BY type ORDER BY n DESC`, window);
    const written = types.reduce((a, r) => a + Number(r.n), 0);
    lines.push(
      `  outbox: ${written} events written during the join run → ${fmt(written / runSec, 0)} events/s${types.length ? `   (${types.map((r) => `${r.type} ${r.n}`).join(', ')})` : ''}`,
    );
    const drainStart = performance.now();
    let backlog;
    for (;;) {
      [backlog] = await q(
        `SELECT (SELECT COUNT(*) FROM domain_events WHERE fanned_out_at IS NULL) AS unfanned, (SELECT COUNT(*) FROM event_deliveries WHERE status = 'pending') AS pending`,
      );
      if ((Number(backlog.unfanned) === 0 && Number(backlog.pending) === 0) || performance.now() - drainStart > OUTBOX_DRAIN_SEC * 1000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const lagOf = async (sql) => latencySummary((await q(sql, window)).map((r) => Math.max(0, Number(r.ms))));
    const dispatch = await lagOf(
      `SELECT TIMESTAMPDIFF(MICROSECOND, e.created_at, d.delivered_at) / 1000 AS ms FROM event_deliveries d JOIN domain_events e ON e.id = d.event_id
        WHERE e.created_at >= ? AND e.created_at < ? AND d.status = 'done'`,
    );
    // An event no subscriber handles is written fanned out (fanned_out_at = created_at): no lag to show.
    const fanOut = await lagOf(
      `SELECT TIMESTAMPDIFF(MICROSECOND, created_at, fanned_out_at) / 1000 AS ms FROM domain_events WHERE created_at >= ? AND created_at < ? AND fanned_out_at > created_at`,
    );
    const [born] = await q(`SELECT COUNT(*) AS n FROM domain_events WHERE created_at >= ? AND created_at < ? AND fanned_out_at = created_at`, window);
    const [parked] = await q(`SELECT COUNT(*) AS n FROM event_deliveries WHERE status = 'parked'`);
    lines.push(`      dispatch lag (commit → subscriber done): p50 ${fmt(dispatch.p50)} ms  p99 ${fmt(dispatch.p99)} ms  max ${fmt(dispatch.max)} ms   (${dispatch.n} deliveries)`);
    lines.push(`      fan-out lag (commit → deliveries created): p50 ${fmt(fanOut.p50)} ms  p99 ${fmt(fanOut.p99)} ms   (${fanOut.n} events; ${born.n} written fanned out, no subscriber); parked deliveries ${parked.n}`);
    if (Number(backlog.unfanned) || Number(backlog.pending)) {
      lines.push(`      NOTE: after ${OUTBOX_DRAIN_SEC} s the worker still had ${backlog.unfanned} events to fan out and ${backlog.pending} deliveries pending`);
    }
  });
  return lines;
}

function joinInvariants(databaseUrl, campaignId) {
  return withDb(databaseUrl, async ({ q, check, fact }) => {
    const [overfull] = await q(`SELECT COUNT(*) AS n FROM group_buys WHERE seats_taken > size OR paid_count > size OR seats_taken < 0 OR paid_count < 0`);
    const worst = await q(`SELECT id, size, seats_taken, paid_count FROM group_buys WHERE seats_taken > size OR paid_count > size LIMIT 5`);
    check('no group with seats_taken > size or paid_count > size', Number(overfull.n) === 0, Number(overfull.n) ? `${overfull.n} groups, e.g. ${JSON.stringify(worst)}` : '');

    const [c] = await q(`SELECT stock_total, stock_left FROM campaigns WHERE id = ?`, [campaignId]);
    const byStatus = await q(`SELECT status, kind, COUNT(*) AS n, SUM(quantity) AS units FROM orders WHERE campaign_id = ? GROUP BY status, kind ORDER BY kind, status`, [campaignId]);
    // Cancelled orders gave their units back; so did paid orders that went to refunding (refundPaid).
    const [held] = await q(`SELECT COALESCE(SUM(quantity), 0) AS units FROM orders WHERE campaign_id = ? AND status NOT IN ('cancelled', 'refunding', 'refunded')`, [campaignId]);
    const [notCancelled] = await q(`SELECT COALESCE(SUM(quantity), 0) AS units FROM orders WHERE campaign_id = ? AND status <> 'cancelled'`, [campaignId]);
    const sold = Number(c.stock_total) - Number(c.stock_left);
    check('campaign stock_left >= 0', Number(c.stock_left) >= 0, `stock_left ${c.stock_left}`);
    check(
      'stock_total - stock_left == units of orders not cancelled (nor refunded, which also returned stock)',
      sold === Number(held.units),
      `${c.stock_total} - ${c.stock_left} = ${sold}; units held ${held.units}${Number(notCancelled.units) !== Number(held.units) ? ` (incl. refunding/refunded ${notCancelled.units})` : ''}`,
    );

    const dupes = await q(
      `SELECT group_id, user_id, COUNT(*) AS n FROM group_members WHERE status <> 'released' OR active_user_id IS NOT NULL GROUP BY group_id, user_id HAVING COUNT(*) > 1 LIMIT 5`,
    );
    check('no user with two active seats in one group', dupes.length === 0, dupes.length ? JSON.stringify(dupes) : '');

    // Consistency of the counters with the rows they count (not asked for, but cheap and telling).
    const seatDrift = await q(
      `SELECT g.id, g.status, g.seats_taken, COUNT(m.id) AS members FROM group_buys g
         LEFT JOIN group_members m ON m.group_id = g.id AND m.status <> 'released'
        WHERE g.status IN ('open', 'succeeded') GROUP BY g.id, g.status, g.seats_taken HAVING g.seats_taken <> COUNT(m.id) LIMIT 5`,
    );
    check('seats_taken == active members (open/succeeded groups)', seatDrift.length === 0, seatDrift.length ? JSON.stringify(seatDrift) : '');
    const paidDrift = await q(
      `SELECT g.id, g.status, g.paid_count, SUM(m.status = 'paid') AS paid FROM group_buys g
         LEFT JOIN group_members m ON m.group_id = g.id
        WHERE g.status IN ('open', 'succeeded') GROUP BY g.id, g.status, g.paid_count HAVING g.paid_count <> COALESCE(SUM(m.status = 'paid'), 0) LIMIT 5`,
    );
    check('paid_count == paid members (open/succeeded groups)', paidDrift.length === 0, paidDrift.length ? JSON.stringify(paidDrift) : '');

    const groupsByStatus = await q(`SELECT status, COUNT(*) AS n, SUM(seats_taken) AS seats, SUM(paid_count) AS paid FROM group_buys WHERE campaign_id = ? GROUP BY status`, [campaignId]);
    fact(`campaign ${campaignId}: stock_total ${c.stock_total}, stock_left ${c.stock_left}`);
    fact(`orders: ${byStatus.map((r) => `${r.kind}/${r.status} ${r.n}`).join(', ')}`);
    fact(`groups: ${groupsByStatus.map((r) => `${r.status} ${r.n} (seats ${r.seats}, paid ${r.paid})`).join(', ')}`);
  });
}

// ---------------------------------------------------------------- launch

const LAUNCH_SEC = int('BENCH_LAUNCH_SEC', 15);
const LAUNCH_USERS = int('BENCH_LAUNCH_USERS', 12000);

/**
 * 开团 (`POST /api/groups`): every request a new user launching a group of one campaign (one open
 * group per user). Measures the launch answered — a pending group, its history row, the opener's
 * seat and the order, durable — and checks afterwards that each order has exactly its group and seat.
 */
async function benchLaunch(stack) {
  const { bases } = stack;
  const setupStart = performance.now();
  const token = await adminToken(bases[0]);
  const campaign = await benchCampaign(bases[0], token, '压测开团');
  const openers = await loginUsers(stack, 'bench-launcher-', LAUNCH_USERS, true);
  const setupSec = (performance.now() - setupStart) / 1000;
  const launch = {
    request: () => ({ path: '/api/groups', body: { campaignId: campaign.id, quantity: 1 } }),
    onAnswer: (status, json) => (status === 201 && json?.groupId ? '201' : status === 201 ? '201 (no group id)' : outcomeOf(status, json)),
  };
  // The warm-up's launchers are real (their groups count in the invariants); the measured run takes the rest.
  const items = await warmUp(bases, 'POST /api/groups', { ...launch, items: openers.users });
  log(`POST /api/groups for ${LAUNCH_SEC} s, ${CONNECTIONS} connections per process, ${items.length} distinct users`);
  const costBefore = await costSnapshot(stack.databaseUrl, stack.redisUrl);
  const measured = await distinctRun(bases, {
    sec: LAUNCH_SEC,
    items,
    ...launch,
  });
  const costAfter = await costSnapshot(stack.databaseUrl, stack.redisUrl);
  measured.cpuMs = cpuMsPer(costBefore, costAfter, measured.stats.total);
  await new Promise((r) => setTimeout(r, 1000)); // requests still in flight when the run stopped commit first
  return {
    title: 'Launch',
    setup: [`setup: campaign ${campaign.id} (stock ${CAMPAIGN_STOCK}, one open group per user), ${openers.users.length} openers logged in (${fmt(openers.rps, 0)} logins/s), ${fmt(setupSec)} s`],
    measured: { ...measured, label: 'POST /api/groups', okLabel: 'launched', okUnit: 'groups', who: 'openers', knob: 'BENCH_LAUNCH_USERS' },
    lines: costLines(costBefore, costAfter, measured.stats.total, 'launch answered'),
    ratio: 'launch',
    rows: [],
    sideErrors: 0,
    invariants: await launchInvariants(stack.databaseUrl, campaign.id),
  };
}

/** The join run's stock and seat checks, plus: each launch order has exactly its group and opener seat. */
async function launchInvariants(databaseUrl, campaignId) {
  const base = await joinInvariants(databaseUrl, campaignId);
  const own = await withDb(databaseUrl, async ({ q, check, fact }) => {
    const [orphans] = await q(
      `SELECT COUNT(*) AS n FROM orders o LEFT JOIN group_buys g ON g.id = o.group_id AND g.opener_user_id = o.user_id
         LEFT JOIN group_members m ON m.group_id = g.id AND m.order_id = o.id AND m.role = 'opener'
        WHERE o.campaign_id = ? AND o.kind = 'group_open' AND m.id IS NULL`,
      [campaignId],
    );
    check('every launch order has its own group (opened by its buyer) and opener seat', Number(orphans.n) === 0, `${orphans.n} without`);
    const [counts] = await q(
      `SELECT (SELECT COUNT(*) FROM orders WHERE campaign_id = ? AND kind = 'group_open') AS orders, (SELECT COUNT(*) FROM group_buys WHERE campaign_id = ?) AS groups_n,
              (SELECT COUNT(*) FROM group_members m JOIN group_buys g ON g.id = m.group_id WHERE g.campaign_id = ?) AS seats`,
      [campaignId, campaignId, campaignId],
    );
    check('launch orders == groups == seats', Number(counts.orders) === Number(counts.groups_n) && Number(counts.groups_n) === Number(counts.seats), `${counts.orders} / ${counts.groups_n} / ${counts.seats}`);
    const [twice] = await q(`SELECT COUNT(*) AS n FROM (SELECT opener_user_id FROM group_buys WHERE campaign_id = ? GROUP BY opener_user_id HAVING COUNT(*) > 1) x`, [campaignId]);
    check('no user with two groups (one open group per user)', Number(twice.n) === 0, `${twice.n} users`);
    fact(`launched: ${counts.orders} orders, ${counts.groups_n} groups, ${counts.seats} seats`);
  });
  return { checks: [...base.checks, ...own.checks], facts: [...base.facts, ...own.facts] };
}

// ---------------------------------------------------------------- claim

const CLAIM_SEC = int('BENCH_CLAIM_SEC', 15);
// The target counts real issues, so by default the stock outlasts a 15 s run at several hundred
// issues/s (a sold-out answer is a cheap Redis refusal and would flatter the figure); the sold-out
// phase is still measured when BENCH_CLAIM_STOCK is set lower.
const CLAIM_USERS = int('BENCH_CLAIM_USERS', 40000);
const CLAIM_STOCK = int('BENCH_CLAIM_STOCK', 30000);
const BURST_CLAIMS = int('BENCH_BURST_CLAIMS', 50);
const BURST_LIMIT = 2;
const CLAIMS_PER_MIN = '1000000'; // server default 60 per user per minute

async function benchClaim(stack) {
  const { bases, baseOf } = stack;
  if (CLAIM_USERS <= CLAIM_STOCK) log(`WARNING: BENCH_CLAIM_USERS (${CLAIM_USERS}) ≤ BENCH_CLAIM_STOCK (${CLAIM_STOCK}): demand does not exceed stock, no sold-out phase`);
  // ---------------- set-up: two centre templates, claimer tokens
  const setupStart = performance.now();
  const token = await adminToken(bases[0]);
  const template = (name, totalStock, perUserLimit) =>
    must(bases[0], 'POST', '/admin/coupon-templates', {
      token,
      body: {
        name,
        kind: 'amount_off',
        amountOff: 500,
        threshold: 2000,
        validity: { type: 'relative', days: 7 },
        totalStock,
        perUserLimit,
        endsAt: new Date(Date.now() + 86_400_000).toISOString(),
      },
    });
  const main = await template('压测 满20减5', CLAIM_STOCK, 1);
  const burstTpl = await template('压测 满20减5 每人2张', 100, BURST_LIMIT);
  // The warm-up claims a template of its own, so the measured run still has every user and all the stock.
  const warmTpl = WARMUP_SEC ? await template('压测 预热券', CLAIM_USERS, 1) : null;
  const claimers = await loginUsers(stack, 'bench-claimer-', CLAIM_USERS);
  const burstUser = await loginUser(stack, 'bench-burst-claimer', 0);
  const setupSec = (performance.now() - setupStart) / 1000;

  // ---------------- the measured claim run
  const issuedTo = new Set(); // user ids that got a 201
  if (warmTpl) {
    await warmUp(bases, 'POST /api/coupon-templates/:id/claim', {
      items: claimers.users,
      request: () => ({ path: `/api/coupon-templates/${warmTpl.id}/claim` }),
      onAnswer: (status, json) => (status === 201 ? '201' : outcomeOf(status, json)),
    });
  }
  log(`POST /api/coupon-templates/${main.id}/claim for ${CLAIM_SEC} s, ${CONNECTIONS} connections per process, ${claimers.users.length} distinct users, stock ${CLAIM_STOCK}`);
  const costBefore = await costSnapshot(stack.databaseUrl, stack.redisUrl);
  const measured = await distinctRun(bases, {
    sec: CLAIM_SEC,
    items: claimers.users,
    request: () => ({ path: `/api/coupon-templates/${main.id}/claim` }),
    onAnswer: (status, json, it) => {
      if (status === 201 && json?.templateId === main.id) {
        issuedTo.add(it.userId);
        return '201';
      }
      return status === 201 ? '201 (unexpected body)' : outcomeOf(status, json);
    },
  });
  const costAfter = await costSnapshot(stack.databaseUrl, stack.redisUrl);
  measured.cpuMs = cpuMsPer(costBefore, costAfter, measured.stats.total);
  // Phases: until the first COUPON_SOLD_OUT answer (issues, and the claims racing them), and after it.
  const soldOut = measured.answers.find((a) => a.key === '409 COUPON_SOLD_OUT');
  const end = measured.stats.duration * 1000;
  const phase = (name, list, fromMs, toMs) => {
    const l = latencySummary(list.map((a) => a.ms));
    const sec = (toMs - fromMs) / 1000;
    return `      ${`${name}:`.padEnd(40)} ${list.length} answered in ${fmt(sec)} s → ${fmt(list.length / sec, 0)} req/s   p50 ${fmt(l.p50)} ms  p99 ${fmt(l.p99)} ms`;
  };
  const byKey = (key) => {
    const l = latencySummary(measured.answers.filter((a) => a.key === key).map((a) => a.ms));
    return `${key} p50 ${fmt(l.p50)} / p99 ${fmt(l.p99)} ms`;
  };
  const lines = soldOut
    ? [
        phase('before sold-out (first COUPON_SOLD_OUT)', measured.answers.filter((a) => a.at < soldOut.at), 0, soldOut.at),
        phase('after sold-out', measured.answers.filter((a) => a.at >= soldOut.at), soldOut.at, end),
      ]
    : ['      never sold out during the run'];
  lines.push(`      latency by outcome: ${[...measured.outcomes.keys()].sort().map(byKey).join(';  ')}`);
  // The row the target is about: claims answered while coupons were still being issued.
  const issuing = soldOut ? measured.answers.filter((a) => a.at < soldOut.at) : measured.answers;
  const issuingSec = (soldOut ? soldOut.at : end) / 1000;
  const realIssues = { route: 'POST /api/coupon-templates/:id/claim — real issues (before sold-out)', rps: issuing.length / issuingSec, lat: latencySummary(issuing.map((a) => a.ms)) };
  lines.push(...costLines(costBefore, costAfter, measured.stats.total, 'claim answered'));

  // ---------------- one user, many concurrent claims (not timed against the target)
  log(`one user, ${BURST_CLAIMS} concurrent claims on template ${burstTpl.id} (perUserLimit ${BURST_LIMIT})`);
  const burstOutcomes = new Map();
  const burstLat = [];
  await Promise.all(
    Array.from({ length: BURST_CLAIMS }, (_, i) => tallied(burstOutcomes, burstLat, baseOf(i), 'POST', `/api/coupon-templates/${burstTpl.id}/claim`, { token: burstUser.token })),
  );
  const burstL = latencySummary(burstLat);
  lines.push(
    `  burst: 1 user × ${BURST_CLAIMS} concurrent claims, perUserLimit ${BURST_LIMIT}: ${listOutcomes([...burstOutcomes].sort())}   (p50 ${fmt(burstL.p50)} ms  p99 ${fmt(burstL.p99)} ms)`,
  );

  return {
    title: 'Claim',
    setup: [
      `setup: template ${main.id} (amount_off 500 ≥ 2000, totalStock ${CLAIM_STOCK}, perUserLimit 1), ${claimers.users.length} claimers logged in (${fmt(claimers.rps, 0)} logins/s), ${fmt(setupSec)} s`,
      `COUPON_CLAIMS_PER_MIN raised to ${CLAIMS_PER_MIN} (default 60 per user per minute) so the per-user rate limit does not dominate`,
    ],
    measured: { ...measured, label: 'POST /api/coupon-templates/:id/claim', okLabel: 'issued', okUnit: 'coupons', who: 'claimers', knob: 'BENCH_CLAIM_USERS' },
    lines,
    ratio: 'claim',
    rows: [realIssues],
    sideErrors: serverErrorsIn(burstOutcomes),
    invariants: await claimInvariants(stack.databaseUrl, {
      main,
      warm: warmTpl,
      issuedTo,
      cutOff: new Set(measured.unanswered.map((u) => u.userId)),
      burst: { template: burstTpl, userId: burstUser.userId, ok: burstOutcomes.get('201') ?? 0 },
      allUsed: measured.exhausted,
    }),
  };
}

function claimInvariants(databaseUrl, { main, warm, issuedTo, cutOff, burst, allUsed }) {
  return withDb(databaseUrl, async ({ q, check, fact }) => {
    const [t] = await q(`SELECT total_stock, issued, per_user_limit, status FROM coupon_templates WHERE id = ?`, [main.id]);
    const [coupons] = await q(`SELECT COUNT(*) AS n, COUNT(DISTINCT user_id) AS users FROM user_coupons WHERE template_id = ?`, [main.id]);
    const issued = Number(t.issued);
    const stock = Number(t.total_stock);
    // Holders = users told 201, plus some of those whose request was cut off by the end of the run.
    const holders = (await q(`SELECT DISTINCT user_id FROM user_coupons WHERE template_id = ?`, [main.id])).map((r) => Number(r.user_id));
    const silent = holders.filter((u) => !issuedTo.has(u));
    const expected = Math.min(stock, issuedTo.size + silent.filter((u) => cutOff.has(u)).length);
    check(
      'template.issued == COUNT(user_coupons) == min(stock, distinct users answered 201 + holders cut off in flight)',
      issued === Number(coupons.n) && issued === expected,
      `issued ${issued}, user_coupons ${coupons.n}, min(${stock}, ${issuedTo.size} + ${expected - Math.min(stock, issuedTo.size)}) = ${expected}`,
    );
    check('issued ≤ totalStock', issued <= stock, `${issued} ≤ ${stock}`);
    // No coupon behind a refusal or a lost answer: a holder was told 201, or its request was still in
    // flight when the load generator stopped (its answer was never read; ${cutOff.size} such requests).
    const lost = silent.filter((u) => !cutOff.has(u));
    check(
      'every holder was answered 201 (or its request was in flight when the run stopped)',
      lost.length === 0,
      `${lost.length ? `${lost.length} holders without a 201, e.g. users ${lost.slice(0, 5).join(', ')}; ` : ''}${silent.length - lost.length} of ${cutOff.size} cut-off requests hold one`,
    );
    if (allUsed && CLAIM_USERS > stock) {
      // Demand exceeded stock and every claimer was heard: nothing may be stranded in the Redis gate.
      check('sold out completely (demand > stock, all claimers used)', issued === stock, `issued ${issued} of ${stock}`);
    }

    const ids = [main.id, burst.template.id, ...(warm ? [warm.id] : [])];
    const over = await q(
      `SELECT uc.template_id, uc.user_id, COUNT(*) AS n, t.per_user_limit FROM user_coupons uc JOIN coupon_templates t ON t.id = uc.template_id
        WHERE uc.template_id IN (?) GROUP BY uc.template_id, uc.user_id, t.per_user_limit HAVING COUNT(*) > t.per_user_limit LIMIT 5`,
      [ids],
    );
    check('no user holds more than perUserLimit coupons of a template', over.length === 0, over.length ? JSON.stringify(over) : '');
    // Counter rows against the coupons they count (not asked for, but cheap and telling). The
    // coupons are counted first, in one pass: a LEFT JOIN per counter row was once planned through
    // the template index on tables fresh from the run (statistics not yet updated) — 30 000 × 30 000
    // rows, minutes of MariaDB at full CPU.
    const drift = await q(
      `SELECT c.template_id, c.user_id, c.claimed, COALESCE(u.n, 0) AS coupons FROM coupon_user_claims c
         LEFT JOIN (SELECT template_id, user_id, COUNT(*) AS n FROM user_coupons WHERE template_id IN (?) GROUP BY template_id, user_id) u
           ON u.template_id = c.template_id AND u.user_id = c.user_id
        WHERE c.template_id IN (?) AND c.claimed <> COALESCE(u.n, 0) LIMIT 5`,
      [ids, ids],
    );
    check('coupon_user_claims.claimed == coupons held, per user and template', drift.length === 0, drift.length ? JSON.stringify(drift) : '');

    const [b] = await q(`SELECT issued FROM coupon_templates WHERE id = ?`, [burst.template.id]);
    const [held] = await q(`SELECT COUNT(*) AS n FROM user_coupons WHERE template_id = ? AND user_id = ?`, [burst.template.id, burst.userId]);
    check(
      `the ${BURST_CLAIMS}-claims user holds exactly ${BURST_LIMIT}`,
      Number(held.n) === BURST_LIMIT && Number(b.issued) === BURST_LIMIT && burst.ok === BURST_LIMIT,
      `holds ${held.n}, template issued ${b.issued}, answered 201 ${burst.ok}`,
    );

    const [claimRows] = await q(`SELECT COUNT(*) AS n FROM coupon_user_claims WHERE template_id = ?`, [main.id]);
    fact(`template ${main.id}: total_stock ${stock}, issued ${issued}, status ${t.status}; user_coupons ${coupons.n} held by ${coupons.users} users; claim-counter rows ${claimRows.n}`);
    fact(`template ${burst.template.id} (perUserLimit ${BURST_LIMIT}): issued ${b.issued}, burst user ${burst.userId} holds ${held.n}`);
  });
}

// ---------------------------------------------------------------- visit

const VISIT_SEC = int('BENCH_VISIT_SEC', 15);
const VISITS = int('BENCH_VISITS', 200_000);
/** Every REPEAT_EVERY-th request repeats an earlier visitor (answered `counted: false` from Redis). */
const REPEAT_EVERY = int('BENCH_VISIT_REPEAT_EVERY', 4);

async function benchVisit(stack) {
  const { bases } = stack;
  const setupStart = performance.now();
  const sharer = await loginUser(stack, 'bench-sharer', 0);
  const share = await must(bases[0], 'POST', '/api/shares', { token: sharer.token, body: { kind: 'product', targetId: 1 } });
  // Anonymous visitors (a device id each, as a logged-out h5 or 1154 open is); some repeat a visitor.
  const items = Array.from({ length: VISITS }, (_, i) => ({ deviceId: `bench-dev-${i % REPEAT_EVERY === REPEAT_EVERY - 1 ? i - 1 : i}` }));
  const setupSec = (performance.now() - setupStart) / 1000;
  const countedDevices = new Set();
  log(`POST /api/shares/${share.token}/visits for ${VISIT_SEC} s, ${CONNECTIONS} connections per process, ${items.length} visits queued`);
  const measured = await distinctRun(bases, {
    sec: VISIT_SEC,
    items,
    request: (it) => ({ path: `/api/shares/${share.token}/visits`, body: { deviceId: it.deviceId, scene: 1007 } }),
    onAnswer: (status, json, it) => {
      if (status === 200 && json?.counted === true) {
        countedDevices.add(`d:${it.deviceId}`);
        return '200 counted';
      }
      return status === 200 ? '200 repeat' : outcomeOf(status, json);
    },
  });
  // A counted visit is inserted before it is answered; give the requests cut off by the end of the run a moment.
  await new Promise((r) => setTimeout(r, 1000));
  const invariants = await withDb(stack.databaseUrl, async ({ q, check, fact }) => {
    const rows = (await q(`SELECT s.visitor_key FROM share_visits s JOIN shares sh ON sh.id = s.share_id WHERE sh.token = ?`, [share.token])).map((r) => r.visitor_key);
    const inDb = new Set(rows);
    const lost = [...countedDevices].filter((k) => !inDb.has(k));
    check('no visit lost: every answer `counted: true` is a row in share_visits', lost.length === 0, `counted answers ${countedDevices.size}, rows ${rows.length}, missing ${lost.length}`);
    // Rows nobody heard about: requests in flight when the run stopped (at most one per connection).
    const unheard = rows.length - countedDevices.size;
    check('rows beyond counted answers ≤ requests cut off at the end (connections)', unheard >= 0 && unheard <= CONNECTIONS * bases.length, `${unheard} ≤ ${CONNECTIONS * bases.length}`);
    check('one row per visitor per day', rows.length === inDb.size, `rows ${rows.length}, distinct visitors ${inDb.size}`);
    fact(`share ${share.token}: ${rows.length} visit rows, ${inDb.size} distinct visitors; ${countedDevices.size} answered counted`);
  });
  return {
    title: 'Visit',
    setup: [
      `setup: one share (${share.token}), ${items.length} anonymous visits queued (every ${REPEAT_EVERY}th repeats the previous visitor), ${fmt(setupSec)} s`,
      'SHARE_VISITS_PER_MIN raised so the per-address limit (all load comes from 127.0.0.1) does not dominate',
    ],
    measured: { ...measured, label: 'POST /api/shares/:token/visits', okLabel: 'visits counted', okUnit: 'visits', okKey: '200 counted', who: 'visits', knob: 'BENCH_VISITS' },
    lines: [],
    ratio: 'visit',
    sideErrors: 0,
    invariants,
  };
}

// ---------------------------------------------------------------- home

const HOME_SEC = int('BENCH_HOME_SEC', 15);

/**
 * The public reads a shared campaign brings: GET /api/campaigns (the home page, seed campaigns plus
 * one with open groups), then the campaign page and its open-group list, each for HOME_SEC. Anonymous,
 * as a first open from a chat is. Invariant: every answer 200, and the list's stock is what MySQL holds
 * (checked after the run, within the cache's second).
 */
async function benchHome(stack) {
  const { bases } = stack;
  const setupStart = performance.now();
  const list = await must(bases[0], 'GET', '/api/campaigns?pageSize=50');
  const campaignId = list.items[0].id;
  const setupSec = (performance.now() - setupStart) / 1000;
  // The group page: a group opened (and paid) on the first campaign, read anonymously and signed in
  // (a shopper who is not in it: the shared part from the cache, their own fields read each time).
  const opener = await loginUser(stack, 'bench-group-opener', 0, true);
  const launched = await must(bases[0], 'POST', '/api/groups', { token: opener.token, body: { campaignId, quantity: 1 } });
  await must(bases[0], 'POST', `/api/orders/${launched.id}/sandbox-pay`, { token: opener.token });
  const groupId = launched.groupId ?? null;
  const viewer = await loginUser(stack, 'bench-group-viewer', 0);
  const runOne = async (path, token) => {
    log(`GET ${path}${token ? ' (signed in)' : ''} for ${HOME_SEC} s, ${CONNECTIONS} connections per process`);
    const lat = [];
    const headers = token ? { authorization: `Bearer ${token}` } : undefined;
    const stats = combine(await Promise.all(bases.map((b) => cannon({ url: `${b}${path}`, connections: CONNECTIONS, duration: HOME_SEC, headers }, lat))));
    return { stats, lat: latencySummary(lat) };
  };
  const costBefore = await costSnapshot(stack.databaseUrl, stack.redisUrl);
  const home = await runOne('/api/campaigns');
  const costAfter = await costSnapshot(stack.databaseUrl, stack.redisUrl);
  const page = await runOne(`/api/campaigns/${campaignId}`);
  const groups = await runOne(`/api/campaigns/${campaignId}/groups`);
  const groupAnon = groupId ? await runOne(`/api/groups/${groupId}`) : null;
  const groupSigned = groupId ? await runOne(`/api/groups/${groupId}`, viewer.token) : null;
  const measured = { stats: home.stats, lat: home.lat, outcomes: new Map([['200', home.stats.total - home.stats.non2xx]]), answers: [], exhausted: false, users: 0, sec: HOME_SEC, cpuMs: cpuMsPer(costBefore, costAfter, home.stats.total) };
  const invariants = await withDb(stack.databaseUrl, async ({ q, check, fact }) => {
    const all = [home, page, groups, groupAnon, groupSigned].filter(Boolean);
    check('every read answered 200', all.every((r) => r.stats.non2xx === 0 && r.stats.errors === 0),
      `non-2xx ${all.map((r) => r.stats.non2xx).join('/')}, errors ${all.map((r) => r.stats.errors).join('/')}`);
    check('a group page was measured', groupId !== null, groupId ? `group ${groupId}` : 'launching a group failed');
    await new Promise((r) => setTimeout(r, 1100));
    const [c] = await q('SELECT stock_left FROM campaigns WHERE id = ?', [campaignId]);
    const seen = (await must(bases[1 % bases.length], 'GET', `/api/campaigns/${campaignId}`)).stockLeft;
    check('campaign page shows the stock MySQL holds (after the cache TTL)', Number(c.stock_left) === seen, `MySQL ${c.stock_left}, page ${seen}`);
    fact(`campaign ${campaignId}: stock_left ${c.stock_left}`);
  });
  return {
    title: 'Home',
    setup: [`setup: ${list.items.length} running campaigns (seed), ${fmt(setupSec)} s`],
    measured: { ...measured, label: 'GET /api/campaigns', okLabel: 'answered', okUnit: 'pages', okKey: '200', who: 'requests', knob: 'BENCH_HOME_SEC' },
    lines: [...costLines(costBefore, costAfter, home.stats.total, 'home page answered')],
    ratio: 'home',
    rows: [
      { route: `GET /api/campaigns/:id`, rps: page.stats.rps, lat: page.lat },
      { route: `GET /api/campaigns/:id/groups`, rps: groups.stats.rps, lat: groups.lat },
      ...(groupAnon ? [{ route: 'GET /api/groups/:id (anonymous)', rps: groupAnon.stats.rps, lat: groupAnon.lat }] : []),
      ...(groupSigned ? [{ route: 'GET /api/groups/:id (signed in)', rps: groupSigned.stats.rps, lat: groupSigned.lat }] : []),
    ],
    sideErrors: page.stats.errors + groups.stats.errors + (groupAnon?.stats.errors ?? 0) + (groupSigned?.stats.errors ?? 0),
    invariants,
  };
}

// ---------------------------------------------------------------- main

const BENCHES = {
  join: { run: benchJoin, env: {} },
  launch: { run: benchLaunch, env: {} },
  claim: { run: benchClaim, env: { COUPON_CLAIMS_PER_MIN: CLAIMS_PER_MIN } },
  visit: { run: benchVisit, env: { SHARE_VISITS_PER_MIN: '1000000000' } },
  home: { run: benchHome, env: {} },
};

async function main() {
  const mode = process.argv[2] ?? 'join';
  const bench = BENCHES[mode];
  if (!bench) {
    process.stderr.write(`unknown benchmark "${mode}"; known: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  const t0 = Date.now();
  const stack = await bringUp(bench.env);
  try {
    const health = await measureHealth(stack);
    const r = await bench.run(stack);
    let durability = '';
    await withDb(stack.databaseUrl, async ({ q }) => {
      const [v] = await q('SELECT @@GLOBAL.innodb_flush_log_at_trx_commit AS v');
      durability = `innodb_flush_log_at_trx_commit=${v.v}${Number(v.v) === 1 ? ' (every commit flushed)' : ''}`;
    });
    const { failed, serverErrors } = report({ ...r, health, t0, durability });
    const errors = serverErrors + r.sideErrors;
    await stack.cleanup();
    showServerLogs();
    if (errors > 0) process.stdout.write(`\n  ${errors} server errors (5xx or socket) during the run\n`);
    if (failed || errors > 0) process.exitCode = 1;
  } catch (err) {
    await stack.cleanup();
    showServerLogs();
    throw err;
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
