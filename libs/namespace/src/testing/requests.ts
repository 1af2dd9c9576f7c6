import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { createHash } from 'node:crypto';
import { op, type OpOf } from '../state/ops.js';

/** Request builders for tests and benchmarks: the fields that matter, defaults for the rest. */

let counter = 0;
/** A fresh write id (tests pass their own to exercise retries). */
export function freshWriteId(): string {
  return `w-${process.pid}-${++counter}`;
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

const CK = namespaceV1.ConditionKind;

export type ConditionSpec = { kind: 'none' } | { kind: 'ifNoneMatch' } | { kind: 'ifMatch'; etag: string };

export function condition(spec: ConditionSpec | undefined): namespaceV1.WriteCondition | undefined {
  if (spec === undefined || spec.kind === 'none') return undefined;
  if (spec.kind === 'ifNoneMatch') return create(namespaceV1.WriteConditionSchema, { kind: CK.IF_NONE_MATCH_ANY });
  return create(namespaceV1.WriteConditionSchema, { kind: CK.IF_MATCH, etag: spec.etag });
}

export function createBucketOp(name: string, owner = 'acct-1', writeId = freshWriteId()): OpOf<'createBucket'> {
  return op('createBucket', create(namespaceV1.CreateBucketRequestSchema, { writeId, name, ownerAccountId: owner }));
}

/** A copy of the home's record, as the router sends it to the other partitions. */
export function copyBucketOp(
  name: string,
  incarnation: bigint,
  owner = 'acct-1',
  writeId = freshWriteId(),
): OpOf<'createBucket'> {
  return op(
    'createBucket',
    create(namespaceV1.CreateBucketRequestSchema, { writeId, name, ownerAccountId: owner, incarnation }),
  );
}

export function deleteBucketOp(name: string, writeId = freshWriteId()): OpOf<'deleteBucket'> {
  return op('deleteBucket', create(namespaceV1.DeleteBucketRequestSchema, { writeId, name }));
}

/** One step of the cross-partition DeleteBucket protocol at one partition. */
export function deleteBucketStepOp(
  name: string,
  step: namespaceV1.DeleteBucketStep,
  deletionId: string,
  writeId = freshWriteId(),
  bucket?: namespaceV1.Bucket,
): OpOf<'deleteBucket'> {
  return op('deleteBucket', create(namespaceV1.DeleteBucketRequestSchema, { writeId, name, step, deletionId, bucket }));
}

export function setVersioningOp(
  name: string,
  versioning: namespaceV1.VersioningState,
  writeId = freshWriteId(),
): OpOf<'setBucketVersioning'> {
  return op('setBucketVersioning', create(namespaceV1.SetBucketVersioningRequestSchema, { writeId, name, versioning }));
}

/** A small striped layout: one part numbered 1 over `width` shards. */
export function stripedLayout(
  size: bigint,
  shards: Array<{ diskId: string; shardId: string; shardIndex: number }>,
  width = 3,
): commonV1.ObjectLayout {
  return create(commonV1.ObjectLayoutSchema, {
    data: {
      case: 'striped',
      value: create(commonV1.StripedLayoutSchema, { parts: [partLayout(1, size, shards, width)] }),
    },
  });
}

export function partLayout(
  partNumber: number,
  size: bigint,
  shards: Array<{ diskId: string; shardId: string; shardIndex: number }>,
  width = 3,
  etag = '',
  checksums: commonV1.Checksum[] = [],
): commonV1.PartLayout {
  return create(commonV1.PartLayoutSchema, {
    partNumber,
    size,
    scheme: create(commonV1.ErasureSchemeSchema, {
      dataShards: width - 1,
      parityShards: 1,
      blockSize: 1024,
      codec: 'rs-cauchy-gf256',
    }),
    stripeCount: 1n,
    shardLength: 1024n,
    shards: shards.map((s) => create(commonV1.ShardLocationSchema, s)),
    etag,
    checksums,
  });
}

export function inlineLayout(data: Uint8Array): commonV1.ObjectLayout {
  return create(commonV1.ObjectLayoutSchema, { data: { case: 'inlineData', value: data } });
}

export interface PutSpec {
  bucket: string;
  key: string;
  /** Inline body; its MD5 is the ETag unless `etag` is given. */
  body?: string;
  etag?: string;
  layout?: commonV1.ObjectLayout;
  size?: bigint;
  condition?: ConditionSpec;
  writeId?: string;
}

export function putObjectOp(spec: PutSpec): OpOf<'putObject'> {
  const body = Buffer.from(spec.body ?? '', 'utf8');
  const layout = spec.layout ?? inlineLayout(body);
  const size = spec.size ?? BigInt(body.length);
  return op(
    'putObject',
    create(namespaceV1.PutObjectRequestSchema, {
      writeId: spec.writeId ?? freshWriteId(),
      bucket: spec.bucket,
      key: spec.key,
      condition: condition(spec.condition),
      size,
      etag: spec.etag ?? md5Hex(spec.body ?? ''),
      layout,
      ownerAccountId: 'acct-1',
    }),
  );
}

export function deleteObjectOp(spec: {
  bucket: string;
  key: string;
  versionId?: string;
  ifMatch?: string;
  writeId?: string;
}): OpOf<'deleteObject'> {
  return op(
    'deleteObject',
    create(namespaceV1.DeleteObjectRequestSchema, {
      writeId: spec.writeId ?? freshWriteId(),
      bucket: spec.bucket,
      key: spec.key,
      versionId: spec.versionId ?? '',
      condition: spec.ifMatch === undefined ? undefined : condition({ kind: 'ifMatch', etag: spec.ifMatch }),
    }),
  );
}

export function getObjectRequest(bucket: string, key: string, versionId = ''): namespaceV1.GetObjectRequest {
  return create(namespaceV1.GetObjectRequestSchema, { bucket, key, versionId });
}

export function listObjectsRequest(
  bucket: string,
  options: { prefix?: string; delimiter?: string; maxKeys?: number; token?: string; startAfter?: string } = {},
): namespaceV1.ListObjectsRequest {
  return create(namespaceV1.ListObjectsRequestSchema, {
    bucket,
    prefix: options.prefix ?? '',
    delimiter: options.delimiter ?? '',
    maxKeys: options.maxKeys ?? 0,
    continuationToken: options.token ?? '',
    startAfter: options.startAfter ?? '',
  });
}

export function createUploadOp(bucket: string, key: string, writeId = freshWriteId()): OpOf<'createMultipartUpload'> {
  return op(
    'createMultipartUpload',
    create(namespaceV1.CreateMultipartUploadRequestSchema, { writeId, bucket, key, ownerAccountId: 'acct-1' }),
  );
}

export function registerPartOp(
  bucket: string,
  key: string,
  uploadId: string,
  part: commonV1.PartLayout,
  writeId = freshWriteId(),
): OpOf<'registerPart'> {
  return op('registerPart', create(namespaceV1.RegisterPartRequestSchema, { writeId, bucket, key, uploadId, part }));
}

export function completeUploadOp(
  bucket: string,
  key: string,
  uploadId: string,
  parts: Array<{ partNumber: number; etag: string }>,
  options: { condition?: ConditionSpec; writeId?: string } = {},
): OpOf<'completeMultipartUpload'> {
  return op(
    'completeMultipartUpload',
    create(namespaceV1.CompleteMultipartUploadRequestSchema, {
      writeId: options.writeId ?? freshWriteId(),
      bucket,
      key,
      uploadId,
      parts: parts.map((p) => create(namespaceV1.CompletedPartSchema, p)),
      condition: condition(options.condition),
    }),
  );
}

export function abortUploadOp(
  bucket: string,
  key: string,
  uploadId: string,
  writeId = freshWriteId(),
): OpOf<'abortMultipartUpload'> {
  return op(
    'abortMultipartUpload',
    create(namespaceV1.AbortMultipartUploadRequestSchema, { writeId, bucket, key, uploadId }),
  );
}

export function updateShardOp(spec: {
  bucket: string;
  key: string;
  owner: { case: 'versionId'; value: string } | { case: 'uploadId'; value: string };
  partNumber: number;
  shardIndex: number;
  expected?: { diskId: string; shardId: string };
  replacement: { diskId: string; shardId: string };
  writeId?: string;
}): OpOf<'updateShardLocation'> {
  const ref = create(commonV1.PartRefSchema, {
    bucket: spec.bucket,
    key: spec.key,
    owner: spec.owner,
    partNumber: spec.partNumber,
  });
  return op(
    'updateShardLocation',
    create(namespaceV1.UpdateShardLocationRequestSchema, {
      writeId: spec.writeId ?? freshWriteId(),
      shard: create(commonV1.ShardRefSchema, { part: ref, shardIndex: spec.shardIndex }),
      expected:
        spec.expected === undefined
          ? undefined
          : create(commonV1.ShardLocationSchema, { ...spec.expected, shardIndex: spec.shardIndex }),
      replacement: create(commonV1.ShardLocationSchema, { ...spec.replacement, shardIndex: spec.shardIndex }),
    }),
  );
}

/** A deterministic 32-hex shard id. */
export function shardIdOf(n: number): string {
  return createHash('md5').update(`shard-${n}`).digest('hex');
}
