// Pickup point benchmark (issue 11) on a fresh `tuan_bench_pickup` database (Redis db 5):
//
//   node scripts/bench-pickup.mjs        (pnpm bench:pickup)
//
// 100 000 open pickup points (BENCH_PICKUP_POINTS) are written straight into MySQL, spread over 20
// Chinese cities (dense centres, thinning out over ~25 km, as real leaders are). Two API processes
// (ROLE=api) start; the first search rebuilds the Redis GEO index from MySQL (its time is printed).
// Then, in the same run:
// 1. GET /healthz on both processes (the baseline), then GET /api/pickup-points/nearby from random
//    places around the cities (page 1, 20 points) for BENCH_PICKUP_SEC: req/s, p50/p99 and the ratio.
// 2. The two candidate engines side by side, without HTTP: Redis GEOSEARCH (what the route uses) and
//    MariaDB's SPATIAL index (a scratch table with a POINT column: MBRContains on the bounding box,
//    ordered by ST_Distance_Sphere) — the same 2 000 queries, 20 at a time; prints queries/s and p99.
// Checks: every answer 200, each page sorted by distance, and the route's first page equals MariaDB's
// exact answer for a sample of queries (ids and metres). Exits non-zero otherwise.
//
// Knobs: BENCH_PICKUP_POINTS (100000), BENCH_PICKUP_SEC (15), BENCH_CONNECTIONS (25 per process),
//   BENCH_HEALTH_SEC (10).
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, buildServer, envInt, freePort, log, run, waitForHttp } from './lib.mjs';
import { devSecrets, provision } from './services.mjs';

const requireScripts = createRequire(new URL('./package.json', import.meta.url));
const requireServer = createRequire(join(ROOT, 'server', 'package.json'));
const autocannon = requireScripts('autocannon');
const int = envInt;
const POINTS = int('BENCH_PICKUP_POINTS', 100_000);
const SEC = int('BENCH_PICKUP_SEC', 15);
const HEALTH_SEC = int('BENCH_HEALTH_SEC', 10);
const CONNECTIONS = int('BENCH_CONNECTIONS', 25);
const TMP = join(ROOT, '.tmp');

const CITIES = [
  ['北京市', 39.9042, 116.4074], ['上海市', 31.2304, 121.4737], ['广州市', 23.1291, 113.2644], ['深圳市', 22.5431, 114.0579],
  ['成都市', 30.5728, 104.0668], ['杭州市', 30.2741, 120.1551], ['武汉市', 30.5928, 114.3055], ['西安市', 34.3416, 108.9398],
  ['重庆市', 29.563, 106.5516], ['南京市', 32.0603, 118.7969], ['天津市', 39.3434, 117.3616], ['苏州市', 31.2989, 120.5853],
  ['长沙市', 28.2282, 112.9388], ['郑州市', 34.7466, 113.6254], ['沈阳市', 41.8057, 123.4315], ['青岛市', 36.0671, 120.3826],
  ['昆明市', 25.0389, 102.7183], ['大连市', 38.914, 121.6147], ['厦门市', 24.4798, 118.0894], ['哈尔滨市', 45.8038, 126.535],
];

/** A place around a city: dense at the centre, thinning out (about 25 km at the edge). */
function around([, lat, lng], spreadKm = 25) {
  const r = (Math.random() ** 1.5) * spreadKm * 1000;
  const a = Math.random() * 2 * Math.PI;
  return { lat: lat + (r * Math.cos(a)) / 111_320, lng: lng + (r * Math.sin(a)) / (111_320 * Math.cos((lat * Math.PI) / 180)) };
}

function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  const pct = (p) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN);
  return { n: s.length, p50: pct(50), p99: pct(99) };
}
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');

function cannon(opts, latencies) {
  return new Promise((res, rej) => {
    const inst = autocannon(opts, (err, result) => (err ? rej(err) : res(result)));
    inst.on('response', (_c, _s, _b, t) => latencies.push(t));
  });
}
function combine(results) {
  const sum = (f) => results.reduce((a, r) => a + f(r), 0);
  return { total: sum((r) => r.requests.total), rps: sum((r) => r.requests.total / r.duration), errors: sum((r) => r.errors), non2xx: sum((r) => r.non2xx) };
}

/** Runs `fn` over `items` with `concurrency` in flight; returns each call's time (ms) and the wall time. */
async function timed(items, concurrency, fn) {
  const lat = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const it = items[next++];
      const s = performance.now();
      await fn(it);
      lat.push(performance.now() - s);
    }
  }));
  return { lat: summary(lat), qps: items.length / ((performance.now() - t0) / 1000) };
}

