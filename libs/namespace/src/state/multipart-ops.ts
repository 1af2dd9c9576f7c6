import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { idFromSequence } from '../encoding/ids.js';
import { encodePart, encodeUpload } from '../encoding/records.js';
import { prefixSuccessor } from '@platter/namespace-client';
import { bucketPrefix, partKey, readUploadRowKey, uploadKey } from '../encoding/table-keys.js';
import { NamespaceError, invalidArgument } from '../errors.js';
import { effectiveChecksumType, multipartEtag, objectChecksum } from '../multipart/object-checksum.js';
import { noSuchBucket, writableBucket } from './bucket-access.js';
import type { StoredUpload } from './object-index.js';
import type { OpHandler, PrepareScope } from './prepare-scope.js';
import { uploadOwner } from '../encoding/disk-shard-record.js';
import { indexPart, takenShard, unindexPart } from './shard-index.js';
import { checkBucketAndKey, checkCondition, checkLabel, checkPartLayout } from './validation.js';
import { checkKeyCondition, committedView, writeVersion } from './version-writer.js';

const CK = namespaceV1.ConditionKind;
const A = commonV1.ChecksumAlgorithm;

export const createMultipartUpload: OpHandler<'createMultipartUpload'> = (scope, request) => {
  const { bucket, key } = request;
  const bad =
    checkBucketAndKey(bucket, key) ??
    checkLabel('owner account id', request.ownerAccountId, false) ??
    checkLabel('storage class', request.storageClass, false);
  if (bad) return bad;
  const writable = writableBucket(scope, bucket);
  if (writable instanceof NamespaceError) return writable;
  const upload = create(namespaceV1.MultipartUploadSchema, {
    bucket,
    key,
    uploadId: idFromSequence(scope.sequence),
    initiatedAt: scope.now,
    ownerAccountId: request.ownerAccountId,
    storageClass: request.storageClass === '' ? 'STANDARD' : request.storageClass,
    headers: request.headers,
    checksumAlgorithm: request.checksumAlgorithm,
    checksumType: request.checksumType,
  });
  scope.mutations.put('uploads', uploadKey(bucket, key, scope.sequence), encodeUpload(upload));
  return create(namespaceV1.CreateMultipartUploadResponseSchema, { upload });
};

/**
 * The upload a request names, or the error S3 gives when it is gone. Only an
 * abort may touch an upload of a bucket being deleted (it removes, never adds).
 */
function findUpload(
  scope: PrepareScope,
  bucket: string,
  key: string,
  uploadId: string,
  forAbort = false,
): StoredUpload | NamespaceError {
  const bad = checkBucketAndKey(bucket, key);
  if (bad) return bad;
  if (forAbort) {
    if (!scope.index.bucket(bucket)) return noSuchBucket(bucket);
  } else {
    const writable = writableBucket(scope, bucket);
    if (writable instanceof NamespaceError) return writable;
  }
  return (
    scope.index.upload(bucket, key, uploadId) ??
    new NamespaceError('NO_SUCH_UPLOAD', 'no such upload', { resource: uploadId })
  );
}

export const registerPart: OpHandler<'registerPart'> = (scope, request) => {
  const bad = checkPartLayout(request.part, true);
  if (bad) return bad;
  const found = findUpload(scope, request.bucket, request.key, request.uploadId);
  if (found instanceof NamespaceError) return found;
  const part = request.part as commonV1.PartLayout;
  const previous = scope.index.part(found.sequence, part.partNumber);
  if (previous?.part) unindexPart(scope.mutations, previous.part);
  const taken = takenShard(scope.store, scope.mutations, part.shards);
  if (taken) return taken;
  const uploaded = create(namespaceV1.UploadedPartSchema, { part, registeredAt: scope.now });
  scope.mutations.put('parts', partKey(found.sequence, part.partNumber), encodePart(uploaded));
  indexPart(scope.mutations, uploadOwner(request.bucket, request.key, found.sequence), part);
  return create(namespaceV1.RegisterPartResponseSchema, { replaced: previous !== undefined, registeredAt: scope.now });
};

export const abortMultipartUpload: OpHandler<'abortMultipartUpload'> = (scope, request) => {
  const found = findUpload(scope, request.bucket, request.key, request.uploadId, true);
  if (found instanceof NamespaceError) return found;
  dropUpload(scope, request.bucket, request.key, found);
  return create(namespaceV1.AbortMultipartUploadResponseSchema);
};

/** Removes an upload, its parts and their disk index rows. */
function dropUpload(scope: PrepareScope, bucket: string, key: string, found: StoredUpload): void {
  dropUploadRow(scope, uploadKey(bucket, key, found.sequence), found.sequence);
}

/**
 * Removes every in-progress upload of a bucket held here, as aborts would:
 * their parts' disk index rows go too, so the parts' shards become orphans
 * that the auditor deletes after its grace period (the index is what it
 * reconciles the disks against; nothing else needs to be kept).
 */
export function dropBucketUploads(scope: PrepareScope, bucket: string): void {
  const prefix = bucketPrefix(bucket);
  // Collected first: the rows are read from the store, the deletions are buffered.
  const rows = [...scope.store.range('uploads', { start: prefix, end: prefixSuccessor(prefix) })];
  for (const row of rows) {
    dropUploadRow(scope, Buffer.from(row.key), readUploadRowKey(row.key, prefix.length).sequence);
  }
}

