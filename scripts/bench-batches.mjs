// Pickup batch formation benchmark (issue 11) on a fresh `tuan_bench_batches` database (Redis db 4):
//
//   node scripts/bench-batches.mjs        (pnpm bench:batches)
//
// BENCH_BATCH_POINTS (2 000) open pickup points with their leaders, and BENCH_BATCH_ORDERS (50 000)
// pickup orders `to_fulfil` paid before the cut-off, spread over the points and over 20 SKUs, are
// inserted in bulk (plus orders that must stay out: 5 % paid at the cut-off instant or later, and 5 %
// group orders still `paid`, their group not yet succeeded). Then two operators ask one API process
// (ROLE=api) at the same time to form the batches of that cut-off (POST /admin/pickup-batches/form):
// one forms, the other finds it formed. Prints the formation time, then checks in MySQL that every
// eligible order is in exactly one batch of its own point, nothing else is, and the batches' counts
// and pick lists add up; and times the day's warehouse list (JSON and CSV). Exit code non-zero on any
// violation.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { envInt, exists, freePort, installPackages, log, ROOT, run, waitForHttp } from './lib.mjs';
import { devSecrets, provision } from './services.mjs';

const requireServer = createRequire(join(ROOT, 'server', 'package.json'));
const POINTS = envInt('BENCH_BATCH_POINTS', 2000);
const ORDERS = envInt('BENCH_BATCH_ORDERS', 50_000);
const SKUS = 20;
const TMP = join(ROOT, '.tmp');

