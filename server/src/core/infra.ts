import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import type { Config } from './config';
import { FieldCipher } from './crypto';
import { createDataSource } from './data-source';
import { createLogger, type Logger } from './logger';
import { RateLimiter } from './rate-limit';
import { createRedis, waitForRedis } from './redis';

/** The process-wide connections every module is built from. */
export interface Infra {
  config: Config;
  log: Logger;
  dataSource: DataSource;
  redis: Redis;
  cipher: FieldCipher;
  limiter: RateLimiter;
  /** Where this process can be reached (payment notifications from the sandbox); set once listening. */
  selfUrl: string;
}

export async function createInfra(config: Config, log: Logger = createLogger(config)): Promise<Infra> {
  const dataSource = createDataSource(config.DATABASE_URL, config.DB_POOL_SIZE);
  await dataSource.initialize();
  // Auto-pipelining: commands issued in the same tick (many requests at once, each with its rate
  // limit, seat gate or visit script) leave in one write and come back in one read, instead of a
  // syscall pair each. Ordering per connection is unchanged.
  const redis = createRedis(config.REDIS_URL, { enableAutoPipelining: true });
  // Redis errors are reported through /readyz and 503s; without a listener ioredis would print them raw.
  redis.on('error', (err) => log.debug({ err: err.message }, 'redis error'));
  // Start even when Redis is down (readiness reports it); but normally wait for the first connect
  // so the first requests do not fail on a connection still being opened.
  await waitForRedis(redis, 3000).catch(() => log.warn('redis not reachable at start-up'));
  const selfUrl = config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`;
  return { config, log, dataSource, redis, cipher: new FieldCipher(config.DATA_KEY_HEX), limiter: new RateLimiter(redis, config.REDIS_PREFIX), selfUrl };
}

export async function closeInfra(infra: Infra): Promise<void> {
  infra.redis.disconnect();
  if (infra.dataSource.isInitialized) await infra.dataSource.destroy();
}

/** Resolves with the value or rejects after `ms`, so a hung dependency cannot hang a probe. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
