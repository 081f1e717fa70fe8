import { createDataSource, runMigrations } from '../../src/core/data-source';

/**
 * A fresh, migrated database of this test file's own (`<test database>_<suffix>`), for files whose
 * worker processes sweep deadlines or dispatch every event they can see: they must not act on what
 * other test files drive by hand. Returns its URL. `prepare` runs on it after the migrations
 * (test-only tables).
 */
export async function ownDatabase(suffix: string, prepare?: (query: (sql: string) => Promise<unknown>) => Promise<void>): Promise<string> {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `${url.pathname}_${suffix}`;
  const name = url.pathname.slice(1);
  const root = createDataSource(process.env.DATABASE_URL!, 1);
  await root.initialize();
  try {
    await root.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await root.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await root.destroy();
  }
  const ds = createDataSource(url.toString(), 2); // runMigrations holds one connection for its lock
  await ds.initialize();
  try {
    await runMigrations(ds);
    if (prepare) await prepare((sql) => ds.query(sql));
  } finally {
    await ds.destroy();
  }
  return url.toString();
}
