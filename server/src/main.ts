import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createApp, createServices } from './app';
import { ConfigError, loadConfig } from './core/config';
import { closeInfra, createInfra } from './core/infra';
import { createLogger } from './core/logger';
import { startMaintenanceWorker } from './jobs/maintenance.worker';
import { startDeadlineWorker } from './jobs/deadline.worker';
import { startRewardsWorker } from './jobs/rewards.worker';
import { startOutboxDispatcher } from './core/outbox.dispatcher';
import { LiveHub, LiveRebuilder } from './modules/live';

/**
 * One binary, three roles: `api` serves HTTP, `worker` runs timers and jobs, `all` does both.
 * Processes are stateless, so the deployment scales by starting more of them.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const log = createLogger(config, { role: config.ROLE });
  const infra = await createInfra(config, log);
  const services = await createServices(infra);
  if (config.NODE_ENV === 'production') {
    const weak = await services.admin.findAdminsWithDefaultPassword();
    if (weak.length) {
      log.fatal({ usernames: weak }, 'refusing to start: operator accounts still use the default password');
      process.exit(78);
    }
  }
  const stops: Array<() => Promise<void>> = [];

  if (config.ROLE !== 'worker') {
    const { app } = createApp(infra, services);
    const server = createServer(app.callback());
    server.keepAliveTimeout = 5000;
    const sockets = new Set<Socket>();
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    // Live group pages: the WebSocket upgrade on the same port (one Redis subscription per watched topic).
    const hub = new LiveHub(infra.redis, services.live, log, { maxConnections: config.LIVE_MAX_CONNECTIONS, heartbeatMs: config.LIVE_HEARTBEAT_MS, maxBufferedBytes: 1 << 20 });
    hub.attach(server);
    await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
    const { port } = server.address() as AddressInfo;
    if (!config.PUBLIC_URL) infra.selfUrl = `http://${config.HOST}:${port}`;
    log.info({ url: `http://${config.HOST}:${port}` }, 'api listening');
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          void hub.close(); // viewers reconnect to another process
          // Stop accepting, let in-flight requests finish, drop idle keep-alive sockets.
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => {
            for (const s of sockets) s.destroy();
          }, config.SHUTDOWN_TIMEOUT_MS).unref();
        }),
    );
  }
  if (config.ROLE !== 'api') {
    const maintenance = await startMaintenanceWorker(infra, services);
    stops.push(() => maintenance.close());
    const deadlines = await startDeadlineWorker(infra, services);
    stops.push(() => deadlines.close());
    const rewardJobs = await startRewardsWorker(infra, services);
    stops.push(() => rewardJobs.close());
    // Domain events → module subscribers (with, under NODE_ENV=test only, the crash tests' fault injector).
    const outbox = await startOutboxDispatcher(infra, services.subscribers);
    stops.push(() => outbox.close());
    const rebuilder = new LiveRebuilder(infra.redis, services.live, log);
    await rebuilder.start();
    stops.push(() => rebuilder.close());
    log.info('workers started');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 2000);
    timer.unref();
    await Promise.allSettled(stops.map((s) => s()));
    await services.close();
    await closeInfra(infra);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  const log = createLogger({ NODE_ENV: 'production', LOG_LEVEL: 'info' });
  log.fatal({ err }, 'failed to start');
  process.exit(1);
});
