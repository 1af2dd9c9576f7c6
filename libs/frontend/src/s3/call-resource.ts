import { S3Error } from '@platter/s3';
import type { S3Call } from '../http/s3-call.js';

// The bucket (and key) a routed call names; routing guarantees them, so a
// missing one is a malformed request, never a crash.

export function bucketOf(call: S3Call): string {
  const b = call.address.bucket;
  if (b === undefined) throw new S3Error('InvalidRequest', 'A bucket is required.');
  return b;
}

export function resourceOf(call: S3Call): { bucket: string; key: string } {
  const { bucket, key } = call.address;
  if (bucket === undefined || key === undefined)
    throw new S3Error('InvalidRequest', 'A bucket and a key are required.');
  return { bucket, key };
}
