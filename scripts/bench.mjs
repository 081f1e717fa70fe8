// `npm run bench` (or `node scripts/bench.mjs join`): the join benchmark. Builds the server, provisions a
// fresh `tuan_bench` database (Redis db 2), starts two API processes and one worker on it, then measures
// bare GET /healthz, then POST /api/groups/:id/join where every request is a distinct user taking a
// seat in an open group, then sandbox payment of the join orders it created. Ends with invariant checks
// read straight from the database (seats, stock, one active seat per user per group); exits non-zero
// when one fails or the run broke.
//
// Knobs (environment): BENCH_CONNECTIONS (per API process, 25), BENCH_HEALTH_SEC (10), BENCH_JOIN_SEC (15),
// BENCH_OPENERS (groups to open, 1800), BENCH_USERS (joiners, 7200), BENCH_PAY_MAX (join orders to pay,
// all), BENCH_PAY_SEC (time cap of the pay phase, 25), BENCH_PAY_CONCURRENCY (50), DB_POOL_SIZE (40).
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, exists, freePort, installPackages, log, run, waitForHttp } from './lib.mjs';
import { devSecrets, provision } from './services.mjs';

const requireScripts = createRequire(new URL('./package.json', import.meta.url));
const requireServer = createRequire(join(ROOT, 'server', 'package.json'));

const MODES = ['join'];
const mode = process.argv[2] ?? 'join';
if (!MODES.includes(mode)) {
  process.stderr.write(`unknown benchmark "${mode}"; known: ${MODES.join(', ')}\n`);
  process.exit(2);
}

