// Ledger benchmark (issue 10) on a fresh `tuan_bench_ledger` database (Redis db 3):
//
//   node scripts/bench-ledger.mjs        (pnpm bench:ledger)
//
// 1. Posting throughput: one process (ROLE=all: API + worker) is up and idle; a backlog of N
//    `order.paid` events (BENCH_LEDGER_ORDERS, 10 000) is written to the outbox in one transaction,
//    each order attributed to a sharer who has an inviter (so two commissions per order), and the worker's
//    outbox dispatcher delivers them to the `rewards.orders` subscriber. Prints orders and commissions
//    posted per second, from the backlog's commit to the last delivery done.
// 2. Reconciliation: the ledger is topped up to BENCH_LEDGER_ENTRIES (100 000) transfers with
//    balanced synthetic postings (cached balances updated to match), then POST
//    /admin/rewards/reconciliation runs; prints its time. Exits non-zero when the report is not ok or
//    when the backlog's commissions differ from the rules.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, buildServer, envInt, freePort, log, run, waitForHttp } from './lib.mjs';
import { devSecrets, provision } from './services.mjs';

const requireServer = createRequire(join(ROOT, 'server', 'package.json'));
const int = envInt;
const ORDERS = int('BENCH_LEDGER_ORDERS', 10_000);
const ENTRIES = int('BENCH_LEDGER_ENTRIES', 100_000);
const TMP = join(ROOT, '.tmp');

