import { z } from 'zod';
import { BaseConfigSchema } from '@platter/service-host';
import { ALL_DISKS, DiskFaultsSchema } from './disk-faults.js';

export const DiskConfigSchema = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
    .describe('Disk id, unique in the cluster'),
  path: z.string().min(1).describe("Directory that holds this disk's extents and index"),
});
export type DiskConfig = z.infer<typeof DiskConfigSchema>;

// Booleans arrive as strings from the environment and as booleans from a JSON file.
const flag = z.union([z.boolean(), z.stringbool()]);

/** Configuration of a storage process: the base settings plus the disks it hosts. */
export const storageConfigSchema = BaseConfigSchema.extend({
  disks: z
    .array(DiskConfigSchema)
    .default([])
    .refine((ds) => new Set(ds.map((d) => d.id)).size === ds.length, 'disk ids must be distinct')
    .refine((ds) => new Set(ds.map((d) => d.path)).size === ds.length, 'disk paths must be distinct')
    .describe('Disks hosted by this process, as JSON [{id, path}]'),
  redisUrl: z
    .string()
    .url()
    .optional()
    .describe('Redis for heat telemetry, e.g. redis://127.0.0.1:6379; without it no heat is published'),
  heatKeyPrefix: z
    .string()
    .default('platter:')
    .describe('Prefix of the heat keys in Redis (one Redis may serve several clusters)'),
  heatIntervalMs: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(1_000)
    .describe("How often each disk's heat is published, in ms"),
  heatTtlMs: z.coerce
    .number()
    .int()
    .min(500)
    .max(600_000)
    .default(5_000)
    .describe('Lifetime of a published heat sample in Redis, in ms'),
  compactionIntervalMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(86_400_000)
    .default(60_000)
    .describe('Pause between background compaction passes over the disks, in ms; 0 turns compaction off'),
  hddModel: flag
    .default(false)
    .describe('Put a modelled 7,200 rpm disk in front of each disk, so heat shows on SSD test machines'),
  clusterConfigWaitMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(30_000)
    .describe('How long to wait at start for the cluster config to appear in etcd, in ms'),
  diskFaults: DiskFaultsSchema.default({}).describe(
    'TESTS ONLY, never in production: injected I/O faults per disk id (or "*" for all), as JSON ' +
      '{"<diskId>": [{ops, pathIncludes, delayMs, fail, corrupt, times, probability}]}',
  ),
  diskFaultSeed: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 31 - 1)
    .default(1)
    .describe(
      "Seed of the injected faults' probabilities and flipped bits (disk i uses seed + i), for reproducible runs",
    ),
}).superRefine((c, ctx) => {
  // A rule for a disk this node does not host would silently do nothing: most likely a typo.
  const hosted = new Set(c.disks.map((d) => d.id));
  for (const id of Object.keys(c.diskFaults))
    if (id !== ALL_DISKS && !hosted.has(id))
      ctx.addIssue({ code: 'custom', path: ['diskFaults', id], message: `no disk "${id}" is configured on this node` });
});
export type StorageConfig = z.infer<typeof storageConfigSchema>;