const int = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`);
  return n;
};
const CONNECTIONS = int('BENCH_CONNECTIONS', 25); // per API process
const HEALTH_SEC = int('BENCH_HEALTH_SEC', 10);
const JOIN_SEC = int('BENCH_JOIN_SEC', 15);
const OPENERS = int('BENCH_OPENERS', 1800);
const USERS = int('BENCH_USERS', 7200);
const PAY_MAX = int('BENCH_PAY_MAX', Number.MAX_SAFE_INTEGER);
const PAY_SEC = int('BENCH_PAY_SEC', 25);
const PAY_CONCURRENCY = int('BENCH_PAY_CONCURRENCY', 50);
const SETUP_CONCURRENCY = 40;
const DB_POOL_SIZE = process.env.DB_POOL_SIZE ?? '40';
const GROUP_SIZE = 5;
const CAMPAIGN_STOCK = 100_000;

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
  const r = await call(base, method, path, opts);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path} → ${r.status} ${r.text.slice(0, 500)}`);
  return r.json;
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
  const child = spawn(process.execPath, ['server/dist/main.js'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
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

// ---------------------------------------------------------------- main

async function main() {
  const t0 = Date.now();
  mkdirSync(TMP, { recursive: true });
  mkdirSync(PAY_KEY_DIR, { recursive: true });
  if (!exists(join(ROOT, 'node_modules')) || !exists(join(ROOT, 'server', 'node_modules')) || !exists(join(ROOT, 'scripts', 'node_modules'))) await installPackages();

  log('building @tuan/shared and @tuan/server');
  await run('pnpm', ['--filter', '@tuan/shared', 'build'], { quiet: true });
  await run('pnpm', ['--filter', '@tuan/server', 'build'], { quiet: true });

  const services = await provision({ database: 'tuan_bench', redisDb: 2, fresh: true });
  let stopped = false;
  const cleanup = async () => {
    if (stopped) return;
    stopped = true;
    stopCannons();
    await stopChildren();
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
    };
    if (process.env.REDIS_URL) {
      // Someone else's Redis: keep our keys (and BullMQ queues) apart instead of flushing anything.
      env.REDIS_PREFIX = `tuan-bench-${Date.now()}:`;
    } else {
      // Our own local Redis, db 2: a fresh database deserves fresh counters and queues (group ids restart at 1).
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
    const baseOf = (i) => bases[i % bases.length];

    // ---------------- 1. bare /healthz
    log(`GET /healthz for ${HEALTH_SEC} s, ${CONNECTIONS} connections per process`);
    const healthLat = [];
    const health = combine(await Promise.all(bases.map((b) => cannon({ url: `${b}/healthz`, connections: CONNECTIONS, duration: HEALTH_SEC }, healthLat))));
    const healthL = latencySummary(healthLat);

    // ---------------- 2. set-up: product, campaign, open groups, joiner tokens
    const setupStart = performance.now();
    const admin = await must(bases[0], 'POST', '/admin/auth/login', { body: { username: 'admin', password: 'tuan-admin-dev' } });
    const adminToken = admin.accessToken;
    const product = await must(bases[0], 'POST', '/admin/products', {
      token: adminToken,
      body: {
        title: '压测专用 团购商品',
        description: 'bench',
        category: '压测',
        images: ['/static/products/orange.svg'],
        status: 'on_sale',
        skus: [{ specLabel: '1 件', listPrice: 1999, stock: CAMPAIGN_STOCK * 2 }],
      },
    });
    const campaign = await must(bases[0], 'POST', '/admin/campaigns', {
      token: adminToken,
      body: {
        skuId: product.skus[0].id,
        title: '压测拼团',
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

    const login = async (name, i) => (await must(baseOf(i), 'POST', '/api/auth/login', { body: { code: `dev:${name}` } })).accessToken;
    log(`opening ${OPENERS} groups (login, POST /api/groups, sandbox-pay)`);
    const groups = (
      await pool(Array.from({ length: OPENERS }, (_, i) => i), SETUP_CONCURRENCY, async (i) => {
        const base = baseOf(i);
        const token = await login(`bench-opener-${i}`, i);
        const order = await must(base, 'POST', '/api/groups', { token, body: { campaignId: campaign.id, quantity: 1 } });
        const paid = await must(base, 'POST', `/api/orders/${order.id}/sandbox-pay`, { token });
        return paid.groupStatus === 'open' ? order.groupId : null;
      })
    ).filter((g) => g !== null);
    if (groups.length !== OPENERS) throw new Error(`only ${groups.length} of ${OPENERS} groups opened after their opener paid`);

    log(`logging in ${USERS} joiners`);
    const loginStart = performance.now();
    const tokens = await pool(Array.from({ length: USERS }, (_, i) => i), SETUP_CONCURRENCY, (i) => login(`bench-user-${i}`, i));
    const loginRps = USERS / ((performance.now() - loginStart) / 1000);
    const setupSec = (performance.now() - setupStart) / 1000;

    // ---------------- 3. the measured join run
    // Pair i = (user i, group i mod G): every request is a new user; a group gets its 4 free seats from
    // 4 different users, and pairs beyond 4·G meet full groups (GROUP_FULL, an expected outcome).
    let nextPair = 0;
    let exhaustedAt = 0;
    const pairFor = () => {
      if (nextPair >= tokens.length) {
        // Out of distinct users: never repeat one (its answers would be LIMIT_EXCEEDED). Stop the run (it
        // ends at autocannon's next 1 s tick) and send harmless GETs until then; they are not counted.
        if (!exhaustedAt) {
          exhaustedAt = performance.now();
          setImmediate(stopCannons);
        }
        return null;
      }
      const i = nextPair++;
      return { user: i, groupId: groups[i % groups.length], token: tokens[i] };
    };
    const joinOutcomes = new Map(); // "201" | "409 GROUP_FULL" | ...
    const joinedOrders = []; // { orderId, token, groupId }
    const joinLat = [];
    let joinAnswered = 0;
    let lastJoinAnswer = 0;
    let countThisResponse = false; // set by onResponse, read by the 'response' listener right after it (same tick)
    const joinRequest = {
      method: 'POST',
      path: `/api/groups/${groups[0]}/join`,
      setupRequest: (req, context) => {
        const p = pairFor();
        context.pair = p;
        if (!p) return { ...req, method: 'GET', path: '/healthz', headers: {}, body: undefined };
        return {
          ...req,
          method: 'POST',
          path: `/api/groups/${p.groupId}/join`,
          headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${p.token}` },
          body: '{"quantity":1}',
        };
      },
      onResponse: (status, body, context) => {
        const p = context.pair;
        countThisResponse = !!p;
        if (!p) return;
        joinAnswered++;
        lastJoinAnswer = performance.now();
        let json = null;
        try {
          json = JSON.parse(body);
        } catch {
          /* not JSON */
        }
        if (status === 201 && json?.id) {
          tally(joinOutcomes, '201');
          joinedOrders.push({ orderId: json.id, token: p.token, groupId: p.groupId });
        } else {
          tally(joinOutcomes, `${status} ${json?.error?.code ?? '(no error code)'}`);
        }
      },
    };
    log(`POST /api/groups/:id/join for ${JOIN_SEC} s, ${CONNECTIONS} connections per process, ${tokens.length} distinct users over ${groups.length} open groups`);
    const joinStart = performance.now();
    const joinRes = await Promise.all(
      bases.map((b) => {
        return cannon({ url: b, connections: CONNECTIONS, duration: JOIN_SEC, timeout: 30, requests: [joinRequest] }, (ms) => {
          if (countThisResponse) joinLat.push(ms);
        });
      }),
    );
    const joinEnd = performance.now();
    const joinStats = combine(joinRes);
    // Own counts: only real joins (not the filler GETs after the users ran out), over the time they took.
    joinStats.duration = ((exhaustedAt ? lastJoinAnswer : joinEnd) - joinStart) / 1000;
    joinStats.total = joinAnswered;
    joinStats.rps = joinAnswered / joinStats.duration;
    const joinL = latencySummary(joinLat);

    // ---------------- 4. pay the join orders
    const toPay = joinedOrders.slice(0, PAY_MAX);
    log(`sandbox-pay of ${toPay.length} join orders, concurrency ${PAY_CONCURRENCY} (cap ${PAY_SEC} s)`);
    const payLat = [];
    const payOutcomes = new Map();
    const payStart = performance.now();
    await pool(
      toPay,
      PAY_CONCURRENCY,
      async (o, i) => {
        try {
          const r = await call(baseOf(i), 'POST', `/api/orders/${o.orderId}/sandbox-pay`, { token: o.token });
          payLat.push(r.ms);
          tally(payOutcomes, r.status === 200 ? `200 ${r.json?.status}` : `${r.status} ${r.json?.error?.code ?? '(no error code)'}`);
        } catch (err) {
          tally(payOutcomes, `socket error ${err.cause?.code ?? err.message}`);
        }
      },
      payStart + PAY_SEC * 1000,
    );
    const paySec = (performance.now() - payStart) / 1000;
    const payL = latencySummary(payLat);
    const payRps = payLat.length / paySec;

    // ---------------- 5. invariants, from the database
    const invariants = await checkInvariants(services.env.DATABASE_URL, campaign.id);

    // ---------------- report
    const out = [];
    const p = (s = '') => out.push(s);
    const joinErrors = joinStats.errors + [...joinOutcomes].filter(([k]) => /^5\d\d/.test(k)).reduce((a, [, v]) => a + v, 0);
    const joined = joinOutcomes.get('201') ?? 0;
    const businessNon2xx = [...joinOutcomes].filter(([k]) => /^4\d\d/.test(k));
    p();
    p('Join benchmark — 2 API processes + 1 worker, MariaDB + Redis on this machine');
    p(`  setup: ${groups.length} open groups of ${GROUP_SIZE}, ${tokens.length} joiners logged in (${fmt(loginRps, 0)} logins/s), ${fmt(setupSec)} s`);
    p();
    p(`  GET /healthz             ${fmt(health.rps, 0).padStart(7)} req/s   p50 ${fmt(healthL.p50)} ms  p99 ${fmt(healthL.p99)} ms   (${health.total} requests, ${health.errors} errors, ${health.non2xx} non-2xx)`);
    p(`  POST /api/groups/:id/join ${fmt(joinStats.rps, 0).padStart(6)} req/s   p50 ${fmt(joinL.p50)} ms  p99 ${fmt(joinL.p99)} ms  max ${fmt(joinL.max)} ms   (${joinStats.total} answered in ${fmt(joinStats.duration)} s)`);
    p(`      joined (201): ${joined}  →  ${fmt(joined / joinStats.duration, 0)} seats/s`);
    p(`      non-2xx business outcomes: ${businessNon2xx.length ? businessNon2xx.map(([k, v]) => `${k}: ${v}`).join(', ') : 'none'}`);
    p(`      errors: ${joinErrors} (socket errors ${joinStats.errors} incl. ${joinStats.timeouts} timeouts, 5xx ${joinErrors - joinStats.errors})`);
    const otherJoin = [...joinOutcomes].filter(([k]) => k !== '201' && !/^[45]\d\d/.test(k));
    if (otherJoin.length) p(`      other: ${otherJoin.map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    if (exhaustedAt) p(`      NOTE: all ${tokens.length} joiners were used before ${JOIN_SEC} s; raise BENCH_USERS for a full-length run`);
    p(`  POST /api/orders/:id/sandbox-pay ${fmt(payRps, 0)} req/s   p50 ${fmt(payL.p50)} ms  p99 ${fmt(payL.p99)} ms   (${payLat.length} of ${joinedOrders.length} join orders in ${fmt(paySec)} s, concurrency ${PAY_CONCURRENCY})`);
    p(`      outcomes: ${[...payOutcomes].map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}`);
    p(`  join / healthz: ${fmt((100 * joinStats.rps) / health.rps)} %`);
    p();
    p('  Database');
    for (const line of invariants.facts) p(`    ${line}`);
    p();
    p('  Invariants');
    for (const c of invariants.checks) p(`    ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
    p();
    p(`  wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    process.stdout.write(`${out.join('\n')}\n`);

    const serverErrors = joinErrors + [...payOutcomes].filter(([k]) => /^5\d\d|^socket/.test(k)).reduce((a, [, v]) => a + v, 0);
    const failed = invariants.checks.some((c) => !c.ok);
    await cleanup();
    showServerLogs();
    if (failed) process.exitCode = 1;
    else if (serverErrors > 0) {
      process.stdout.write(`\n  ${serverErrors} server errors (5xx or socket) during the run\n`);
      process.exitCode = 1;
    }
  } catch (err) {
    await cleanup();
    showServerLogs();
    throw err;
  }
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

async function checkInvariants(databaseUrl, campaignId) {
  const mysql = requireServer('mysql2/promise');
  const db = await mysql.createConnection({ uri: databaseUrl, supportBigNumbers: true, bigNumberStrings: false });
  const q = async (sql, params = []) => (await db.query(sql, params))[0];
  const checks = [];
  const facts = [];
  const check = (name, ok, detail) => checks.push({ name, ok, detail });
  try {
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
    facts.push(`campaign ${campaignId}: stock_total ${c.stock_total}, stock_left ${c.stock_left}`);
    facts.push(`orders: ${byStatus.map((r) => `${r.kind}/${r.status} ${r.n}`).join(', ')}`);
    facts.push(`groups: ${groupsByStatus.map((r) => `${r.status} ${r.n} (seats ${r.seats}, paid ${r.paid})`).join(', ')}`);
  } finally {
    await db.end();
  }
  return { checks, facts };
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
