import { z } from 'zod';
import { BaseConfigSchema } from '@platter/service-host';

/** S3's minimum size, in bytes, of every part of a multipart upload but the last (5 MiB). */
export const S3_MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;

/** Configuration of a frontend process: the base settings plus the S3 listener and the data path. */
export const frontendConfigSchema = BaseConfigSchema.extend({
  s3Host: z.string().default('127.0.0.1').describe('Interface the S3 HTTP server binds'),
  s3Port: z.coerce.number().int().min(0).max(65535).default(9000).describe('S3 HTTP port'),
  region: z.string().default('us-east-1').describe('The region this cluster answers for in SigV4 scopes'),
  locationConstraint: z
    .string()
    .default('')
    .describe(
      "A location name CreateBucket accepts besides the region and GetBucketLocation reports (RGW's zonegroup api_name, e.g. 'default'); empty reports the region",
    ),
  baseDomains: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((d) => d.trim().toLowerCase())
        .filter((d) => d.length > 0),
    )
    .describe('Comma-separated base domains for virtual-hosted-style requests (bucket.<domain>)'),
  redisUrl: z
    .string()
    .url()
    .optional()
    .describe('Redis for the repair queue; without it missing shards wait for the auditor'),
  inlineThresholdBytes: z.coerce
    .number()
    .int()
    .min(0)
    .max(64 * 1024)
    .default(4096)
    .describe('Objects up to this size are stored in the namespace record instead of erasure-coded'),
  minPartSizeBytes: z.coerce
    .number()
    .int()
    .min(0)
    .max(5 * 1024 ** 3)
    .default(S3_MIN_PART_SIZE_BYTES)
    .describe(
      "Smallest size of every multipart part but the last, enforced at CompleteMultipartUpload (EntityTooSmall); S3's is 5 MiB. Lower only for tests",
    ),
  readSteerAbove: z.coerce
    .number()
    .min(0)
    .default(1.05)
    .refine((v) => v === 0 || v >= 1, 'either 0 (off) or at least 1 (a multiple of the mean heat)')
    .describe(
      'Whole-stripe reads skip data shards on disks hotter than this multiple of the fleet mean heat, reading parity instead (0: off)',
    ),
  readSteerMinHeat: z.coerce
    .number()
    .min(0)
    .default(0.25)
    .describe(
      "Disks below this heat score (1 = saturated) are never steered around, however they compare with the mean: an idle fleet's spread is noise",
    ),
  heatRefreshMs: z.coerce
    .number()
    .int()
    .min(100)
    .default(1_000)
    .describe('How often the hot disks for read steering are asked of placement'),
  digestWorkers: z.coerce.number().int().min(1).max(64).default(2).describe('Threads hashing bodies (MD5, SHA-256)'),
  clusterConfigWaitMs: z.coerce
    .number()
    .int()
    .min(0)
    .default(60_000)
    .describe('How long to wait at startup for `platter bootstrap` to create the cluster config'),
});

export type FrontendConfig = z.infer<typeof frontendConfigSchema>;
