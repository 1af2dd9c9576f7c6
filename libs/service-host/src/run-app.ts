import type { z } from 'zod';
import type { Role } from '@platter/cluster';
import { ConfigError, describeConfig, parseConfig } from './config.js';

export interface AppDefinition<S extends z.ZodObject> {
  role: Role;
  schema: S;
}

/**
 * The first lines of every main.ts: `--help`, config parsed once with every
 * problem printed (exit 2), then the app's own composition. A failure while
 * starting is printed and exits 1, so that a supervisor sees it at once
 * instead of a process that hangs half-started.
 */
export async function runApp<S extends z.ZodObject>(
  app: AppDefinition<S>,
  main: (config: z.infer<S>) => Promise<void>,
): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`platter ${app.role}: configuration (environment variables)\n${describeConfig(app.schema)}\n`);
    return;
  }
  let config: z.infer<S>;
  try {
    config = parseConfig(app.schema, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`platter ${app.role}: ${err.message}\n`);
    process.exit(2);
  }
  try {
    await main(config);
  } catch (err) {
    process.stderr.write(`platter ${app.role}: failed to start: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  }
}
