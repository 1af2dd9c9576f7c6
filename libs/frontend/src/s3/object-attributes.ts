import { objectAttributesXml, S3Error, type ObjectAttributesInput } from '@platter/s3';
import type { S3Call, S3Response } from '../http/s3-call.js';
import { checkBucketAccess } from './bucket-access.js';
import { resourceOf } from './call-resource.js';
import { lastModifiedOf } from './content-headers.js';
import { checksumsForXml } from './multipart-checksum.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { lookup } from './objects.js';

// GetObjectAttributes: what HEAD says and more, without the bytes: ETag,
// checksum, the parts of a multipart object (paged), storage class, size.

const ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
type Attribute = (typeof ATTRIBUTES)[number];
/** S3's page size and ceiling for the parts of one answer. */
const MAX_PARTS = 1000;

function requestedAttributes(call: S3Call): Set<Attribute> {
  const header = call.req.headers['x-amz-object-attributes'];
  const names = String(header ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (names.length === 0)
    throw new S3Error('InvalidArgument', 'x-amz-object-attributes must name at least one attribute.');
  for (const n of names)
    if (!(ATTRIBUTES as readonly string[]).includes(n))
      throw new S3Error('InvalidArgument', `Invalid attribute name specified: ${n}.`);
  return new Set(names as Attribute[]);
}

function nonNegativeHeader(call: S3Call, name: string, fallback: number): number {
  const raw = call.req.headers[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw))
    throw new S3Error('InvalidArgument', `${name} must be a non-negative integer.`);
  return n;
}

export async function getObjectAttributes(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const { bucket, key } = resourceOf(call);
  const wanted = requestedAttributes(call);
  const maxParts = Math.min(nonNegativeHeader(call, 'x-amz-max-parts', MAX_PARTS), MAX_PARTS);
  const marker = nonNegativeHeader(call, 'x-amz-part-number-marker', 0);
  await checkBucketAccess(deps, call, bucket);
  const v = await lookup(deps, call, bucket, key);
  const out: ObjectAttributesInput = {};
  if (wanted.has('ETag')) out.etag = v.etag;
  if (wanted.has('Checksum')) out.checksum = checksumsForXml(v.checksums, v.partsCount);
  const data = v.layout?.data;
  if (wanted.has('ObjectParts') && v.partsCount > 0 && data?.case === 'striped') {
    const after = data.value.parts.filter((p) => p.partNumber > marker);
    const page = after.slice(0, maxParts);
    const last = page.at(-1);
    out.objectParts = {
      partsCount: v.partsCount,
      partNumberMarker: marker,
      ...(last ? { nextPartNumberMarker: last.partNumber } : {}),
      maxParts,
      isTruncated: after.length > page.length,
      parts: page.map((p) => ({
        partNumber: p.partNumber,
        size: Number(p.size),
        checksums: checksumsForXml(p.checksums, 0).checksums,
      })),
    };
  }
  if (wanted.has('StorageClass')) out.storageClass = v.storageClass || 'STANDARD';
  if (wanted.has('ObjectSize')) out.objectSize = Number(v.size);
  const headers: Record<string, string> = { 'Last-Modified': lastModifiedOf(v).toUTCString() };
  if (v.versionId && v.versionId !== 'null') headers['x-amz-version-id'] = v.versionId;
  return { status: 200, headers, body: objectAttributesXml(out) };
}
