import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { fromBase64Url, immediateSuccessor, prefixSuccessor, toBase64Url, utf8 } from '@platter/namespace-client';
import { decodeDiskShardRecord } from '../encoding/disk-shard-record.js';
import { decodeBucket } from '../encoding/records.js';
import { diskPrefix, diskShardKey } from '../encoding/table-keys.js';
import { NamespaceError, invalidArgument } from '../errors.js';
import type { PartitionStore } from '../store/partition-store.js';
import { noSuchBucket } from './bucket-access.js';
import type { ObjectIndex } from './object-index.js';
import { resolvePart } from './part-resolver.js';
import { checkBucketAndKey, checkBucketName } from './validation.js';

/** Page sizes of the inventory-style lists (buckets, disk shards): 0 means the default, capped. */
const DEFAULT_PAGE_SIZE = 1000;
const MAX_INVENTORY_PAGE_SIZE = 10_000;
/** S3's cap on max-keys, max-uploads and max-parts. */
export const MAX_S3_PAGE_SIZE = 1000;

export function pageSize(requested: number, max: number): number {
  return requested === 0 ? Math.min(DEFAULT_PAGE_SIZE, max) : Math.min(requested, max);
}

export function getObject(
  index: ObjectIndex,
  request: namespaceV1.GetObjectRequest,
): namespaceV1.ObjectVersion | NamespaceError {
  const { bucket, key, versionId } = request;
  const bad = checkBucketAndKey(bucket, key);
  if (bad) return bad;
  if (!index.bucket(bucket)) return noSuchBucket(bucket);
  const latest = index.latest(bucket, key);
  if (versionId === '') {
    if (!latest) return new NamespaceError('NO_SUCH_KEY', 'no such key', { resource: key });
    const version = index.decode(latest, !request.metadataOnly);
    version.isLatest = true;
    return version;
  }
  const row = index.version(bucket, key, versionId);
  if (row === 'malformed') return invalidArgument('invalid version id', versionId);
  if (!row) return new NamespaceError('NO_SUCH_VERSION', 'no such version', { resource: versionId });
  const version = index.decode(row, !request.metadataOnly);
  version.isLatest = latest?.sequence === row.sequence;
  return version;
}

export function getBucket(index: ObjectIndex, name: string): namespaceV1.Bucket | NamespaceError {
  const bad = checkBucketName(name);
  if (bad) return bad;
  return index.bucket(name) ?? noSuchBucket(name);
}

/** This partition's buckets by name; a page token is the last name, base64url. */
export function listBuckets(
  store: PartitionStore,
  request: namespaceV1.ListBucketsRequest,
): namespaceV1.ListBucketsResponse | NamespaceError {
  const limit = pageSize(request.pageSize, MAX_INVENTORY_PAGE_SIZE);
  const prefix = utf8(request.prefix);
  let start: Buffer = prefix;
  if (request.pageToken !== '') {
    const last = fromBase64Url(request.pageToken);
    if (last === undefined) return invalidArgument('bad page token');
    if (Buffer.compare(immediateSuccessor(last), start) > 0) start = immediateSuccessor(last);
  }
  const response = create(namespaceV1.ListBucketsResponseSchema);
  let lastName: Buffer | undefined;
  for (const row of store.range('buckets', { start, end: prefix.length > 0 ? prefixSuccessor(prefix) : undefined })) {
    const bucket = decodeBucket(row.value);
    if (bucket.state === namespaceV1.BucketState.DROPPED) continue;
    if (request.ownerAccountId !== '' && bucket.ownerAccountId !== request.ownerAccountId) continue;
    if (response.buckets.length === limit) {
      response.nextPageToken = toBase64Url(lastName ?? row.key);
      break;
    }
    response.buckets.push(bucket);
    lastName = row.key;
  }
  return response;
}

export function listParts(
  index: ObjectIndex,
  request: namespaceV1.ListPartsRequest,
): namespaceV1.ListPartsResponse | NamespaceError {
  const bad = checkBucketAndKey(request.bucket, request.key);
  if (bad) return bad;
  if (!index.bucket(request.bucket)) return noSuchBucket(request.bucket);
  const found = index.upload(request.bucket, request.key, request.uploadId);
  if (!found) return new NamespaceError('NO_SUCH_UPLOAD', 'no such upload', { resource: request.uploadId });
  const limit = pageSize(request.maxParts, MAX_S3_PAGE_SIZE);
  const response = create(namespaceV1.ListPartsResponseSchema, { upload: found.upload });
  for (const { part } of index.parts(found.sequence, request.partNumberMarker, limit + 1)) {
    if (response.parts.length === limit) {
      response.isTruncated = true;
      break;
    }
    const layout = part.part;
    const shown =
      request.includeLayout || layout === undefined
        ? layout
        : create(commonV1.PartLayoutSchema, { ...layout, scheme: undefined, shards: [] });
    response.parts.push(create(namespaceV1.UploadedPartSchema, { part: shown, registeredAt: part.registeredAt }));
  }
  const last = response.parts[response.parts.length - 1];
  if (response.isTruncated && last?.part) response.nextPartNumberMarker = last.part.partNumber;
  return response;
}

/** The disk → shards index of this partition, sorted by shard id; a page token is the last shard id, base64url. */
export function listDiskShards(
  store: PartitionStore,
  index: ObjectIndex,
  request: namespaceV1.ListDiskShardsRequest,
): namespaceV1.ListDiskShardsResponse | NamespaceError {
  if (request.diskId === '') return invalidArgument('disk id is required');
  const limit = pageSize(request.pageSize, MAX_INVENTORY_PAGE_SIZE);
  const prefix = diskPrefix(request.diskId);
  let start: Buffer = prefix;
  if (request.pageToken !== '') {
    const last = fromBase64Url(request.pageToken);
    if (last === undefined) return invalidArgument('bad page token');
    start = immediateSuccessor(diskShardKey(request.diskId, last.toString('utf8')));
  }
  const response = create(namespaceV1.ListDiskShardsResponseSchema);
  for (const row of store.range('disk_shards', { start, end: prefixSuccessor(prefix), limit: limit + 1 })) {
    const shard = decodeDiskShardRecord(row.value, request.diskId, row.key.subarray(prefix.length).toString('utf8'));
    if (response.shards.length === limit) {
      const last = response.shards[limit - 1];
      response.nextPageToken = toBase64Url(utf8(last?.location?.shardId ?? ''));
      break;
    }
    if (request.includeLayout) {
      const resolved = resolvePart(index, shard.shard?.part);
      // Gone between the index and the record is impossible in one read
      // transaction; a missing part would only mean a newer change.
      if (!(resolved instanceof NamespaceError)) shard.part = resolved.part;
    }
    response.shards.push(shard);
  }
  return response;
}

export function getPartLayout(
  index: ObjectIndex,
  ref: commonV1.PartRef | undefined,
): commonV1.PartLayout | NamespaceError {
  const resolved = resolvePart(index, ref);
  return resolved instanceof NamespaceError ? resolved : resolved.part;
}
