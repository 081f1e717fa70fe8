import 'reflect-metadata';
import { createDataSource, runMigrations } from '../src/core/data-source';

/** Migrates the test database once per jest run. `npm test` provisions it and sets DATABASE_URL. */
export default async function globalSetup(): Promise<void> {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
    throw new Error('Server tests need DATABASE_URL and REDIS_URL (run them through `npm test`, which provisions both).');
  }
  const ds = createDataSource(process.env.DATABASE_URL, 2);
  await ds.initialize();
  try {
    await runMigrations(ds);
  } finally {
    await ds.destroy();
  }
}