async function main() {
  await buildServer();
  const services = await provision({ database: 'tuan_bench_ledger', redisDb: 3, fresh: true });
  const env = {
    NODE_ENV: 'test', LOGIN_PROVIDER: 'dev', LOG_LEVEL: 'warn', ...devSecrets(), ...services.env,
    REDIS_PREFIX: `tuan-bench-ledger-${Date.now()}:`, SANDBOX_PAY_KEY_DIR: join(ROOT, '.data', 'sandbox-pay-bench'),
    // Only the dispatcher's work is measured: the periodic jobs stay out of the way.
    REWARD_SETTLE_INTERVAL_MS: '3600000', REWARD_RECONCILE_INTERVAL_MS: String(7 * 86_400_000), SWEEP_INTERVAL_MS: '600000', OUTBOX_POLL_MS: '200',
  };
  log('migrating and seeding tuan_bench_ledger');
  await run('node', ['server/dist/cli/migrate.js'], { env, quiet: true });
  await run('node', ['server/dist/cli/seed.js'], { env, quiet: true });

  const mysql = requireServer('mysql2/promise');
  const db = await mysql.createConnection({ uri: services.env.DATABASE_URL, multipleStatements: false, decimalNumbers: true });
  const port = await freePort();
  const out = openSync(join(TMP, 'bench-ledger-server.log'), 'w');
  const child = spawn(process.execPath, ['server/dist/main.js'], { cwd: ROOT, env: { ...process.env, ...env, ROLE: 'all', PORT: String(port) }, stdio: ['ignore', out, out] });
  const base = `http://127.0.0.1:${port}`;
  let failed = false;
  try {
    await waitForHttp(`${base}/readyz`, 60_000);

    // ---- 1. posting throughput
    const users = 2000;
    const now = new Date();
    log(`writing ${ORDERS} order.paid events (each attributed to a sharer with an inviter)`);
    await db.beginTransaction();
    // Inviters: sharer s (1..users) was invited by s + users.
    for (let i = 0; i < users; i += 1000) {
      const rows = [];
      for (let s = i + 1; s <= Math.min(users, i + 1000); s++) rows.push([s, s + users, 1, now, null]);
      await db.query('INSERT INTO user_inviters (user_id, inviter_user_id, share_id, bound_at, expires_at) VALUES ?', [rows]);
    }
    const attributions = [];
    const events = [];
    for (let k = 1; k <= ORDERS; k++) {
      const orderId = 1_000_000 + k;
      const sharer = (k % users) + 1;
      const buyer = 10_000 + k;
      const paid = 1000 + ((k * 7919) % 50_000);
      attributions.push([orderId, k, sharer, JSON.stringify([]), now]);
      events.push(['order.paid', 'order', orderId, 1, JSON.stringify({ orderId, userId: buyer, kind: 'solo', campaignId: null, groupId: null, paidAmount: paid, paidAt: now.toISOString() }), now]);
    }
    for (let i = 0; i < ORDERS; i += 2000) await db.query('INSERT INTO order_attributions (order_id, share_id, sharer_user_id, chain, created_at) VALUES ?', [attributions.slice(i, i + 2000)]);
    for (let i = 0; i < ORDERS; i += 2000) await db.query('INSERT INTO domain_events (type, aggregate_type, aggregate_id, schema_version, payload, created_at) VALUES ?', [events.slice(i, i + 2000)]);
    await db.commit();
    const t0 = performance.now();
    let done = 0;
    for (;;) {
      const [[row]] = await db.query(`SELECT COUNT(*) AS n FROM event_deliveries WHERE subscriber = 'rewards.orders' AND status = 'done'`);
      done = Number(row.n);
      if (done >= ORDERS) break;
      if (performance.now() - t0 > 600_000) throw new Error(`only ${done} of ${ORDERS} delivered in 10 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const sec = (performance.now() - t0) / 1000;
    const [[c]] = await db.query('SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM commissions');
    const [[tr]] = await db.query('SELECT COUNT(*) AS n FROM ledger_transfers');
    log(`posting: ${ORDERS} paid orders → ${c.n} commissions (${tr.n} transfers) in ${sec.toFixed(1)} s: ${(ORDERS / sec).toFixed(0)} orders/s, ${(Number(c.n) / sec).toFixed(0)} commissions posted/s`);
    if (Number(c.n) !== 2 * ORDERS) {
      failed = true;
      log(`FAIL: expected ${2 * ORDERS} commissions, found ${c.n}`);
    }

    // ---- 2. reconciliation over ENTRIES transfers
    const have = Number(tr.n);
    const more = Math.max(0, ENTRIES - have);
    log(`topping the ledger up with ${more} balanced synthetic transfers (to ${ENTRIES})`);
    const [[exp]] = await db.query(`SELECT id FROM ledger_accounts WHERE code = 'platform:commission_expense'`);
    const [[adj]] = await db.query(`SELECT id FROM ledger_accounts WHERE code = 'platform:adjustments'`).then(async ([rows]) => {
      if (rows.length) return [rows];
      await db.query(`INSERT INTO ledger_accounts (code, user_id, kind, may_go_negative, debits, credits, created_at, updated_at) VALUES ('platform:adjustments', NULL, 'adjustments', 1, 0, 0, ?, ?)`, [now, now]);
      return db.query(`SELECT id FROM ledger_accounts WHERE code = 'platform:adjustments'`);
    });
    await db.beginTransaction();
    const [[p]] = await db.query(`INSERT INTO ledger_postings (posting_key, payload_hash, created_at) VALUES ('bench:synthetic', REPEAT('0', 64), ?)`, [now]).then(() => db.query('SELECT LAST_INSERT_ID() AS id'));
    for (let i = 0; i < more; i += 5000) {
      const rows = [];
      for (let k = i; k < Math.min(more, i + 5000); k++) rows.push([p.id, exp.id, adj.id, 1 + (k % 997), 'adjustment', JSON.stringify({ note: 'bench' }), now]);
      await db.query('INSERT INTO ledger_transfers (posting_id, debit_account_id, credit_account_id, amount, kind, explanation, created_at) VALUES ?', [rows]);
    }
    const [[sum]] = await db.query(`SELECT COALESCE(SUM(amount), 0) AS s FROM ledger_transfers WHERE posting_id = ?`, [p.id]);
    await db.query('UPDATE ledger_accounts SET debits = debits + ? WHERE id = ?', [sum.s, exp.id]);
    await db.query('UPDATE ledger_accounts SET credits = credits + ? WHERE id = ?', [sum.s, adj.id]);
    await db.commit();

    const login = await fetch(`${base}/admin/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'tuan-admin-dev' }) }).then((r) => r.json());
    const t1 = performance.now();
    const res = await fetch(`${base}/admin/rewards/reconciliation`, { method: 'POST', headers: { authorization: `Bearer ${login.accessToken}` } });
    const report = await res.json();
    const ms = performance.now() - t1;
    log(`reconciliation: ${report.transfers} transfers, ${report.ordersChecked} orders in ${ms.toFixed(0)} ms over HTTP (${report.durationMs} ms in the job); ok=${report.ok}`);
    if (!report.ok) {
      failed = true;
      log(`FAIL: ${JSON.stringify({ accountMismatches: report.accountMismatches?.length, negativeAccounts: report.negativeAccounts?.length, commissionMismatches: report.commissionMismatches?.slice(0, 5) })}`);
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
