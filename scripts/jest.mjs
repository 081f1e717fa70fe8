// Development helper: runs jest on chosen tests against the local MariaDB/Redis (started if needed and
// left running), without the full `npm test` builds. `node scripts/jest.mjs server/test/outbox.test.ts`
// Set TUAN_TEST_DB to use a database of your own (default tuan_devtest); it is migrated by jest's
// global setup. Tests that spawn server processes need `pnpm build` first.
import { ROOT, run } from './lib.mjs';
import { devSecrets, provision } from './services.mjs';

const database = process.env.TUAN_TEST_DB ?? 'tuan_devtest';
const services = await provision({ database, redisDb: Number(process.env.TUAN_TEST_REDIS_DB ?? 2), fresh: process.env.TUAN_TEST_FRESH === '1' });
const env = { NODE_ENV: 'test', LOGIN_PROVIDER: 'dev', ...devSecrets(), ...services.env };
try {
  await run('pnpm', ['exec', 'jest', '--ci', ...process.argv.slice(2)], { env, cwd: ROOT });
} catch (err) {
  process.exitCode = err.code ?? 1;
}
// Services stay up for the next run (provision() only reports what it started; we do not stop it).
