export { HeatCodecError, HeatError, HeatKeyError } from './errors.js';
export { DEFAULT_HEAT_PREFIX, HeatKeyspace } from './heat-keys.js';
export { decodeHeat, encodeHeat, MAX_HEAT_VALUE_BYTES } from './heat-codec.js';
export { DEFAULT_HEAT_TTL_MS, HeatPublisher, type HeatPublisherOptions } from './heat-publisher.js';
export { DEFAULT_HEAT_MAX_AGE_MS, HeatReader, type HeatReaderOptions, type HeatReading } from './heat-reader.js';
export {
  connectRedis,
  redisReady,
  REDIS_COMMAND_TIMEOUT_MS,
  REDIS_CONNECT_TIMEOUT_MS,
  type ConnectRedisOptions,
} from './redis-client.js';
export { LogLimiter } from './log-limiter.js';
export type { Redis } from 'ioredis';