function dropUploadRow(scope: PrepareScope, rowKey: Buffer, sequence: bigint): void {
  for (const { partNumber, part } of scope.index.parts(sequence)) {
    if (part.part) unindexPart(scope.mutations, part.part);
    scope.mutations.delete('parts', partKey(sequence, partNumber));
  }
  scope.mutations.delete('uploads', rowKey);
}

export const completeMultipartUpload: OpHandler<'completeMultipartUpload'> = (scope, request) => {
  const { bucket, key } = request;
  const badCondition = checkCondition(request.condition, [CK.IF_NONE_MATCH_ANY, CK.IF_MATCH]);
  if (badCondition) return badCondition;
  const found = findUpload(scope, bucket, key, request.uploadId);
  if (found instanceof NamespaceError) return found;
  const bucketRecord = writableBucket(scope, bucket);
  if (bucketRecord instanceof NamespaceError) return bucketRecord;
  if (request.parts.length === 0)
    return invalidArgument('an upload completes with at least one part', request.uploadId);

  const chosen = chooseParts(scope, found, request.parts, request.minPartSizeBytes);
  if (chosen instanceof NamespaceError) return chosen;
  const refused = checkKeyCondition(scope, bucket, key, request.condition);
  if (refused) return refused;

  const upload = found.upload;
  const checksums: commonV1.Checksum[] = [];
  if (upload.checksumAlgorithm !== A.UNSPECIFIED) {
    const type = effectiveChecksumType(upload.checksumAlgorithm, upload.checksumType);
    const partChecksums = chosen.map((p) => ({
      value: p.checksums.find((c) => c.algorithm === upload.checksumAlgorithm)?.value ?? new Uint8Array(0),
      size: p.size,
    }));
    if (partChecksums.some((p) => p.value.byteLength === 0)) {
      return new NamespaceError('INVALID_PART', 'a part lacks the upload checksum', { resource: request.uploadId });
    }
    const whole = objectChecksum(upload.checksumAlgorithm, type, partChecksums);
    if (!whole) return invalidArgument('the upload checksum cannot be combined', request.uploadId);
    checksums.push(whole);
  }
  for (const expected of request.expectedChecksums) {
    const ours = checksums.find((c) => c.algorithm === expected.algorithm);
    if (!ours || !Buffer.from(ours.value).equals(Buffer.from(expected.value))) {
      return new NamespaceError('BAD_DIGEST', 'the object checksum does not match', { resource: key });
    }
  }

  // The upload's parts leave the index under the upload's name; the chosen
  // ones come back under the version's (last write per disk key wins).
  dropUpload(scope, bucket, key, found);
  const written = writeVersion(scope, bucketRecord.versioning, {
    bucket,
    key,
    deleteMarker: false,
    size: chosen.reduce((sum, p) => sum + p.size, 0n),
    etag: multipartEtag(chosen.map((p) => p.etag)),
    checksums,
    partsCount: chosen.length,
    headers: upload.headers,
    ownerAccountId: upload.ownerAccountId,
    storageClass: upload.storageClass,
    layout: create(commonV1.ObjectLayoutSchema, {
      data: { case: 'striped', value: create(commonV1.StripedLayoutSchema, { parts: chosen }) },
    }),
  });
  if (written instanceof NamespaceError) return written;
  return create(namespaceV1.CompleteMultipartUploadResponseSchema, {
    version: committedView(written.version),
    replacedVersionId: written.replacedVersionId,
  });
};

/** The registered parts the client listed, checked the way S3 checks them. */
function chooseParts(
  scope: PrepareScope,
  found: StoredUpload,
  listed: readonly namespaceV1.CompletedPart[],
  callerMinPartSize: bigint,
): commonV1.PartLayout[] | NamespaceError {
  const uploadId = found.upload.uploadId;
  let previous = 0;
  for (const p of listed) {
    if (p.partNumber <= previous)
      return new NamespaceError('INVALID_PART_ORDER', 'part numbers must increase', { resource: uploadId });
    previous = p.partNumber;
  }
  const chosen: commonV1.PartLayout[] = [];
  for (const p of listed) {
    const part = scope.index.part(found.sequence, p.partNumber)?.part;
    if (!part || part.etag !== p.etag) {
      return new NamespaceError('INVALID_PART', `part ${p.partNumber} was not uploaded with that ETag`, {
        resource: uploadId,
      });
    }
    for (const c of p.checksums) {
      const stored = part.checksums.find((s) => s.algorithm === c.algorithm);
      if (!stored || !Buffer.from(stored.value).equals(Buffer.from(c.value))) {
        return new NamespaceError('INVALID_PART', `part ${p.partNumber} checksum differs`, { resource: uploadId });
      }
    }
    chosen.push(part);
  }
  // The stricter of the namespace's own limit and the caller's (the frontend owns S3's 5 MiB).
  const own = BigInt(scope.limits.minPartSizeBytes);
  const min = callerMinPartSize > own ? callerMinPartSize : own;
  if (min > 0n && chosen.slice(0, -1).some((part) => part.size < min)) {
    return new NamespaceError('ENTITY_TOO_SMALL', 'a part other than the last is below the minimum size', {
      resource: uploadId,
    });
  }
  return chosen;
}
