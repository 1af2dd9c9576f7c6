import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { NULL_VERSION_ID } from '../encoding/ids.js';
import { isDeleteMarkerRecord } from '../encoding/records.js';
import { NamespaceError, invalidArgument } from '../errors.js';
import { writableBucket } from './bucket-access.js';
import type { OpHandler, PrepareScope } from './prepare-scope.js';
import { checkBucketAndKey, checkCondition, checkLabel, checkObjectLayout } from './validation.js';
import {
  checkKeyCondition,
  committedView,
  etagMatches,
  preconditionFailed,
  removeVersion,
  writeVersion,
} from './version-writer.js';

const CK = namespaceV1.ConditionKind;
const VS = namespaceV1.VersioningState;

export const putObject: OpHandler<'putObject'> = (scope, request) => {
  const { bucket, key } = request;
  const bad =
    checkBucketAndKey(bucket, key) ??
    checkCondition(request.condition, [CK.IF_NONE_MATCH_ANY, CK.IF_MATCH]) ??
    checkLabel('owner account id', request.ownerAccountId, false) ??
    checkLabel('storage class', request.storageClass, false) ??
    checkObjectLayout(request.layout, request.size, scope.limits.inlineThresholdBytes);
  if (bad) return bad;
  const bucketRecord = writableBucket(scope, bucket);
  if (bucketRecord instanceof NamespaceError) return bucketRecord;
  const refused = checkKeyCondition(scope, bucket, key, request.condition);
  if (refused) return refused;
  const written = writeVersion(scope, bucketRecord.versioning, {
    bucket,
    key,
    deleteMarker: false,
    size: request.size,
    etag: request.etag,
    checksums: request.checksums,
    partsCount: 0,
    headers: request.headers,
    ownerAccountId: request.ownerAccountId,
    storageClass: request.storageClass === '' ? 'STANDARD' : request.storageClass,
    layout: request.layout,
  });
  if (written instanceof NamespaceError) return written;
  return create(namespaceV1.PutObjectResponseSchema, {
    version: committedView(written.version),
    replacedVersionId: written.replacedVersionId,
  });
};

export const deleteObject: OpHandler<'deleteObject'> = (scope, request) => {
  const { bucket, key } = request;
  const bad = checkBucketAndKey(bucket, key) ?? checkCondition(request.condition, [CK.IF_MATCH]);
  if (bad) return bad;
  const bucketRecord = writableBucket(scope, bucket);
  if (bucketRecord instanceof NamespaceError) return bucketRecord;
  return request.versionId === ''
    ? deleteCurrent(scope, request, bucketRecord.versioning)
    : deleteVersion(scope, request);
};

/** S3's simple delete: a delete marker, or (unversioned) removing the null version. */
function deleteCurrent(
  scope: PrepareScope,
  request: namespaceV1.DeleteObjectRequest,
  versioning: namespaceV1.VersioningState,
): namespaceV1.DeleteObjectResponse | NamespaceError {
  const { bucket, key } = request;
  const refused = checkKeyCondition(scope, bucket, key, request.condition);
  if (refused) return refused;
  const existed = scope.index.current(bucket, key) !== undefined;
  if (versioning === VS.UNVERSIONED || versioning === VS.UNSPECIFIED) {
    const sequence = scope.index.nullSequence(bucket, key);
    const row = sequence === undefined ? undefined : scope.index.versionRow(bucket, key, sequence);
    if (!row) return create(namespaceV1.DeleteObjectResponseSchema, { existed: false });
    removeVersion(scope, bucket, key, row.sequence, row.record);
    return create(namespaceV1.DeleteObjectResponseSchema, { versionId: NULL_VERSION_ID, existed: true });
  }
  const written = writeVersion(scope, versioning, {
    bucket,
    key,
    deleteMarker: true,
    size: 0n,
    etag: '',
    checksums: [],
    partsCount: 0,
    headers: undefined,
    ownerAccountId: '',
    storageClass: '',
    layout: undefined,
  });
  if (written instanceof NamespaceError) return written;
  return create(namespaceV1.DeleteObjectResponseSchema, {
    deleteMarker: true,
    versionId: written.version.versionId,
    existed,
  });
}

/** DELETE ?versionId=: removes that version (object or marker) for good. */
function deleteVersion(
  scope: PrepareScope,
  request: namespaceV1.DeleteObjectRequest,
): namespaceV1.DeleteObjectResponse | NamespaceError {
  const { bucket, key, versionId } = request;
  const row = scope.index.version(bucket, key, versionId);
  if (row === 'malformed') return invalidArgument('invalid version id', versionId);
  const ifMatch = request.condition?.kind === CK.IF_MATCH;
  if (row === undefined) {
    if (ifMatch) return new NamespaceError('NO_SUCH_KEY', 'no such version to match', { resource: key });
    return create(namespaceV1.DeleteObjectResponseSchema, { versionId, existed: false });
  }
  const marker = isDeleteMarkerRecord(row.record);
  if (ifMatch) {
    // A delete marker has no ETag: nothing matches it.
    if (marker || !etagMatches(request.condition?.etag ?? '', scope.index.decode(row, false).etag)) {
      return preconditionFailed(key);
    }
  }
  removeVersion(scope, bucket, key, row.sequence, row.record);
  return create(namespaceV1.DeleteObjectResponseSchema, { deleteMarker: marker, versionId, existed: true });
}
