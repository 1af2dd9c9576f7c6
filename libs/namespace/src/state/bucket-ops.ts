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

/** The bucket's live record here, and the incarnation its tombstone dropped through (0 if none). */
function recordAt(scope: PrepareScope, name: string): { existing?: namespaceV1.Bucket; dropped: bigint } {
  const record = scope.index.bucketRecord(name);
  return record?.state === BS.DROPPED ? { dropped: record.incarnation } : { existing: record, dropped: 0n };
}

export const createBucket: OpHandler<'createBucket'> = (scope, request) => {
  const bad = checkBucketName(request.name) ?? checkLabel('owner account id', request.ownerAccountId, true);
  if (bad) return bad;
  const { existing, dropped } = recordAt(scope, request.name);
  const copyOf = request.incarnation;
  if (copyOf > 0n) {
    // A copy of the home's record: never of an incarnation dropped here or older than the one here.
    if (copyOf <= dropped || (existing && existing.incarnation > copyOf)) return noSuchBucket(request.name);
    if (existing && existing.incarnation < copyOf) {
      // Left by an earlier incarnation whose deletion did not finish here (two
      // deletions that ended differently): empty, or it would not be gone at home.
      if (scope.index.bucketHasVersions(request.name)) return notEmpty(request.name);
      dropBucketUploads(scope, request.name);
    } else if (existing) {
      // This very copy: sealed by a deletion or not, it is in place.
      return alreadyThere(existing, request);
    }
  } else if (existing) {
    // Not "owned by you" while a deletion runs: the router would answer that by
    // re-writing copies the deletion may already have dropped.
    if (existing.state === BS.DELETING) {
      return new NamespaceError('CONDITIONAL_REQUEST_CONFLICT', 'bucket is being deleted', { resource: request.name });
    }
    return alreadyThere(existing, request);
  }
  const bucket = create(namespaceV1.BucketSchema, {
    name: request.name,
    ownerAccountId: request.ownerAccountId,
    createdAt: scope.now,
    versioning: copyOf > 0n && request.versioning !== VS.UNSPECIFIED ? request.versioning : VS.UNVERSIONED,
    incarnation: copyOf > 0n ? copyOf : dropped + 1n,
  });
  scope.mutations.put('buckets', utf8(request.name), encodeBucket(bucket));
  return create(namespaceV1.CreateBucketResponseSchema, { bucket });
};

function alreadyThere(existing: namespaceV1.Bucket, request: namespaceV1.CreateBucketRequest): NamespaceError {
  return existing.ownerAccountId === request.ownerAccountId
    ? new NamespaceError('BUCKET_ALREADY_OWNED_BY_YOU', 'bucket exists and is yours', { resource: request.name })
    : new NamespaceError('BUCKET_ALREADY_EXISTS', 'bucket exists', { resource: request.name });
}

/**
 * One step of the cross-partition deletion (README, Deleting a bucket). Each
 * step is atomic at this partition: SEAL checks emptiness and seals in one
 * entry, so once it is committed no version or marker of the bucket can
 * appear here until the copy is unsealed; DROP checks emptiness and removes
 * the copy with the bucket's in-progress uploads in one entry, leaving a
 * tombstone through the dropped incarnation.
 */
export const deleteBucket: OpHandler<'deleteBucket'> = (scope, request) => {
  const bad = checkBucketName(request.name);
  if (bad) return bad;
  const { existing, dropped } = recordAt(scope, request.name);
  switch (request.step) {
    case STEP.SEAL:
      return sealBucket(scope, request, existing, dropped);
    case STEP.UNSEAL:
      return unsealBucket(scope, request, existing);
    case STEP.UNSPECIFIED:
    case STEP.DROP:
      return dropBucket(scope, request, existing, dropped);
    default:
      return invalidArgument('unknown delete bucket step', request.name);
  }
};

function sealBucket(
  scope: PrepareScope,
  request: namespaceV1.DeleteBucketRequest,
  existing: namespaceV1.Bucket | undefined,
  dropped: bigint,
): namespaceV1.DeleteBucketResponse | NamespaceError {
  if (request.deletionId === '') return invalidArgument('deletion_id is required to seal', request.name);
  const home = request.bucket;
  if (!existing) {
    // No copy here yet, but the home has one that may still be on its way:
    // put it here sealed, so that it cannot arrive unsealed behind the seal.
    // (Unsealed again, it is simply the copy this partition was missing.)
    if (home && home.incarnation > dropped && home.state !== BS.DROPPED) {
      const placeholder = create(namespaceV1.BucketSchema, {
        ...home,
        state: BS.DELETING,
        deletionId: request.deletionId,
      });
      scope.mutations.put('buckets', utf8(request.name), encodeBucket(placeholder));
    }
    // Else nothing can be added here: nothing to seal.
    return create(namespaceV1.DeleteBucketResponseSchema);
  }
  // Sealing a sealed copy takes it over: it is empty (nothing entered since
  // its seal), and a deletion whose caller vanished must not pin it for ever.
  if (existing.state !== BS.DELETING && scope.index.bucketHasVersions(request.name)) return notEmpty(request.name);
  const sealed = create(namespaceV1.BucketSchema, { ...existing, state: BS.DELETING, deletionId: request.deletionId });
  scope.mutations.put('buckets', utf8(request.name), encodeBucket(sealed));
  return create(namespaceV1.DeleteBucketResponseSchema, { bucket: existing });
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
  return create(namespaceV1.DeleteBucketResponseSchema, { bucket: existing });
}

function dropBucket(
  scope: PrepareScope,
  request: namespaceV1.DeleteBucketRequest,
  existing: namespaceV1.Bucket | undefined,
  dropped: bigint,
): namespaceV1.DeleteBucketResponse | NamespaceError {
  const name = request.name;
  const through = [dropped, existing?.incarnation ?? 0n, request.bucket?.incarnation ?? 0n].reduce((a, b) =>
    a > b ? a : b,
  );
  if (!existing) {
    if (through <= dropped) return noSuchBucket(name);
    // The deletion names an incarnation whose copy never arrived here: make sure it never does.
    scope.mutations.put('buckets', utf8(name), encodeBucket(tombstone(name, through)));
    return create(namespaceV1.DeleteBucketResponseSchema);
  }
  if (scope.index.bucketHasVersions(name)) return notEmpty(name);
  // As in AWS, MinIO and Ceph: in-progress uploads do not keep a bucket alive.
  dropBucketUploads(scope, name);
  // A tombstone rather than nothing, so that no copy of a dropped incarnation
  // can come back (one row per bucket name ever deleted here; records from
  // before incarnations drop to nothing, as they did).
  if (through > 0n) scope.mutations.put('buckets', utf8(name), encodeBucket(tombstone(name, through)));
  else scope.mutations.delete('buckets', utf8(name));
  return create(namespaceV1.DeleteBucketResponseSchema, { bucket: existing });
}

function tombstone(name: string, incarnation: bigint): namespaceV1.Bucket {
  return create(namespaceV1.BucketSchema, { name, state: BS.DROPPED, incarnation });
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
