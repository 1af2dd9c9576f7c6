import { create } from '@bufbuild/protobuf';
import { commonV1 } from '@platter/proto';
import { copyPartResultXml, MAX_COPY_SOURCE_BYTES, parseCopySourceRange, S3Error } from '@platter/s3';
import type { S3Call, S3Response } from '../http/s3-call.js';
import { checkBucketAccess } from './bucket-access.js';
import { assertCopySourceConditions, copySourceVersionHeader, parseCopySource } from './copy-object.js';
import { ingest } from './ingest.js';
import { checksumsForXml, partChecksumRequest } from './multipart-checksum.js';
import { partTargetOf, registerStoredPart } from './multipart.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { lookup, objectBytes } from './objects.js';

// UploadPartCopy: a byte range of an existing object becomes a part of an
// upload. The range streams from the source's shards (the part reader, a
// couple of stripes at a time) into a new stripe set (the part writer), as
// CopyObject does; the part is then registered exactly like an uploaded one.

export async function uploadPartCopy(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const target = await partTargetOf(deps, call);
  const source = parseCopySource(String(call.req.headers['x-amz-copy-source']));
  await checkBucketAccess(deps, call, source.bucket, 'x-amz-source-expected-bucket-owner');
  const src = await lookup(deps, call, source.bucket, source.key, source.versionId);
  assertCopySourceConditions(call.req.headers, src);
  const size = Number(src.size);
  const rangeHeader = call.req.headers['x-amz-copy-source-range'];
  const range = parseCopySourceRange(typeof rangeHeader === 'string' ? rangeHeader : undefined, size);
  const from = range?.start ?? 0;
  const to = range ? range.end + 1 : size;
  if (to - from > MAX_COPY_SOURCE_BYTES)
    throw new S3Error(
      'InvalidRequest',
      `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE_BYTES}`,
    );
  // The client sends no body to checksum: the upload's algorithm, if any, is computed here.
  const checksum = partChecksumRequest(undefined, target.upload);
  const ingested = await ingest(
    deps,
    call.signal,
    { size: to - from, chunks: objectBytes(deps, src, from, to, call.signal), ...(checksum ? { checksum } : {}) },
    { partNumber: target.partNumber, allowInline: false },
  );
  const { etag, registeredAt } = await registerStoredPart(deps, call, target, ingested);
  const { checksums } = checksumsForXml(
    ingested.checksums.map((c) => create(commonV1.ChecksumSchema, c)),
    0,
  );
  return {
    status: 200,
    headers: copySourceVersionHeader(src),
    body: copyPartResultXml({ etag: `"${etag}"`, lastModified: registeredAt, checksums }),
  };
}
