import { bucketNameProblem, S3Error, validateBucketName } from '@platter/s3';
import type { S3Call } from '../http/s3-call.js';
import { s3ErrorOfNamespace } from './namespace-errors.js';
import type { ObjectStoreDeps } from './object-store-deps.js';

// Buckets belong to accounts; another account gets AccessDenied (no bucket
// policies or ACLs yet). Owners are remembered briefly: a bucket's owner can
// only change by deleting and re-creating it, which this short memory
// tolerates.

const OWNER_TTL_MS = 2_000;
const MAX_REMEMBERED = 10_000;
const owners = new WeakMap<ObjectStoreDeps, Map<string, { owner: string; at: number }>>();

/**
 * The caller may use the bucket. `expectedOwnerHeader` names the header a
 * client states the owner it expects in (a copy source has its own).
 */
export async function checkBucketAccess(
  deps: ObjectStoreDeps,
  call: S3Call,
  bucket: string,
  expectedOwnerHeader = 'x-amz-expected-bucket-owner',
): Promise<void> {
  // No bucket can have a name CreateBucket refuses: say so (InvalidBucketName,
  // 400) rather than ask the namespace, which rejects such a name as a bad argument.
  validateBucketName(bucket);
  let memo = owners.get(deps);
  if (!memo) owners.set(deps, (memo = new Map()));
  const now = performance.now();
  let seen = memo.get(bucket);
  if (!seen || now - seen.at > OWNER_TTL_MS) {
    let res;
    try {
      res = await deps.namespace.getBucket({ name: bucket }, { signal: call.signal });
    } catch (err) {
      memo.delete(bucket);
      throw s3ErrorOfNamespace(err, { bucket });
    }
    if (!res.bucket) throw new S3Error('NoSuchBucket', undefined, { details: { BucketName: bucket } });
    if (memo.size >= MAX_REMEMBERED) memo.clear();
    memo.set(bucket, (seen = { owner: res.bucket.ownerAccountId, at: now }));
  }
  if (seen.owner !== call.accountId) throw new S3Error('AccessDenied');
  // The caller's guard against using a bucket it does not expect (S3 answers 403).
  const expected = call.req.headers[expectedOwnerHeader];
  if (typeof expected === 'string' && expected !== seen.owner) throw new S3Error('AccessDenied');
}

/**
 * Whether a bucket exists (for an unsigned caller, who may learn only that).
 * Shares the owners' short memory; a namespace error propagates.
 */
export async function bucketExists(deps: ObjectStoreDeps, bucket: string, signal: AbortSignal): Promise<boolean> {
  if (bucketNameProblem(bucket) !== undefined) return false;
  const seen = owners.get(deps)?.get(bucket);
  if (seen && performance.now() - seen.at <= OWNER_TTL_MS) return true;
  try {
    const res = await deps.namespace.getBucket({ name: bucket }, { signal });
    return res.bucket !== undefined;
  } catch (err) {
    const s3 = s3ErrorOfNamespace(err, { bucket });
    if (s3 instanceof S3Error && s3.code === 'NoSuchBucket') return false;
    throw s3;
  }
}

/** Forgets a bucket at once (after this frontend deleted it). */
export function forgetBucket(deps: ObjectStoreDeps, bucket: string): void {
  owners.get(deps)?.delete(bucket);
}
