// MariaDB and Redis as plain processes with data under .data/ (git-ignored), or the servers named
// by DATABASE_URL / REDIS_URL. Whoever starts a server stops it; a running one is reused.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ensureDebianPackages, log, portOpen, run, waitFor, which } from './lib.mjs';

const DATA = join(ROOT, '.data');
const DB_PORT = Number(process.env.TUAN_DB_PORT ?? 33061);
const REDIS_PORT = Number(process.env.TUAN_REDIS_PORT ?? 63791);
const DB_USER = 'tuan';
const DB_PASS = 'tuan-local';

function bin(name) {
  return which(name) ?? (existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : existsSync(`/usr/bin/${name}`) ? `/usr/bin/${name}` : null);
}

function pidAlive(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!pid) return false;
    process.kill(pid, 0);
    return pid;
  } catch {
    return false;
  }
}

async function ensureBinaries(needDb, needRedis) {
  const missing = [];
  if (needDb && (!bin('mariadbd') || !bin('mariadb-install-db') || !bin('mariadb'))) missing.push('mariadb-server', 'mariadb-client');
  if (needRedis && (!bin('redis-server') || !bin('redis-cli'))) missing.push('redis-server', 'redis-tools');
  if (missing.length) await ensureDebianPackages(missing, 'local MariaDB/Redis for Tuan');
}

function sql(statements) {
  const r = spawnSync(bin('mariadb'), ['--no-defaults', '-uroot', `--socket=${join(DATA, 'mariadb.sock')}`, '-e', statements], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mariadb: ${r.stderr}`);
  return r.stdout;
}

async function startMariadb() {
  const dir = join(DATA, 'mariadb');
  const pidFile = join(DATA, 'mariadb.pid');
  mkdirSync(DATA, { recursive: true });
  if (pidAlive(pidFile) && (await portOpen(DB_PORT))) return { started: false };
  if (await portOpen(DB_PORT)) throw new Error(`port ${DB_PORT} is taken by a MariaDB/MySQL this checkout did not start; set TUAN_DB_PORT to another port, or DATABASE_URL to use that server`);
  if (!existsSync(join(dir, 'mysql'))) {
    log('initialising MariaDB data directory (.data/mariadb)');
    rmSync(dir, { recursive: true, force: true });
    await run(bin('mariadb-install-db'), ['--no-defaults', `--datadir=${dir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...(process.getuid?.() === 0 ? ['--user=root'] : [])], { quiet: true });
  }
  log(`starting MariaDB on 127.0.0.1:${DB_PORT}`);
  const out = openSync(join(DATA, 'mariadb.log'), 'a');
  const child = spawn(bin('mariadbd'), [
    '--no-defaults', `--datadir=${dir}`, `--socket=${join(DATA, 'mariadb.sock')}`, `--pid-file=${pidFile}`,
    `--port=${DB_PORT}`, '--bind-address=127.0.0.1', '--skip-name-resolve', '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci', '--default-time-zone=+00:00', '--max-connections=500',
    '--innodb-buffer-pool-size=256M', '--innodb-flush-log-at-trx-commit=2', '--skip-log-bin',
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
  ], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  await waitFor(() => portOpen(DB_PORT), { timeoutMs: 30_000, what: 'MariaDB' });
  await waitFor(() => existsSync(join(DATA, 'mariadb.sock')), { timeoutMs: 10_000, what: 'MariaDB socket' });
  return { started: true };
}

async function startRedis() {
  const dir = join(DATA, 'redis');
  const pidFile = join(DATA, 'redis.pid');
  mkdirSync(dir, { recursive: true });
  if (pidAlive(pidFile) && (await portOpen(REDIS_PORT))) return { started: false };
  if (await portOpen(REDIS_PORT)) throw new Error(`port ${REDIS_PORT} is taken by a Redis this checkout did not start; set TUAN_REDIS_PORT to another port, or REDIS_URL to use that server`);
  log(`starting Redis on 127.0.0.1:${REDIS_PORT}`);
  await run(bin('redis-server'), ['--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'yes',
    '--pidfile', pidFile, '--logfile', join(DATA, 'redis.log'), '--save', '60 1000', '--appendonly', 'no'], { quiet: true });
  await waitFor(() => portOpen(REDIS_PORT), { timeoutMs: 10_000, what: 'Redis' });
  return { started: true };
}

