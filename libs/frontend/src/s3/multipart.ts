import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { commonV1, type namespaceV1 } from '@platter/proto';
import {
  completeMultipartUploadXml,
  initiateMultipartUploadXml,
  listMultipartUploadsXml,
  listPartsXml,
  MAX_COMPLETE_MULTIPART_XML_BYTES,
  MAX_PART_NUMBER,
  multipartEtag,
  normalizeEtag,
  S3Error,
} from '@platter/s3';
import type { S3Call, S3Response } from '../http/s3-call.js';
import { readXmlBody } from '../http/xml-body.js';
import { parseXmlBody } from '../http/xml-parse-pool.js';
import { assertObjectAclHeaders } from './acl-headers.js';
import { checkBucketAccess } from './bucket-access.js';
import { bucketOf, resourceOf } from './call-resource.js';
import { contentHeadersOf } from './content-headers.js';
import { checksumEchoHeaders, checksumRequestOf } from './additional-checksum.js';
import { ingestBody, type Ingested } from './ingest.js';
import {
  checksumsForXml,
  completedPartChecksums,
  expectedObjectChecksums,
  partChecksumRequest,
  uploadChecksumHeaders,
  uploadChecksumNames,
  uploadChecksumOf,
} from './multipart-checksum.js';
import { s3ErrorOfNamespace } from './namespace-errors.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { lookup, queueRepair, versionHeader, writeConditionOf } from './objects.js';
import { dateOf } from './timestamp.js';

// Multipart uploads. Each part is erasure-coded on its own as it arrives and
// registered with the namespace; Complete commits the chosen parts as one
// version, atomically and with the client's condition. S3's limits: part
// numbers 1–10,000, parts up to 5 GiB, every part but the last at least
// 5 MiB (checked by the namespace at Complete, which knows every part).

const MAX_PARTS_PER_LIST = 1000;
const MAX_UPLOADS_PER_LIST = 1000;

function uploadIdOf(call: S3Call): string {
  const id = call.address.query.get('uploadId');
  if (!id) throw new S3Error('InvalidArgument', 'uploadId is required.');
  return id;
}

export async function createMultipartUpload(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const { bucket, key } = resourceOf(call);
  await checkBucketAccess(deps, call, bucket);
  assertObjectAclHeaders(call);
  const checksum = uploadChecksumOf(call.req.headers);
  let upload;
  try {
    upload = (
      await deps.namespace.createMultipartUpload(
        {
          writeId: randomUUID(),
          bucket,
          key,
          headers: contentHeadersOf(call.req.headers),
          ownerAccountId: call.accountId,
          ...(checksum ? { checksumAlgorithm: checksum.algorithm, checksumType: checksum.type } : {}),
        },
        { signal: call.signal },
      )
    ).upload;
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket, key });
  }
  return {
    status: 200,
    headers: uploadChecksumHeaders(checksum),
    body: initiateMultipartUploadXml({ bucket, key, uploadId: upload?.uploadId ?? '' }),
  };
}

/** The part an UploadPart or UploadPartCopy writes, and the upload it joins. */
export interface PartTarget {
  bucket: string;
  key: string;
  uploadId: string;
  partNumber: number;
  upload: namespaceV1.MultipartUpload;
}

/**
 * Checks a part request before any byte is stored: the part number, the
 * bucket, and that the upload exists (its checksum choice decides what the
 * part must carry).
 */
