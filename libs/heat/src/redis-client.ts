import { Redis } from 'ioredis';
import type { Logger } from '@platter/telemetry';
import { LogLimiter } from './log-limiter.js';

/** A connect attempt to a dead Redis gives up after this, ms; the client then retries on its own. */
export const REDIS_CONNECT_TIMEOUT_MS = 2_000;
/** One command may take this long, ms: heat is fresh once a second, so a slower answer is worthless. */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;
/** Reconnect backoff bounds, ms: doubling from the base, capped so that Redis coming back is noticed within seconds. */
const RECONNECT_BASE_MS = 100;
const RECONNECT_MAX_MS = 2_000;
/** At most one "Redis unreachable" line per this interval, ms. */
const ERROR_LOG_INTERVAL_MS = 30_000;

export interface ConnectRedisOptions {
  logger: Logger;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

/**
 * An ioredis client for disposable data: commands fail at once while the
 * connection is down (no offline queue that grows while Redis is away, no
 * retries of a command), every command has a timeout, reconnects go on for
 * ever with capped backoff, and connection errors are logged at a rate limit
 * (an 'error' listener is always attached, so they never crash the process).
 */
export function connectRedis(url: string, options: ConnectRedisOptions): Redis {
  const log = options.logger.child({ component: 'redis' });
  const limiter = new LogLimiter(ERROR_LOG_INTERVAL_MS);
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: options.connectTimeoutMs ?? REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt: number) => Math.min(RECONNECT_BASE_MS * 2 ** Math.min(attempt, 10), RECONNECT_MAX_MS),
  });
  redis.on('error', (err: Error) => {
    const suppressed = limiter.take();
    if (suppressed !== undefined) log.warn({ err: err.message, suppressed }, 'redis unreachable; retrying');
  });
  redis.on('ready', () => log.info('redis connected'));
  return redis;
}

/** Resolves true once the client is ready, false if it is not within `timeoutMs`. */
export function redisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = (): void => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.on('ready', onReady);
  });
}