function stopPid(file, name) {
  const pid = pidAlive(file);
  if (!pid) return;
  log(`stopping ${name}`);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  // Wait (synchronously, we may be in an exit handler) for it to go away.
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    // An exited child of ours stays a zombie until we exit; it is gone for our purposes.
    try {
      if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return;
    } catch {
      return;
    }
    spawnSync('sleep', ['0.2']);
  }
}

/**
 * Provides DATABASE_URL and REDIS_URL for `database` (created if missing). Returns `stop()`, which
 * stops only what this call started.
 */
export async function provision({ database, redisDb = 0, fresh = false }) {
  const env = {};
  const started = [];
  const externalDb = process.env.DATABASE_URL;
  const externalRedis = process.env.REDIS_URL;
  await ensureBinaries(!externalDb, !externalRedis);

  if (externalDb) {
    const url = new URL(externalDb);
    if (database !== 'tuan') url.pathname = `/${url.pathname.slice(1) || 'tuan'}_${database.replace(/^tuan_?/, '') || 'test'}`;
    env.DATABASE_URL = url.toString();
    log(`using the database at ${url.host}${url.pathname}`);
  } else {
    const r = await startMariadb();
    if (r.started) started.push(() => stopPid(join(DATA, 'mariadb.pid'), 'MariaDB'));
    sql(
      `${fresh ? `DROP DATABASE IF EXISTS \`${database}\`;` : ''}
       CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
       CREATE USER IF NOT EXISTS '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASS}';
       CREATE USER IF NOT EXISTS '${DB_USER}'@'localhost' IDENTIFIED BY '${DB_PASS}';
       GRANT ALL PRIVILEGES ON \`tuan%\`.* TO '${DB_USER}'@'127.0.0.1';
       GRANT ALL PRIVILEGES ON \`tuan%\`.* TO '${DB_USER}'@'localhost';
       FLUSH PRIVILEGES;`,
    );
    env.DATABASE_URL = `mysql://${DB_USER}:${DB_PASS}@127.0.0.1:${DB_PORT}/${database}`;
  }

  if (externalRedis) {
    env.REDIS_URL = externalRedis;
    log('using the Redis at REDIS_URL');
  } else {
    const r = await startRedis();
    if (r.started) started.push(() => stopPid(join(DATA, 'redis.pid'), 'Redis'));
    env.REDIS_URL = `redis://127.0.0.1:${REDIS_PORT}/${redisDb}`;
  }
  return {
    env,
    /**
     * Sets `innodb_flush_log_at_trx_commit` on the local MariaDB (as root over its socket; the app
     * user may not). null when the database is someone else's (DATABASE_URL): then it is left as is.
     */
    setFlushAtCommit: externalDb ? null : (n) => sql(`SET GLOBAL innodb_flush_log_at_trx_commit = ${Number(n)};`),
    /** Turns MariaDB's per-table statistics (`userstat`, INFORMATION_SCHEMA.TABLE_STATISTICS) on or off; local MariaDB only. */
    setTableStats: externalDb ? null : (on) => sql(on ? 'SET GLOBAL userstat = 1; FLUSH TABLE_STATISTICS;' : 'SET GLOBAL userstat = 0;'),
    stop() {
      for (const s of started.reverse()) s();
    },
  };
}

/** Local secrets for development, generated once and kept under .data/ (never committed). */
export function devSecrets() {
  const file = join(DATA, 'secrets.json');
  mkdirSync(DATA, { recursive: true });
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const rnd = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0')).join('');
  const secrets = { JWT_SECRET: rnd(32), DATA_KEY_HEX: rnd(32) };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
