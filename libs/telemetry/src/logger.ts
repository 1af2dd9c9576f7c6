import pino from 'pino';
import { censor, REDACT_PATHS } from './redaction.js';

export type Logger = pino.Logger;
export type DestinationStream = pino.DestinationStream;

export interface CreateLoggerOptions {
  /** The service name, e.g. "storage"; a base field on every line. */
  service: string;
  /** This process's instance id (pod name, node id); a base field when given. */
  instance?: string;
  /** pino level; default "info". */
  level?: string;
  /** Default stdout (synchronous, so nothing is lost when the process exits). */
  destination?: DestinationStream;
}

/**
 * The process's one logger: JSON lines with `service` and `instance` on every
 * line, ISO timestamps, level names, credentials and presigned signatures
 * redacted. Create it once in main.ts and pass it down; use child({ component }).
 */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const base: Record<string, string> = { service: opts.service };
  if (opts.instance !== undefined) base['instance'] = opts.instance;
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: (value, path) => censor(value, path) },
  };
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination);
}
