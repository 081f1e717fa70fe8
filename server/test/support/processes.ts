import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A real server process from the build (`npm test` builds before it runs jest). */
export async function spawnServer(role: 'api' | 'worker' | 'all', env: Record<string, string>): Promise<ServerProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the server first (pnpm --filter @tuan/server build)`);
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'error', LOGIN_PROVIDER: 'dev', LOGIN_RATE_LIMIT_PER_MIN: '1000000', ...env, ROLE: role, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  if (role !== 'worker') {
    // Generous: a loaded 2-core CI machine can take long to start a process that migrates nothing.
    const until = Date.now() + 40_000;
    for (;;) {
      try {
        if ((await fetch(`${url}/readyz`)).ok) break;
      } catch {
        /* not yet */
      }
      if (Date.now() > until || child.exitCode !== null) {
        // Never leave it behind: an orphan keeps jest (and the suite's MariaDB connections) alive.
        if (child.exitCode === null) child.kill('SIGKILL');
        throw new Error(`server process on ${port} did not become ready in 40 s`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } else {
    await new Promise((r) => setTimeout(r, 1500)); // let BullMQ workers connect
  }
  return {
    child,
    url,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      await exited;
    },
  };
}