async function main() {
  mkdirSync(TMP, { recursive: true });
  if (!exists(join(ROOT, 'node_modules')) || !exists(join(ROOT, 'server', 'node_modules'))) await installPackages();
  log('building @tuan/shared and @tuan/server');
  await run('pnpm', ['--filter', '@tuan/shared', 'build'], { quiet: true });
  await run('pnpm', ['--filter', '@tuan/server', 'build'], { quiet: true });
  const services = await provision({ database: 'tuan_bench_batches', redisDb: 5, fresh: true });
  const env = {
    // info: the formation's log line carries the time of each step.
    NODE_ENV: 'test', LOGIN_PROVIDER: 'dev', LOG_LEVEL: 'info', ...devSecrets(), ...services.env,
    REDIS_PREFIX: `tuan-bench-batches-${Date.now()}:`, SANDBOX_PAY_KEY_DIR: join(ROOT, '.data', 'sandbox-pay-bench'),
  };
  log('migrating and seeding tuan_bench_batches');
  await run('node', ['server/dist/cli/migrate.js'], { env, quiet: true });
  await run('node', ['server/dist/cli/seed.js'], { env, quiet: true });

  const mysql = requireServer('mysql2/promise');
  const db = await mysql.createConnection({ uri: services.env.DATABASE_URL, multipleStatements: false, decimalNumbers: true, timezone: 'Z' });
  const port = await freePort();
  const out = openSync(join(TMP, 'bench-batches-server.log'), 'w');
  const child = spawn(process.execPath, ['server/dist/main.js'], { cwd: ROOT, env: { ...process.env, ...env, ROLE: 'api', PORT: String(port) }, stdio: ['ignore', out, out] });
  const base = `http://127.0.0.1:${port}`;
  let failed = false;
  const fail = (msg) => {
    failed = true;
    log(`FAIL: ${msg}`);
  };
  try {
    await waitForHttp(`${base}/readyz`, 60_000);
    // A cut-off an hour ago (an operator's early cut is any past instant).
    const cutoff = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000);
    const now = new Date();
    log(`inserting ${POINTS} leaders and open points`);
    const [[maxLeader]] = await db.query('SELECT COALESCE(MAX(id), 0) AS id FROM leaders');
    const leaders = [];
    const points = [];
    for (let i = 1; i <= POINTS; i++) {
      leaders.push([9_000_000 + i, 'approved', `团长${i}`, 'enc:bench', '138****0000', now, now]);
    }
    for (let i = 0; i < POINTS; i += 1000) {
      await db.query('INSERT INTO leaders (user_id, status, name, phone_enc, phone_masked, created_at, updated_at) VALUES ?', [leaders.slice(i, i + 1000)]);
    }
    for (let i = 1; i <= POINTS; i++) {
      const leaderId = Number(maxLeader.id) + i;
      points.push([leaderId, 'open', `自提点${i}`, 'store', '广东省', '深圳市', '南山区', `科技园 ${i} 号`, 22.5 + (i % 100) / 1000, 113.9 + (i % 97) / 1000, '08:00-21:00', now, now]);
    }
    for (let i = 0; i < POINTS; i += 1000) {
      await db.query('INSERT INTO pickup_points (leader_id, status, name, kind, province, city, district, address, lat, lng, opening_hours, created_at, updated_at) VALUES ?', [points.slice(i, i + 1000)]);
    }
    const pointRows = (await db.query('SELECT id, leader_id, name FROM pickup_points ORDER BY id'))[0];

    // Eligible orders, then the ones that must stay out.
    const late = Math.ceil(ORDERS * 0.05);
    const grouping = Math.ceil(ORDERS * 0.05);
    const total = ORDERS + late + grouping;
    log(`inserting ${total} pickup orders (${ORDERS} eligible, ${late} paid at/after the cut-off, ${grouping} group orders still waiting for their group)`);
    const [[maxOrder]] = await db.query('SELECT COALESCE(MAX(id), 0) AS id FROM orders');
    const firstId = Number(maxOrder.id) + 1;
    const t0 = performance.now();
    for (let i = 0; i < total; i += 2000) {
      const orders = [];
      const fulfilments = [];
      for (let k = i; k < Math.min(total, i + 2000); k++) {
        const id = firstId + k;
        const kind = k >= ORDERS + late ? 'group_join' : 'solo';
        const status = kind === 'group_join' ? 'paid' : 'to_fulfil';
        // Eligible: paid up to 1 ms before the cut-off; late: exactly at it or after.
        const paidAt = k < ORDERS ? new Date(cutoff.getTime() - 1 - (k % 3_600_000)) : k < ORDERS + late ? new Date(cutoff.getTime() + (k % 1000)) : new Date(cutoff.getTime() - 60_000);
        const sku = 1_000 + (k % SKUS);
        const qty = 1 + (k % 3);
        orders.push([`B${String(id).padStart(22, '0')}`, 10_000_000 + k, kind, null, null, 1, sku, `商品${sku}`, '一份', 990, qty, 990 * qty, 0, 990 * qty, status, paidAt, paidAt, 990 * qty, now, now]);
        const p = pointRows[(k * 7919) % pointRows.length];
        fulfilments.push([id, 'pickup', '顾客', '广东省', '深圳市', '南山区', '科技园', p.id, p.leader_id, p.name, '08:00-21:00', now, now]);
      }
      await db.query(
        'INSERT INTO orders (order_no, user_id, kind, campaign_id, group_id, product_id, sku_id, title, spec_label, unit_price, quantity, goods_amount, discount_amount, payable_amount, status, pay_deadline_at, paid_at, paid_amount, created_at, updated_at) VALUES ?',
        [orders],
      );
      await db.query(
        'INSERT INTO order_fulfilments (order_id, mode, recipient_name, province, city, district, detail, pickup_point_id, leader_id, pickup_point_name, pickup_opening_hours, created_at, updated_at) VALUES ?',
        [fulfilments],
      );
    }
    log(`inserted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const login = async () => (await fetch(`${base}/admin/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'tuan-admin-dev' }) }).then((r) => r.json())).accessToken;
    const [a, b] = [await login(), await login()];
    const form = async (token) => {
      const started = performance.now();
      const res = await fetch(`${base}/admin/pickup-batches/form`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ cutoffAt: cutoff.toISOString() }) });
      return { status: res.status, body: await res.json(), ms: performance.now() - started };
    };
    log(`forming the batches of cut-off ${cutoff.toISOString()} (two operators at once)`);
    const results = await Promise.all([form(a), form(b)]);
    for (const r of results) log(`  → ${r.status} formed=${r.body.formed} batches=${r.body.batches} orders=${r.body.orders} in ${r.ms.toFixed(0)} ms`);
    const formed = results.filter((r) => r.status === 200 && r.body.formed);
    if (formed.length !== 1) fail(`expected exactly one formation, got ${formed.length} (${JSON.stringify(results.map((r) => r.body))})`);
    const ms = formed[0]?.ms ?? NaN;
    log(`formation: ${ORDERS} orders over ${POINTS} points in ${ms.toFixed(0)} ms (${(ORDERS / (ms / 1000)).toFixed(0)} orders/s), over HTTP`);
    // The server logs the time of each step of the formation (ms).
    const line = readFileSync(join(TMP, 'bench-batches-server.log'), 'utf8').split('\n').find((l) => l.includes('pickup batches formed'));
    if (line) log(`  steps (ms): ${JSON.stringify(JSON.parse(line).steps)}`);

    // ---- invariants
    const [[inBatch]] = await db.query(`SELECT COUNT(*) AS n FROM order_fulfilments WHERE order_id >= ? AND batch_id IS NOT NULL`, [firstId]);
    const [[eligibleIn]] = await db.query(`SELECT COUNT(*) AS n FROM order_fulfilments f JOIN orders o ON o.id = f.order_id WHERE f.order_id >= ? AND f.batch_id IS NOT NULL AND o.paid_at < ? AND o.status = 'to_fulfil'`, [firstId, cutoff]);
    const [[wrongPoint]] = await db.query(`SELECT COUNT(*) AS n FROM order_fulfilments f JOIN pickup_batches b ON b.id = f.batch_id WHERE f.order_id >= ? AND b.point_id <> f.pickup_point_id`, [firstId]);
    const [[batches]] = await db.query(`SELECT COUNT(*) AS n, COALESCE(SUM(order_count), 0) AS orders, COUNT(DISTINCT point_id) AS points FROM pickup_batches WHERE cutoff_at = ?`, [cutoff]);
    const [[lines]] = await db.query(`SELECT COALESCE(SUM(l.orders), 0) AS orders, COALESCE(SUM(l.quantity), 0) AS units FROM pickup_batch_lines l JOIN pickup_batches b ON b.id = l.batch_id WHERE b.cutoff_at = ?`, [cutoff]);
    const [[units]] = await db.query(`SELECT COALESCE(SUM(o.quantity), 0) AS u FROM orders o JOIN order_fulfilments f ON f.order_id = o.id WHERE f.order_id >= ? AND f.batch_id IS NOT NULL`, [firstId]);
    log(`check: ${inBatch.n} orders in batches (eligible ${ORDERS}), ${batches.n} batches over ${batches.points} points, pick lists ${lines.orders} orders / ${lines.units} units`);
    if (Number(inBatch.n) !== ORDERS || Number(eligibleIn.n) !== ORDERS) fail(`expected exactly the ${ORDERS} eligible orders in batches, found ${inBatch.n} (${eligibleIn.n} eligible)`);
    if (Number(wrongPoint.n) !== 0) fail(`${wrongPoint.n} orders in another point's batch`);
    if (Number(batches.orders) !== ORDERS || Number(lines.orders) !== ORDERS || Number(lines.units) !== Number(units.u)) fail('batch counts or pick lists do not add up');
    if (Number(batches.n) !== Number(batches.points)) fail('more than one batch for a point and cut-off');

    // ---- the day's warehouse list
    const date = formed[0]?.body.businessDate;
    for (const [path, what] of [['/admin/pickup-warehouse-list', 'JSON'], ['/admin/pickup-warehouse-list.csv', 'CSV']]) {
      const t1 = performance.now();
      const res = await fetch(`${base}${path}?date=${date}`, { headers: { authorization: `Bearer ${a}` } });
      const text = await res.text();
      log(`warehouse list (${what}) of ${date}: ${res.status}, ${text.length} bytes in ${(performance.now() - t1).toFixed(0)} ms`);
      if (res.status !== 200) fail(`warehouse list ${what} answered ${res.status}`);
    }
  } finally {
    child.kill('SIGTERM');
    await db.end();
    services.stop();
  }
  if (failed) process.exit(1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
