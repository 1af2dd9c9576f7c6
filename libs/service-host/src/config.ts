import fs from 'node:fs';
import os from 'node:os';
import { z } from 'zod';

// Every service reads the same base settings; each service lib extends this
// schema with its own fields. Values come from a JSON file named by
// PLATTER_CONFIG_FILE, then from PLATTER_<UPPER_SNAKE_NAME> environment variables.
const commaList = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  z.array(z.string().min(1)).min(1),
);
const port = z.coerce.number().int().min(0).max(65535);

export const BaseConfigSchema = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
    .describe('Member id, unique within the role (lowercase, digits, dashes)'),
  etcdEndpoints: commaList.describe('etcd client URLs, comma-separated'),
  etcdPrefix: z
    .string()
    .startsWith('/')
    .endsWith('/')
    .default('/platter/')
    .describe('Root of every Platter key in etcd'),
  grpcHost: z.string().default('127.0.0.1').describe('Interface the gRPC server binds'),
  grpcPort: port.default(0).describe('gRPC port; 0 picks a free one'),
  advertiseHost: z.string().optional().describe('Host other members dial; defaults to grpcHost'),
  adminHost: z.string().default('127.0.0.1').describe('Interface of the /metrics, /healthz, /readyz server'),
  adminPort: port.default(0).describe('Admin HTTP port; 0 picks a free one'),
  zone: z.string().default('zone-a').describe('Failure domain: zone label'),
  rack: z.string().default('rack-1').describe('Failure domain: rack label'),
  host: z.string().default(os.hostname()).describe('Failure domain: host label'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('pino log level'),
  leaseTtlSeconds: z.coerce.number().int().min(2).max(300).default(10).describe('Membership lease TTL in seconds'),
  shutdownGraceMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(10_000)
    .describe('Time allowed for in-flight calls on SIGTERM, in ms'),
});
export type BaseConfig = z.infer<typeof BaseConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const ENV_PREFIX = 'PLATTER_';
export const CONFIG_FILE_ENV = 'PLATTER_CONFIG_FILE';

/** The environment variable that sets a config field, e.g. `etcdEndpoints` → `PLATTER_ETCD_ENDPOINTS`. */
export function envName(field: string): string {
  return ENV_PREFIX + field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/**
 * Parses a service's config once, at start. Object and array fields given in the
 * environment are JSON. Throws a ConfigError listing every problem, not just the first.
 */
export function parseConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  const file = env[CONFIG_FILE_ENV];
  if (file) {
    try {
      Object.assign(raw, JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch (err) {
      problems.push(`${CONFIG_FILE_ENV}=${file}: ${(err as Error).message}`);
    }
  }
  for (const [field, fieldSchema] of Object.entries(schema.shape)) {
    const value = env[envName(field)];
    if (value === undefined) continue;
    if (isStructured(fieldSchema as z.ZodType) && !field.endsWith('Endpoints')) {
      try {
        raw[field] = JSON.parse(value);
      } catch {
        problems.push(`${envName(field)}: expected JSON`);
      }
    } else raw[field] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? '');
      problems.push(`${issue.path.join('.') || '(root)'} (${envName(field)}): ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

function isStructured(schema: z.ZodType): boolean {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) {
    s = s.unwrap() as z.ZodType;
  }
  return s instanceof z.ZodArray || s instanceof z.ZodObject || s instanceof z.ZodRecord;
}

/** For `--help`: every field with its variable, default and description. */
export function describeConfig(schema: z.ZodObject): string {
  return Object.entries(schema.shape)
    .map(([field, s]) => {
      const t = s as z.ZodType;
      return `  ${envName(field).padEnd(34)} ${t.description ?? ''}`;
    })
    .join('\n');
}
