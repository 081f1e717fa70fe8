import Redis, { type RedisOptions } from 'ioredis';

/**
 * Redis connections. The API connection does not queue commands while disconnected so a Redis
 * outage turns into a fast 503 instead of hanging requests. BullMQ needs its own connections
 * with `maxRetriesPerRequest: null` (blocking commands).
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
    ...opts,
  });
}

export function createBullConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableOfflineQueue: true });
}

/** Resolves once the client is ready, or rejects after `ms`. */
export async function waitForRedis(redis: Redis, ms = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${ms} ms`));
    }, ms);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