async function main() {
  await buildServer();
  const services = await provision({ database: 'tuan_bench_pickup', redisDb: 5, fresh: true });
  const env = {
    NODE_ENV: 'test', LOGIN_PROVIDER: 'dev', LOG_LEVEL: 'warn', ...devSecrets(), ...services.env,
    REDIS_PREFIX: `tuan-bench-pickup-${Date.now()}:`, SANDBOX_PAY_KEY_DIR: join(ROOT, '.data', 'sandbox-pay-bench'),
  };
  log('migrating tuan_bench_pickup');
  await run('node', ['server/dist/cli/migrate.js'], { env, quiet: true });

  const mysql = requireServer('mysql2/promise');
  const Redis = requireServer('ioredis');
  const db = await mysql.createPool({ uri: services.env.DATABASE_URL, connectionLimit: 20, decimalNumbers: true });
  const redis = new Redis(services.env.REDIS_URL);
  const children = [];
  let failed = false;
  const check = (what, ok, detail = '') => {
    if (!ok) failed = true;
    process.stdout.write(`  ${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` — ${detail}` : ''}\n`);
  };
  try {
    // ---- 100 000 approved leaders with open points
    const t0 = performance.now();
    const now = new Date();
    for (let i = 0; i < POINTS; i += 2000) {
      const leaders = [];
      const points = [];
      for (let k = i; k < Math.min(POINTS, i + 2000); k++) {
        const city = CITIES[k % CITIES.length];
        const p = around(city);
        leaders.push([k + 1, 50_000_000 + k, 'approved', `团长${k}`, 'bench', '139****0000', now, now]);
        points.push([k + 1, k + 1, 'open', `自提点${k}`, 'store', '省', city[0], '区', '压测路', p.lat, p.lng, '08:00-21:00', now, now]);
      }
      await db.query('INSERT INTO leaders (id, user_id, status, name, phone_enc, phone_masked, created_at, updated_at) VALUES ?', [leaders]);
      await db.query('INSERT INTO pickup_points (id, leader_id, status, name, kind, province, city, district, address, lat, lng, opening_hours, created_at, updated_at) VALUES ?', [points]);
    }
    const insertSec = (performance.now() - t0) / 1000;

    // ---- the MariaDB spatial alternative: a scratch table with a SPATIAL index over the same points
    const t1 = performance.now();
    await db.query('CREATE TABLE bench_spatial_points (id BIGINT NOT NULL PRIMARY KEY, g POINT NOT NULL, SPATIAL INDEX sx (g)) ENGINE=InnoDB');
    await db.query(`INSERT INTO bench_spatial_points (id, g) SELECT id, POINT(lng, lat) FROM pickup_points WHERE status = 'open'`);
    const spatialSec = (performance.now() - t1) / 1000;

    const out = openSync(join(TMP, 'bench-pickup-server.log'), 'w');
    const ports = [await freePort(), await freePort()];
    for (const port of ports) children.push(spawn(process.execPath, ['server/dist/main.js'], { cwd: ROOT, env: { ...process.env, ...env, ROLE: 'api', PORT: String(port), DB_POOL_SIZE: '20' }, stdio: ['ignore', out, out] }));
    const bases = ports.map((p) => `http://127.0.0.1:${p}`);
    await Promise.all(bases.map((b) => waitForHttp(`${b}/readyz`, 60_000)));

    // The first search finds no index in Redis and rebuilds it from MySQL.
    const t2 = performance.now();
    const first = await fetch(`${bases[0]}/api/pickup-points/nearby?lat=${CITIES[0][1]}&lng=${CITIES[0][2]}`);
    const rebuildMs = performance.now() - t2;
    check('first search answers 200 (index rebuilt from MySQL)', first.status === 200, `${fmt(rebuildMs, 0)} ms, ${await redis.zcard(`${env.REDIS_PREFIX}{pickup}:geo`)} points in the GEO set`);

    // ---- 1. through the API
    log(`GET /healthz for ${HEALTH_SEC} s, ${CONNECTIONS} connections per process`);
    const hLat = [];
    const health = combine(await Promise.all(bases.map((b) => cannon({ url: `${b}/healthz`, connections: CONNECTIONS, duration: HEALTH_SEC }, hLat))));
    log(`GET /api/pickup-points/nearby for ${SEC} s, ${CONNECTIONS} connections per process`);
    const nLat = [];
    const bad = [];
    const nearby = combine(await Promise.all(bases.map((b) => cannon({
      url: b, connections: CONNECTIONS, duration: SEC,
      requests: [{
        method: 'GET',
        setupRequest: (req) => {
          const p = around(CITIES[Math.floor(Math.random() * CITIES.length)], 20);
          return { ...req, path: `/api/pickup-points/nearby?lat=${p.lat.toFixed(6)}&lng=${p.lng.toFixed(6)}&pageSize=20` };
        },
        onResponse: (status, body) => {
          if (status !== 200) return void bad.push(status);
          const items = JSON.parse(body).items;
          for (let i = 1; i < items.length; i++) if (items[i].distanceM < items[i - 1].distanceM) return void bad.push('unsorted');
        },
      }],
    }, nLat))));

    // ---- 2. the engines side by side (no HTTP), the same queries
    const queries = Array.from({ length: 2000 }, () => around(CITIES[Math.floor(Math.random() * CITIES.length)], 20));
    const key = `${env.REDIS_PREFIX}{pickup}:geo`;
    const redisRun = await timed(queries, 20, (q) => redis.geosearch(key, 'FROMLONLAT', q.lng, q.lat, 'BYRADIUS', 3000, 'm', 'ASC', 'COUNT', 29));
    const spatialSql = (q, r) => {
      const dLat = r / 111_320;
      const dLng = r / (111_320 * Math.cos((q.lat * Math.PI) / 180));
      return db.query(
        `SELECT id, ST_Distance_Sphere(g, POINT(?, ?), 6371008.8) AS d FROM bench_spatial_points
          WHERE MBRContains(ST_GeomFromText(CONCAT('POLYGON((', ?, ' ', ?, ',', ?, ' ', ?, ',', ?, ' ', ?, ',', ?, ' ', ?, ',', ?, ' ', ?, '))')), g)
          HAVING d <= ? ORDER BY d, id LIMIT 21`,
        [q.lng, q.lat, q.lng - dLng, q.lat - dLat, q.lng + dLng, q.lat - dLat, q.lng + dLng, q.lat + dLat, q.lng - dLng, q.lat + dLat, q.lng - dLng, q.lat - dLat, r],
      );
    };
    const sqlRun = await timed(queries, 20, (q) => spatialSql(q, 3000));

    // ---- the route's first page against MariaDB's exact answer (within the configured 30 km)
    let same = 0;
    const sample = queries.slice(0, 100);
    for (const q of sample) {
      const api = await (await fetch(`${bases[0]}/api/pickup-points/nearby?lat=${q.lat}&lng=${q.lng}&pageSize=20`)).json();
      const [rows] = await spatialSql(q, 30_000);
      const want = rows.slice(0, 20).map((r) => `${r.id}:${Math.round(r.d)}`).join(',');
      const got = api.items.map((p) => `${p.id}:${p.distanceM}`).join(',');
      if (want === got) same++;
    }

    const h = summary(hLat);
    const n = summary(nLat);
    const p = (s) => process.stdout.write(`${s}\n`);
    p('');
    p(`Pickup points nearest first — ${POINTS} open points over ${CITIES.length} cities (inserted in ${fmt(insertSec)} s; spatial scratch table ${fmt(spatialSec)} s; GEO index rebuilt from MySQL on the first search in ${fmt(rebuildMs, 0)} ms)`);
    p(`  two API processes (ROLE=api), ${CONNECTIONS} connections each`);
    p(`  GET /healthz                  ${fmt(health.rps, 0).padStart(6)} req/s   p50 ${fmt(h.p50)} ms  p99 ${fmt(h.p99)} ms   (${health.total} requests, ${health.errors} errors, ${health.non2xx} non-2xx)`);
    p(`  GET /api/pickup-points/nearby ${fmt(nearby.rps, 0).padStart(6)} req/s   p50 ${fmt(n.p50)} ms  p99 ${fmt(n.p99)} ms   (${nearby.total} requests, ${nearby.errors} errors, ${nearby.non2xx} non-2xx)`);
    p(`  nearby / healthz: ${fmt((100 * nearby.rps) / health.rps)} %`);
    p(`  engines alone, 2 000 queries (3 km circle, nearest 29), 20 in flight:`);
    p(`    Redis GEOSEARCH              ${fmt(redisRun.qps, 0).padStart(6)} q/s   p50 ${fmt(redisRun.lat.p50, 2)} ms  p99 ${fmt(redisRun.lat.p99, 2)} ms`);
    p(`    MariaDB SPATIAL + ST_Distance_Sphere ${fmt(sqlRun.qps, 0).padStart(6)} q/s   p50 ${fmt(sqlRun.lat.p50, 2)} ms  p99 ${fmt(sqlRun.lat.p99, 2)} ms`);
    check('every nearby answer 200 and sorted by distance', bad.length === 0 && nearby.errors === 0 && nearby.non2xx === 0, bad.length ? `${bad.length} bad: ${[...new Set(bad)].slice(0, 5).join(', ')}` : '');
    check('the route\'s first page equals MariaDB\'s exact answer (ids and metres)', same === sample.length, `${same} of ${sample.length}`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await db.end();
    redis.disconnect();
    services.stop();
  }
  if (failed) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
