import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { utf8 } from '@platter/namespace-client';
import { encodeBucket } from '../encoding/records.js';
import { NamespaceError, invalidArgument } from '../errors.js';
import { noSuchBucket, writableBucket } from './bucket-access.js';
import { dropBucketUploads } from './multipart-ops.js';
import type { OpHandler, PrepareScope } from './prepare-scope.js';
import { checkBucketName, checkLabel } from './validation.js';

const VS = namespaceV1.VersioningState;
const BS = namespaceV1.BucketState;
const STEP = namespaceV1.DeleteBucketStep;

export const createBucket: OpHandler<'createBucket'> = (scope, request) => {
  const bad = checkBucketName(request.name) ?? checkLabel('owner account id', request.ownerAccountId, true);
  if (bad) return bad;
  const existing = scope.index.bucket(request.name);
  // Not "owned by you" while a deletion runs: the router would answer that by
  // re-writing copies the deletion may already have dropped.
  if (existing?.state === BS.DELETING) {
    return new NamespaceError('CONDITIONAL_REQUEST_CONFLICT', 'bucket is being deleted', { resource: request.name });
  }
  if (existing) {
    return existing.ownerAccountId === request.ownerAccountId
      ? new NamespaceError('BUCKET_ALREADY_OWNED_BY_YOU', 'bucket exists and is yours', { resource: request.name })
      : new NamespaceError('BUCKET_ALREADY_EXISTS', 'bucket exists', { resource: request.name });
  }
  const bucket = create(namespaceV1.BucketSchema, {
    name: request.name,
    ownerAccountId: request.ownerAccountId,
    createdAt: scope.now,
    versioning: VS.UNVERSIONED,
  });
  scope.mutations.put('buckets', utf8(request.name), encodeBucket(bucket));
  return create(namespaceV1.CreateBucketResponseSchema, { bucket });
};

/**
 * One step of the cross-partition deletion (README, Deleting a bucket). Each
 * step is atomic at this partition: SEAL checks emptiness and seals in one
 * entry, so once it is committed no version or marker of the bucket can
 * appear here until the copy is unsealed; DROP checks emptiness and removes
 * the copy with the bucket's in-progress uploads in one entry.
 */
export const deleteBucket: OpHandler<'deleteBucket'> = (scope, request) => {
  const bad = checkBucketName(request.name);
  if (bad) return bad;
  const existing = scope.index.bucket(request.name);
  switch (request.step) {
    case STEP.SEAL:
      return sealBucket(scope, request, existing);
    case STEP.UNSEAL:
      return unsealBucket(scope, request, existing);
    case STEP.UNSPECIFIED:
    case STEP.DROP:
      return dropBucket(scope, request.name, existing);
    default:
      return invalidArgument('unknown delete bucket step', request.name);
  }
};

function sealBucket(
  scope: PrepareScope,
  request: namespaceV1.DeleteBucketRequest,
  existing: namespaceV1.Bucket | undefined,
): namespaceV1.DeleteBucketResponse | NamespaceError {
  if (request.deletionId === '') return invalidArgument('deletion_id is required to seal', request.name);
  // No copy here (never written, or dropped already): nothing can be added here, nothing to seal.
  if (!existing) return create(namespaceV1.DeleteBucketResponseSchema);
  // Sealing a sealed copy takes it over: it is empty (nothing entered since
  // its seal), and a deletion whose caller vanished must not pin it for ever.
  if (existing.state !== BS.DELETING && scope.index.bucketHasVersions(request.name)) return notEmpty(request.name);
  const sealed = create(namespaceV1.BucketSchema, { ...existing, state: BS.DELETING, deletionId: request.deletionId });
  scope.mutations.put('buckets', utf8(request.name), encodeBucket(sealed));
  return create(namespaceV1.DeleteBucketResponseSchema);
}

function unsealBucket(
  scope: PrepareScope,
  request: namespaceV1.DeleteBucketRequest,
  existing: namespaceV1.Bucket | undefined,
): namespaceV1.DeleteBucketResponse | NamespaceError {
  if (request.deletionId === '') return invalidArgument('deletion_id is required to unseal', request.name);
  // Only the deletion holding the seal may lift it: another one that took it over is still running.
  if (existing?.state === BS.DELETING && existing.deletionId === request.deletionId) {
    const active = create(namespaceV1.BucketSchema, { ...existing, state: BS.UNSPECIFIED, deletionId: '' });
    scope.mutations.put('buckets', utf8(request.name), encodeBucket(active));
  }
  return create(namespaceV1.DeleteBucketResponseSchema);
}

function dropBucket(
  scope: PrepareScope,
  name: string,
  existing: namespaceV1.Bucket | undefined,
): namespaceV1.DeleteBucketResponse | NamespaceError {
  if (!existing) return noSuchBucket(name);
  if (scope.index.bucketHasVersions(name)) return notEmpty(name);
  // As in AWS, MinIO and Ceph: in-progress uploads do not keep a bucket alive.
  dropBucketUploads(scope, name);
  scope.mutations.delete('buckets', utf8(name));
  return create(namespaceV1.DeleteBucketResponseSchema);
}

function notEmpty(name: string): NamespaceError {
  return new NamespaceError('BUCKET_NOT_EMPTY', 'object versions or delete markers remain', { resource: name });
}

export const setBucketVersioning: OpHandler<'setBucketVersioning'> = (scope, request) => {
  const bad = checkBucketName(request.name);
  if (bad) return bad;
  if (request.versioning !== VS.ENABLED && request.versioning !== VS.SUSPENDED) {
    return invalidArgument('versioning must be ENABLED or SUSPENDED', request.name);
  }
  const existing = writableBucket(scope, request.name);
  if (existing instanceof NamespaceError) return existing;
  const bucket = create(namespaceV1.BucketSchema, { ...existing, versioning: request.versioning });
  scope.mutations.put('buckets', utf8(request.name), encodeBucket(bucket));
  return create(namespaceV1.SetBucketVersioningResponseSchema, { bucket });
};
