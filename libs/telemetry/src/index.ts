export { startAdminServer, type AdminServer, type AdminServerOptions } from './admin-server.js';
export { AdminServerError, TelemetryError } from './errors.js';
export {
  HEALTH_CHECK_TIMEOUT_MS,
  healthProbe,
  type HealthCheck,
  type HealthCheckResult,
  type HealthProbe,
  type HealthReport,
} from './health.js';
export { createLogger, type CreateLoggerOptions, type DestinationStream, type Logger } from './logger.js';
export { createMetricsRegistry, type CreateMetricsRegistryOptions } from './metrics.js';
export { censor, REDACT_PATHS, REDACTED, redactPresignedUrl } from './redaction.js';
export { Shutdown, type ShutdownOptions } from './shutdown.js';
export type { Registry } from 'prom-client';
