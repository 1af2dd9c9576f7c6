import type { IncomingHttpHeaders } from 'node:http';
import type { namespaceV1 } from '@platter/proto';
import { assertReadConditions, copyObjectResultXml, S3Error, type ConditionalHeaders } from '@platter/s3';
import type { S3Call, S3Response } from '../http/s3-call.js';
import { assertObjectAclHeaders } from './acl-headers.js';
import { checkBucketAccess } from './bucket-access.js';
import { resourceOf } from './call-resource.js';
import { contentHeadersOf, lastModifiedOf } from './content-headers.js';
import { ingest } from './ingest.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { commitVersion, lookup, objectBytes, versionHeader, writeConditionOf } from './objects.js';

// CopyObject: the source's bytes stream through this frontend into a new
// stripe set (a copy never shares shards with its source, so deleting one
// never touches the other). Metadata is copied or replaced as the directive
// says; the copy-source conditions are checked against the source.

export interface CopySource {
  bucket: string;
  key: string;
  versionId: string;
}

/** `x-amz-copy-source`: `[/]bucket/key[?versionId=v]`, URL-encoded. */
export function parseCopySource(header: string): CopySource {
  const q = header.indexOf('?');
  const path = q < 0 ? header : header.slice(0, q);
  const versionId = q < 0 ? '' : (new URLSearchParams(header.slice(q + 1)).get('versionId') ?? '');
  let decoded: string;
  try {
    decoded = decodeURIComponent(path.startsWith('/') ? path.slice(1) : path);
  } catch {
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1)
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), versionId };
}

/** The x-amz-copy-source-if-* headers, as the plain conditional headers they mirror. */
function copySourceConditions(h: IncomingHttpHeaders): ConditionalHeaders {
  const get = (name: string): string | undefined => {
    const v = h[`x-amz-copy-source-${name}`];
    return typeof v === 'string' ? v : undefined;
  };
  const c: ConditionalHeaders = {};
  const ifMatch = get('if-match');
  const ifNoneMatch = get('if-none-match');
  const ifModifiedSince = get('if-modified-since');
  const ifUnmodifiedSince = get('if-unmodified-since');
  if (ifMatch !== undefined) c.ifMatch = ifMatch;
  if (ifNoneMatch !== undefined) c.ifNoneMatch = ifNoneMatch;
  if (ifModifiedSince !== undefined) c.ifModifiedSince = ifModifiedSince;
  if (ifUnmodifiedSince !== undefined) c.ifUnmodifiedSince = ifUnmodifiedSince;
  return c;
}

/** Checks the x-amz-copy-source-if-* headers against the source version (CopyObject and UploadPartCopy). */
export function assertCopySourceConditions(h: IncomingHttpHeaders, src: namespaceV1.ObjectVersion): void {
  try {
    assertReadConditions(copySourceConditions(h), { etag: src.etag, lastModified: lastModifiedOf(src) });
  } catch (err) {
    // A copy answers 412 for every failed source condition, also for the ones GET answers 304.
    if (err instanceof S3Error)
      throw new S3Error('PreconditionFailed', undefined, { details: { Condition: 'x-amz-copy-source-If-*' } });
    throw err;
  }
}

/** The x-amz-copy-source-version-id answer header, for a versioned source. */
export function copySourceVersionHeader(src: namespaceV1.ObjectVersion): Record<string, string> {
  return src.versionId && src.versionId !== 'null' ? { 'x-amz-copy-source-version-id': src.versionId } : {};
}

export async function copyObject(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const { bucket, key } = resourceOf(call);
  const source = parseCopySource(String(call.req.headers['x-amz-copy-source']));
  await checkBucketAccess(deps, call, bucket);
  assertObjectAclHeaders(call);
  await checkBucketAccess(deps, call, source.bucket, 'x-amz-source-expected-bucket-owner');
  const src = await lookup(deps, call, source.bucket, source.key, source.versionId);
  assertCopySourceConditions(call.req.headers, src);
  const directive = String(call.req.headers['x-amz-metadata-directive'] ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE')
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.');
  if (directive === 'COPY' && source.bucket === bucket && source.key === key && !source.versionId)
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  const size = Number(src.size);
  const ingested = await ingest(
    deps,
    call.signal,
    { size, chunks: objectBytes(deps, src, 0, size, call.signal) },
    { partNumber: 1, allowInline: true },
  );
  const etag = ingested.md5.toString('hex');
  const version = await commitVersion(deps, call, {
    bucket,
    key,
    ingested,
    headers: directive === 'COPY' ? src.headers : contentHeadersOf(call.req.headers),
    condition: writeConditionOf(call),
  });
  const headers: Record<string, string> = { ...versionHeader(version), ...copySourceVersionHeader(src) };
  return {
    status: 200,
    headers,
    body: copyObjectResultXml({ etag: `"${etag}"`, lastModified: version ? lastModifiedOf(version) : new Date() }),
  };
}
