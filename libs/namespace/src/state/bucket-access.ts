import { namespaceV1 } from '@platter/proto';
import { NamespaceError } from '../errors.js';
import type { PrepareScope } from './prepare-scope.js';

const BS = namespaceV1.BucketState;

/**
 * The bucket a write adds to, or why it may not: absent (NO_SUCH_BUCKET) or
 * sealed by a running DeleteBucket (CONDITIONAL_REQUEST_CONFLICT: the
 * deletion either completes, then NoSuchBucket, or rolls back; retry).
 * Checked at the head when the write is ordered, so a caller's cached view
 * of the bucket cannot let a write past a seal.
 */
export function writableBucket(scope: PrepareScope, name: string): namespaceV1.Bucket | NamespaceError {
  const bucket = scope.index.bucket(name);
  if (!bucket) return noSuchBucket(name);
  if (bucket.state === BS.DELETING) {
    return new NamespaceError('CONDITIONAL_REQUEST_CONFLICT', 'bucket is being deleted', { resource: name });
  }
  return bucket;
}

export function noSuchBucket(bucket: string): NamespaceError {
  return new NamespaceError('NO_SUCH_BUCKET', 'no such bucket', { resource: bucket });
}
