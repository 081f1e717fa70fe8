import 'reflect-metadata';
import { loadConfig } from '../core/config';
import { createDataSource, runMigrations } from '../core/data-source';

/** `node dist/cli/migrate.js` — applies pending migrations (safe to run from several processes). */
async function main() {
  const config = loadConfig();
  const ds = createDataSource(config.DATABASE_URL, 2);
  await ds.initialize();
  try {
    const done = await runMigrations(ds);
    process.stdout.write(done.length ? `migrations applied: ${done.join(', ')}\n` : 'migrations: up to date\n');
  } finally {
    await ds.destroy();
  }
}
main().catch((err) => {
  process.stderr.write(`migration failed: ${(err as Error).message}\n`);
  process.exit(1);
});
