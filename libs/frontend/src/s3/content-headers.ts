import type { IncomingHttpHeaders } from 'node:http';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { namespaceV1 } from '@platter/proto';
import { USER_METADATA_PREFIX, userMetadataFrom } from '@platter/s3';
import { dateOf } from './timestamp.js';

// The standard content headers and x-amz-meta-* user metadata: stored with
// the version, returned on GET and HEAD (response-* query overrides win).

export function contentHeadersOf(h: IncomingHttpHeaders): MessageInitShape<typeof namespaceV1.ContentHeadersSchema> {
  return {
    contentType: h['content-type'] ?? 'binary/octet-stream',
    contentEncoding: storedContentEncoding(h['content-encoding']),
    contentDisposition: h['content-disposition'] ?? '',
    contentLanguage: h['content-language'] ?? '',
    cacheControl: h['cache-control'] ?? '',
    expires: h.expires ?? '',
    // x-amz-meta-*, at most 2 KB in all (MetadataTooLarge beyond).
    userMetadata: userMetadataFrom(h),
  };
}

/**
 * Content-Encoding as stored: `aws-chunked` describes how this request's
 * body was framed, not the object, so it is dropped from the list
 * (`gzip, aws-chunked` is stored as `gzip`), as S3 does.
 */
export function storedContentEncoding(value: string | undefined): string {
  if (value === undefined) return '';
  return value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '' && c.toLowerCase() !== 'aws-chunked')
    .join(', ');
}

const OVERRIDES: ReadonlyArray<[string, string]> = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
];

export function responseHeadersOf(v: namespaceV1.ObjectVersion, query: URLSearchParams): Record<string, string> {
  const c = v.headers;
  const out: Record<string, string> = {
    ETag: `"${v.etag}"`,
    'Last-Modified': lastModifiedOf(v).toUTCString(),
    'Content-Type': c?.contentType || 'binary/octet-stream',
  };
  if (c?.contentEncoding) out['Content-Encoding'] = c.contentEncoding;
  if (c?.contentDisposition) out['Content-Disposition'] = c.contentDisposition;
  if (c?.contentLanguage) out['Content-Language'] = c.contentLanguage;
  if (c?.cacheControl) out['Cache-Control'] = c.cacheControl;
  if (c?.expires) out.Expires = c.expires;
  for (const [k, val] of Object.entries(c?.userMetadata ?? {})) out[USER_METADATA_PREFIX + k] = val;
  for (const [param, header] of OVERRIDES) {
    const value = query.get(param);
    if (value !== null) out[header] = value;
  }
  if (v.versionId && v.versionId !== 'null') out['x-amz-version-id'] = v.versionId;
  return out;
}

/** When the version was written, to the millisecond. */
export function lastModifiedOf(v: namespaceV1.ObjectVersion): Date {
  return dateOf(v.createdAt);
}
