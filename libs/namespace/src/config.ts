import path from 'node:path';
import { z } from 'zod';
import { BaseConfigSchema } from '@platter/service-host';

/** Configuration of a namespace process: the base settings plus where replicas live and how chains form. */
export const namespaceConfigSchema = BaseConfigSchema.extend({
  dataDir: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Directory holding one LMDB store per hosted partition (p<n>/); default .platter/namespace/<id> under the working directory',
    ),
  replicationFactor: z.coerce
    .number()
    .int()
    .min(1)
    .max(7)
    .default(3)
    .describe('Replicas per partition chain (set at chain creation by the chain manager)'),
  bootstrapWaitMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(30_000)
    .describe('At cluster start, how long the chain manager waits for replicationFactor members, in ms'),
  mapSizeBytes: z.coerce
    .number()
    .int()
    .min(2 ** 20)
    .default(64 * 2 ** 30)
    .describe('LMDB map size per partition store, in bytes (a ceiling; the file grows lazily)'),
  writeIdRetentionSeconds: z.coerce
    .number()
    .int()
    .min(60)
    .default(86_400)
    .describe('How long a write id is remembered for idempotent retries, in seconds (beyond any retry horizon)'),
  clusterConfigWaitMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(60_000)
    .describe('How long to wait at start for the cluster config in etcd, in ms'),
});
export type NamespaceConfig = z.infer<typeof namespaceConfigSchema>;

// Where a local cluster keeps its state (deploy/local/cluster.yaml, gitignored).
const DEFAULT_DATA_ROOT = path.join('.platter', 'namespace');

/** The replica directory this process uses: the configured one, else one per member id under .platter/. */
export function namespaceDataDir(config: Pick<NamespaceConfig, 'dataDir' | 'id'>): string {
  return path.resolve(config.dataDir ?? path.join(DEFAULT_DATA_ROOT, config.id));
}