export async function partTargetOf(deps: ObjectStoreDeps, call: S3Call): Promise<PartTarget> {
  const { bucket, key } = resourceOf(call);
  const uploadId = uploadIdOf(call);
  const partNumber = Number(call.address.query.get('partNumber'));
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER)
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive.`);
  await checkBucketAccess(deps, call, bucket);
  let upload;
  try {
    // Past the last part number: the upload's record and no parts.
    upload = (
      await deps.namespace.listParts(
        { bucket, key, uploadId, partNumberMarker: MAX_PART_NUMBER, maxParts: 1 },
        { signal: call.signal },
      )
    ).upload;
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket, key });
  }
  if (!upload) throw new S3Error('NoSuchUpload', undefined, { details: { UploadId: uploadId } });
  return { bucket, key, uploadId, partNumber, upload };
}

/** Registers a stored part with its upload (UploadPart and UploadPartCopy both end here); returns its ETag. */
export async function registerStoredPart(
  deps: ObjectStoreDeps,
  call: S3Call,
  t: PartTarget,
  ingested: Ingested,
): Promise<{ etag: string; registeredAt: Date }> {
  if (ingested.kind !== 'striped') throw new Error('a part must be striped');
  const etag = ingested.md5.toString('hex');
  let res;
  try {
    res = await deps.namespace.registerPart(
      {
        writeId: randomUUID(),
        bucket: t.bucket,
        key: t.key,
        uploadId: t.uploadId,
        part: { ...ingested.part, etag, checksums: ingested.checksums.map((c) => create(commonV1.ChecksumSchema, c)) },
      },
      { signal: call.signal },
    );
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket: t.bucket, key: t.key });
  }
  // The missing shards are named once the upload completes and the version exists.
  if (ingested.missing.length > 0)
    call.logger.warn(
      { uploadId: t.uploadId, partNumber: t.partNumber, missing: ingested.missing },
      'part stored at quorum; shards missing',
    );
  return { etag, registeredAt: res.registeredAt ? dateOf(res.registeredAt) : new Date() };
}

export async function uploadPart(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const target = await partTargetOf(deps, call);
  const checksum = partChecksumRequest(checksumRequestOf(call.req.headers), target.upload);
  const ingested = await ingestBody(deps, call, { partNumber: target.partNumber, allowInline: false }, checksum);
  const { etag } = await registerStoredPart(deps, call, target, ingested);
  return { status: 200, headers: { ETag: `"${etag}"`, ...checksumEchoHeaders(ingested.checksums) } };
}

export async function completeMultipartUpload(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const { bucket, key } = resourceOf(call);
  const uploadId = uploadIdOf(call);
  await checkBucketAccess(deps, call, bucket);
  const expectedChecksums = expectedObjectChecksums(call.req.headers);
  const body = await readXmlBody(call, MAX_COMPLETE_MULTIPART_XML_BYTES);
  const parts = await parseXmlBody(deps.xml, 'parseCompleteMultipartUpload', body);
  let res;
  try {
    res = await deps.namespace.completeMultipartUpload(
      {
        writeId: randomUUID(),
        bucket,
        key,
        uploadId,
        parts: parts.map((p) => ({
          partNumber: p.partNumber,
          etag: p.etag,
          checksums: completedPartChecksums(p.checksums),
        })),
        condition: writeConditionOf(call),
        expectedChecksums,
        minPartSizeBytes: BigInt(deps.minPartSizeBytes),
      },
      { signal: call.signal },
    );
  } catch (err) {
    const s3 = s3ErrorOfNamespace(err, { bucket, key });
    if (!(s3 instanceof S3Error && s3.code === 'NoSuchUpload')) throw s3;
    // A retried Complete whose first attempt succeeded: S3 answers it again.
    const done = await completedBefore(deps, call, bucket, key, parts);
    if (!done) throw s3;
    res = { version: done };
  }
  const v = res.version;
  if (v) await queueRepairOfParts(deps, call, bucket, key, v.versionId);
  return {
    status: 200,
    headers: versionHeader(v),
    body: completeMultipartUploadXml({
      location: `/${bucket}/${key}`,
      bucket,
      key,
      etag: `"${v?.etag ?? ''}"`,
      ...checksumsForXml(v?.checksums ?? [], v?.partsCount ?? 0),
    }),
  };
}

/**
 * The current version of the key when it is the completion of exactly these
 * parts (its ETag is the MD5 of their MD5s, "-N"): what a retried Complete
 * finds after its first attempt committed.
 */
async function completedBefore(
  deps: ObjectStoreDeps,
  call: S3Call,
  bucket: string,
  key: string,
  parts: readonly { etag: string }[],
): Promise<namespaceV1.ObjectVersion | undefined> {
  const wanted = normalizeEtag(multipartEtag(parts.map((p) => Buffer.from(p.etag, 'hex'))));
  try {
    const current = await lookup(deps, call, bucket, key, '');
    return current.etag === wanted ? current : undefined;
  } catch (err) {
    if (err instanceof S3Error && err.code === 'NoSuchKey') return undefined;
    throw err;
  }
}

export async function abortMultipartUpload(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const { bucket, key } = resourceOf(call);
  const uploadId = uploadIdOf(call);
  await checkBucketAccess(deps, call, bucket);
  try {
    await deps.namespace.abortMultipartUpload(
      { writeId: randomUUID(), bucket, key, uploadId },
      { signal: call.signal },
    );
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket, key });
  }
  return { status: 204 };
}

export async function listParts(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const { bucket, key } = resourceOf(call);
  const uploadId = uploadIdOf(call);
  await checkBucketAccess(deps, call, bucket);
  const q = call.address.query;
  const maxParts = Math.min(Number(q.get('max-parts') ?? MAX_PARTS_PER_LIST), MAX_PARTS_PER_LIST);
  const marker = Number(q.get('part-number-marker') ?? 0);
  if (!Number.isInteger(maxParts) || maxParts < 0 || !Number.isInteger(marker) || marker < 0)
    throw new S3Error('InvalidArgument', 'max-parts and part-number-marker must be non-negative integers.');
  let res;
  try {
    res = await deps.namespace.listParts(
      { bucket, key, uploadId, partNumberMarker: marker, maxParts },
      { signal: call.signal },
    );
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket, key });
  }
  const owner = { id: res.upload?.ownerAccountId ?? call.accountId };
  return {
    status: 200,
    body: listPartsXml({
      bucket,
      key,
      uploadId,
      partNumberMarker: marker,
      ...(res.isTruncated ? { nextPartNumberMarker: res.nextPartNumberMarker } : {}),
      maxParts,
      isTruncated: res.isTruncated,
      initiator: owner,
      owner,
      storageClass: res.upload?.storageClass || 'STANDARD',
      ...(res.upload ? uploadChecksumNames(res.upload) : {}),
      parts: res.parts.map((u) => ({
        partNumber: u.part?.partNumber ?? 0,
        lastModified: dateOf(u.registeredAt),
        etag: `"${u.part?.etag ?? ''}"`,
        size: Number(u.part?.size ?? 0n),
        checksums: checksumsForXml(u.part?.checksums ?? [], 0).checksums,
      })),
    }),
  };
}

export async function listMultipartUploads(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const bucket = bucketOf(call);
  await checkBucketAccess(deps, call, bucket);
  const q = call.address.query;
  const maxUploads = Math.min(Number(q.get('max-uploads') ?? MAX_UPLOADS_PER_LIST), MAX_UPLOADS_PER_LIST);
  if (!Number.isInteger(maxUploads) || maxUploads < 0)
    throw new S3Error('InvalidArgument', 'max-uploads must be a non-negative integer.');
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = q.get('upload-id-marker') ?? '';
  let res;
  try {
    res = await deps.namespace.listMultipartUploads(
      { bucket, prefix, delimiter, keyMarker, uploadIdMarker, maxUploads },
      { signal: call.signal },
    );
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket });
  }
  return {
    status: 200,
    body: listMultipartUploadsXml({
      bucket,
      keyMarker,
      uploadIdMarker,
      ...(res.isTruncated ? { nextKeyMarker: res.nextKeyMarker, nextUploadIdMarker: res.nextUploadIdMarker } : {}),
      prefix,
      ...(delimiter ? { delimiter } : {}),
      maxUploads,
      isTruncated: res.isTruncated,
      uploads: res.uploads.map((u) => ({
        key: u.key,
        uploadId: u.uploadId,
        initiated: dateOf(u.initiatedAt),
        initiator: { id: u.ownerAccountId },
        owner: { id: u.ownerAccountId },
        storageClass: u.storageClass || 'STANDARD',
        ...uploadChecksumNames(u),
      })),
      commonPrefixes: res.commonPrefixes,
    }),
  };
}

/**
 * Names the shards that parts of a completed upload lack (an UploadPart that
 * reached only the write quorum) in the repair stream. Complete answers the
 * version without its layout, so this reads it back: one more namespace call
 * per Complete, small beside the parts' uploads. On failure the auditor finds
 * the shards instead.
 */
async function queueRepairOfParts(
  deps: ObjectStoreDeps,
  call: S3Call,
  bucket: string,
  key: string,
  versionId: string,
): Promise<void> {
  let layout: namespaceV1.ObjectVersion['layout'];
  try {
    layout = (await deps.namespace.getObject({ bucket, key, versionId }, { signal: call.signal })).version?.layout;
  } catch (err) {
    call.logger.warn(
      { err, bucket, key, versionId },
      'could not read back a completed upload; the auditor will check it',
    );
    return;
  }
  const striped = layout?.data.case === 'striped' ? layout.data.value : undefined;
  for (const part of striped?.parts ?? []) {
    const n = (part.scheme?.dataShards ?? 0) + (part.scheme?.parityShards ?? 0);
    const present = new Set(part.shards.map((s) => s.shardIndex));
    const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !present.has(i));
    if (missing.length > 0)
      await queueRepair(deps, call, { bucket, key, versionId, partNumber: part.partNumber, shardIndexes: missing });
  }
}
