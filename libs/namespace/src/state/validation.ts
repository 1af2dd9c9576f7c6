import { namespaceV1, commonV1 } from '@platter/proto';
import { isWellFormedUtf16 } from '@platter/namespace-client';
import { encodedVersionKeyLength } from '../encoding/table-keys.js';
import { invalidArgument, type NamespaceError } from '../errors.js';
import { MAX_LMDB_KEY_BYTES } from '../store/partition-store.js';

// S3's limit on an object key, in UTF-8 bytes.
const MAX_KEY_BYTES = 1024;
// Write ids are request ids (S3's are 16–32 characters); the cap keeps the
// write_ids table's keys small.
const MAX_WRITE_ID_BYTES = 256;
// Account ids, storage classes and similar labels.
const MAX_LABEL_BYTES = 256;
// S3 part numbers.
const MAX_PART_NUMBER = 10_000;
// Shard indexes of one stripe fit a byte (k + m ≤ 255).
const MAX_SHARDS_PER_STRIPE = 255;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const DISK_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SHARD_ID = /^[0-9a-f]{32}$/;
const MD5_HEX = /^[0-9a-f]{32}$/;

export function checkBucketName(name: string): NamespaceError | undefined {
  return BUCKET_NAME.test(name) ? undefined : invalidArgument('bad bucket name', name);
}

export function checkObjectKey(bucket: string, key: string): NamespaceError | undefined {
  if (key.length === 0) return invalidArgument('empty object key', bucket);
  if (!isWellFormedUtf16(key)) return invalidArgument('object key is not valid UTF-8', bucket);
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES)
    return invalidArgument('object key over 1,024 UTF-8 bytes', bucket);
  // NUL bytes take two bytes once escaped: a key made of them can outgrow LMDB's key limit.
  if (encodedVersionKeyLength(bucket, key) > MAX_LMDB_KEY_BYTES)
    return invalidArgument('object key too long once encoded', bucket);
  return undefined;
}

export function checkBucketAndKey(bucket: string, key: string): NamespaceError | undefined {
  return checkBucketName(bucket) ?? checkObjectKey(bucket, key);
}

export function checkWriteId(writeId: string): NamespaceError | undefined {
  if (writeId.length === 0) return invalidArgument('write_id is required');
  if (!isWellFormedUtf16(writeId) || Buffer.byteLength(writeId, 'utf8') > MAX_WRITE_ID_BYTES)
    return invalidArgument('bad write_id');
  return undefined;
}

export function checkLabel(what: string, value: string, required: boolean): NamespaceError | undefined {
  if (required && value.length === 0) return invalidArgument(`${what} is required`);
  if (!isWellFormedUtf16(value) || Buffer.byteLength(value, 'utf8') > MAX_LABEL_BYTES)
    return invalidArgument(`bad ${what}`);
  return undefined;
}

export function checkCondition(
  condition: namespaceV1.WriteCondition | undefined,
  allowed: readonly namespaceV1.ConditionKind[],
): NamespaceError | undefined {
  const kind = condition?.kind ?? namespaceV1.ConditionKind.UNSPECIFIED;
  if (kind === namespaceV1.ConditionKind.UNSPECIFIED) return undefined;
  if (!allowed.includes(kind)) return invalidArgument('condition not allowed here');
  if (kind === namespaceV1.ConditionKind.IF_MATCH && (condition?.etag ?? '') === '') {
    return invalidArgument('If-Match needs an ETag');
  }
  return undefined;
}

export function checkShardLocation(location: commonV1.ShardLocation, width: number): NamespaceError | undefined {
  if (!DISK_ID.test(location.diskId)) return invalidArgument('bad disk id', location.diskId);
  if (!SHARD_ID.test(location.shardId)) return invalidArgument('bad shard id', location.shardId);
  if (location.shardIndex >= width) return invalidArgument('shard index outside the stripe', location.shardId);
  return undefined;
}

/** A striped part as the contract describes it: scheme, sorted unique shard indexes, valid ids. */
export function checkPartLayout(part: commonV1.PartLayout | undefined, multipart: boolean): NamespaceError | undefined {
  if (part === undefined) return invalidArgument('part layout is required');
  if (part.partNumber < 1 || part.partNumber > MAX_PART_NUMBER) return invalidArgument('part number outside 1..10000');
  const scheme = part.scheme;
  if (scheme === undefined || scheme.dataShards < 1 || scheme.blockSize < 1)
    return invalidArgument('bad erasure scheme');
  const width = scheme.dataShards + scheme.parityShards;
  if (width > MAX_SHARDS_PER_STRIPE) return invalidArgument('too many shards per stripe');
  let previous = -1;
  for (const shard of part.shards) {
    if (shard.shardIndex <= previous) return invalidArgument('shards must be sorted by unique shard index');
    previous = shard.shardIndex;
    const bad = checkShardLocation(shard, width);
    if (bad) return bad;
  }
  if (multipart && !MD5_HEX.test(part.etag)) return invalidArgument('a part needs its MD5 ETag (32 lowercase hex)');
  return undefined;
}

/** PutObject's layout: inline bytes under the threshold, or one striped part numbered 1 of the object's size. */
export function checkObjectLayout(
  layout: commonV1.ObjectLayout | undefined,
  size: bigint,
  inlineThresholdBytes: number,
): NamespaceError | undefined {
  const data = layout?.data;
  if (data === undefined || data.case === undefined) return invalidArgument('layout is required');
  if (data.case === 'inlineData') {
    if (data.value.byteLength > inlineThresholdBytes) return invalidArgument('inline data over the threshold');
    if (BigInt(data.value.byteLength) !== size) return invalidArgument('size differs from the inline bytes');
    return undefined;
  }
  const parts = data.value.parts;
  const part = parts[0];
  if (parts.length !== 1 || part === undefined || part.partNumber !== 1) {
    return invalidArgument('a simple object has exactly one part, numbered 1');
  }
  if (part.size !== size) return invalidArgument('size differs from the layout');
  return checkPartLayout(part, false);
}
