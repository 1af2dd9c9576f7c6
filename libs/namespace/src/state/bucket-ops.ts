import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { utf8 } from '@platter/namespace-client';
import { encodeBucket } from '../encoding/records.js';
import { NamespaceError, invalidArgument } from '../errors.js';
import type { OpHandler } from './prepare-scope.js';
import { checkBucketName, checkLabel } from './validation.js';

const VS = namespaceV1.VersioningState;

export const createBucket: OpHandler<'createBucket'> = (scope, request) => {
  const bad = checkBucketName(request.name) ?? checkLabel('owner account id', request.ownerAccountId, true);
  if (bad) return bad;
  const existing = scope.index.bucket(request.name);
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

export const deleteBucket: OpHandler<'deleteBucket'> = (scope, request) => {
  const bad = checkBucketName(request.name);
  if (bad) return bad;
  if (!scope.index.bucket(request.name)) return noSuchBucket(request.name);
  if (scope.index.bucketHasContent(request.name)) {
    return new NamespaceError('BUCKET_NOT_EMPTY', 'versions, delete markers or uploads remain', {
      resource: request.name,
    });
  }
  scope.mutations.delete('buckets', utf8(request.name));
  return create(namespaceV1.DeleteBucketResponseSchema);
};

export const setBucketVersioning: OpHandler<'setBucketVersioning'> = (scope, request) => {
  const bad = checkBucketName(request.name);
  if (bad) return bad;
  if (request.versioning !== VS.ENABLED && request.versioning !== VS.SUSPENDED) {
    return invalidArgument('versioning must be ENABLED or SUSPENDED', request.name);
  }
  const existing = scope.index.bucket(request.name);
  if (!existing) return noSuchBucket(request.name);
  const bucket = create(namespaceV1.BucketSchema, { ...existing, versioning: request.versioning });
  scope.mutations.put('buckets', utf8(request.name), encodeBucket(bucket));
  return create(namespaceV1.SetBucketVersioningResponseSchema, { bucket });
};

export function noSuchBucket(bucket: string): NamespaceError {
  return new NamespaceError('NO_SUCH_BUCKET', 'no such bucket', { resource: bucket });
}
