import { z } from 'zod';
import { BaseConfigSchema } from '@platter/service-host';

/** Configuration of a frontend process: the base settings plus the S3 listener. */
export const frontendConfigSchema = BaseConfigSchema.extend({
  s3Host: z.string().default('127.0.0.1').describe('Interface the S3 HTTP server binds'),
  s3Port: z.coerce.number().int().min(0).max(65535).default(9000).describe('S3 HTTP port'),
  region: z.string().default('us-east-1').describe('The region this cluster answers for in SigV4 scopes'),
});
