import { createHash, randomUUID } from 'node:crypto';
import { type commonV1, namespaceV1 } from '@platter/proto';
import {
  assertReadConditions,
  conditionalHeadersFrom,
  contentRange,
  etagListMatches,
  MAX_PART_NUMBER,
  parseRange,
  parseWriteConditions,
  S3Error,
  type ByteRange,
} from '@platter/s3';
import { readPart } from '../data/part-reader.js';
import type { S3Call, S3Response } from '../http/s3-call.js';
import { assertObjectAclHeaders } from './acl-headers.js';
import { checkBucketAccess } from './bucket-access.js';
import { resourceOf } from './call-resource.js';
import { checksumEchoHeaders, checksumResponseHeaders, partChecksumResponseHeaders } from './additional-checksum.js';
import { contentHeadersOf, lastModifiedOf, responseHeadersOf } from './content-headers.js';
import { ingestBody, layoutOf, type Ingested } from './ingest.js';
import type { NamespaceRequest } from './namespace-api.js';
import { s3ErrorOfDataPath } from './data-errors.js';
import { s3ErrorOfNamespace } from './namespace-errors.js';
import type { ObjectStoreDeps } from './object-store-deps.js';

// PutObject, GetObject, HeadObject and DeleteObject: the write path ends in
// the namespace commit (the linearization point, with the client's
// condition); the read path starts with a strongly consistent lookup.

const C = namespaceV1.ConditionKind;

export async function putObject(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const { bucket, key } = resourceOf(call);
  await checkBucketAccess(deps, call, bucket);
  assertObjectAclHeaders(call);
  const condition = writeConditionOf(call);
  await checkWriteNoneMatchList(deps, call, bucket, key);
  const headers = contentHeadersOf(call.req.headers);
  const ingested = await ingestBody(deps, call, { partNumber: 1, allowInline: true });
  const version = await commitVersion(deps, call, { bucket, key, ingested, headers, condition });
  return {
    status: 200,
    headers: {
      ETag: `"${ingested.md5.toString('hex')}"`,
      ...versionHeader(version),
      ...checksumEchoHeaders(ingested.checksums),
    },
  };
}

/**
 * Commits stored bytes as the key's new version (the linearization point,
 * with the client's condition), then names the shards the write missed.
 */
export async function commitVersion(
  deps: ObjectStoreDeps,
  call: S3Call,
  v: {
    bucket: string;
    key: string;
    ingested: Ingested;
    headers: NamespaceRequest<'putObject'>['headers'];
    condition: NamespaceRequest<'putObject'>['condition'];
  },
): Promise<namespaceV1.ObjectVersion | undefined> {
  const { bucket, key, ingested } = v;
  let version: namespaceV1.ObjectVersion | undefined;
  try {
    const res = await deps.namespace.putObject(
      {
        writeId: randomUUID(),
        bucket,
        key,
        condition: v.condition,
        size: BigInt(ingested.size),
        etag: ingested.md5.toString('hex'),
        checksums: ingested.checksums,
        headers: v.headers,
        ownerAccountId: call.accountId,
        layout: layoutOf(ingested),
      },
      { signal: call.signal },
    );
    version = res.version;
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket, key });
  }
  if (ingested.kind === 'striped' && ingested.missing.length > 0 && version)
    await queueRepair(deps, call, {
      bucket,
      key,
      versionId: version.versionId,
      partNumber: 1,
      shardIndexes: ingested.missing,
    });
  return version;
}

/** Names the shards a write could not store; never fails the request (the auditor is the backstop). */
export async function queueRepair(
  deps: ObjectStoreDeps,
  call: S3Call,
  task: Parameters<ObjectStoreDeps['repair']['missingShards']>[0],
): Promise<void> {
  await deps.repair
    .missingShards(task)
    .catch((err: unknown) =>
      call.logger.warn({ err, task }, 'could not queue missing shards; the auditor will find them'),
    );
}

export async function getObject(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const { bucket, key } = resourceOf(call);
  await checkBucketAccess(deps, call, bucket);
  const v = await lookup(deps, call, bucket, key);
  assertReadConditions(conditionalHeadersFrom(call.req.headers), { etag: v.etag, lastModified: lastModifiedOf(v) });
  const size = Number(v.size);
  const part = partOf(call, v);
  const range = part ? part.range : parseRange(call.req.headers.range, size);
  const from = range?.start ?? 0;
  const to = range ? range.end + 1 : size;
  const headers: Record<string, string | number> = {
    ...responseHeadersOf(v, call.address.query),
    'Content-Length': to - from,
    'Accept-Ranges': 'bytes',
    ...(part?.layout
      ? partChecksumResponseHeaders(call.req.headers, part.layout, v.checksums)
      : checksumResponseHeaders(call.req.headers, v.checksums, !range, v.partsCount)),
  };
  if (v.partsCount > 0) headers['x-amz-mp-parts-count'] = v.partsCount;
  if (range) headers['Content-Range'] = contentRange(range, size);
  if (call.method === 'HEAD') return { status: range ? 206 : 200, headers };
  const data = v.layout?.data;
  // Inline bytes are at hand: one write, no stream (a stream pipeline per
  // GET was ~5% of the frontend's CPU on 4 KiB objects).
  if (data?.case === 'inlineData')
    return { status: range ? 206 : 200, headers, body: verifiedInline(v, data.value).subarray(from, to) };
  // The first stripe is read before the status goes out, so that an object
  // that cannot be read now answers 503 instead of a cut 200.
  const bytes = objectBytes(deps, v, from, to, call.signal);
  let first: IteratorResult<Uint8Array>;
  try {
    first = await bytes.next();
  } catch (err) {
    throw s3ErrorOfDataPath(err);
  }
  return { status: range ? 206 : 200, headers, body: prepend(first, bytes) };
}

/**
 * GET/HEAD ?partNumber=n: part n of a multipart object (its byte range and
 * layout), or a whole single-part object for n = 1. Undefined when the
 * request names no part. A part the object does not have is 400 InvalidPart,
 * for multipart and single-part objects alike (what ceph/s3-tests asserts for
 * AWS); only an empty last part, which has no byte range, is 416.
 */
export function partOf(
  call: S3Call,
  v: namespaceV1.ObjectVersion,
): { range: ByteRange | undefined; layout?: commonV1.PartLayout } | undefined {
  const param = call.address.query.get('partNumber');
  if (param === null) return undefined;
  const n = Number(param);
  if (!/^\d{1,5}$/.test(param) || n < 1 || n > MAX_PART_NUMBER)
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive.`);
  const data = v.layout?.data;
  if (v.partsCount === 0 || data?.case !== 'striped') {
    if (n !== 1) throw new S3Error('InvalidPart');
    return { range: undefined };
  }
  let start = 0;
  for (const layout of data.value.parts) {
    const length = Number(layout.size);
    if (layout.partNumber === n) {
      // An empty last part has no byte range to name.
      if (length === 0) throw new S3Error('InvalidPartNumber');
      return { range: { start, end: start + length - 1 }, layout };
    }
    start += length;
  }
  throw new S3Error('InvalidPart', `The object has no part ${n}.`);
}

export async function deleteObject(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const { bucket, key } = resourceOf(call);
  await checkBucketAccess(deps, call, bucket);
  const versionId = call.address.query.get('versionId') ?? '';
  try {
    const res = await deps.namespace.deleteObject(
      { writeId: randomUUID(), bucket, key, versionId, condition: writeConditionOf(call) },
      { signal: call.signal },
    );
    const headers: Record<string, string> = {};
    // A delete marker is named even when its version id is `null` (versioning suspended).
    if (res.deleteMarker) headers['x-amz-delete-marker'] = 'true';
    if (res.versionId && (res.deleteMarker || res.versionId !== 'null')) headers['x-amz-version-id'] = res.versionId;
    return { status: 204, headers };
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket, key });
  }
}

export async function lookup(
  deps: ObjectStoreDeps,
  call: S3Call,
  bucket: string,
  key: string,
  versionId = call.address.query.get('versionId') ?? '',
): Promise<namespaceV1.ObjectVersion> {
  let v: namespaceV1.ObjectVersion | undefined;
  try {
    v = (await deps.namespace.getObject({ bucket, key, versionId }, { signal: call.signal })).version;
  } catch (err) {
    const s3 = s3ErrorOfNamespace(err, { bucket, key });
    if (s3 instanceof S3Error && s3.code === 'NoSuchKey') throw noSuchKey(key);
    throw s3;
  }
  if (!v) throw noSuchKey(key);
  if (v.deleteMarker) {
    // S3 says why the key is absent: its current (or named) version is a delete marker.
    const headers = { 'x-amz-delete-marker': 'true', 'x-amz-version-id': v.versionId || 'null' };
    throw new S3Error(versionId ? 'MethodNotAllowed' : 'NoSuchKey', undefined, { details: { Key: key }, headers });
  }
  return v;
}

/**
 * A key with no version at all. `x-amz-delete-marker: false` is RGW's answer
 * (AWS omits the header): clients such as ceph/s3-tests tell "never
 * written" from "deleted under versioning" by it.
 */
function noSuchKey(key: string): S3Error {
  return new S3Error('NoSuchKey', undefined, { details: { Key: key }, headers: { 'x-amz-delete-marker': 'false' } });
}

/**
 * An inline object's bytes, checked against its ETag (their MD5) before any
 * leaves: the namespace's LMDB keeps no checksum of its own, and a wrong byte
 * must never be served. A multipart-style ETag ("…-N") carries no MD5 of the
 * bytes and is not checked.
 */
export function verifiedInline(v: namespaceV1.ObjectVersion, bytes: Uint8Array): Uint8Array {
  const etag = v.etag.replace(/"/g, '');
  if (/^[0-9a-f]{32}$/.test(etag) && createHash('md5').update(bytes).digest('hex') !== etag) {
    throw new S3Error('InternalError', undefined, {
      cause: new Error(`inline bytes of ${v.key} version ${v.versionId} do not match ETag ${etag}`),
    });
  }
  return bytes;
}

/** The bytes [from, to) of a version, part by part, stripe by stripe. */
export async function* objectBytes(
  deps: ObjectStoreDeps,
  v: namespaceV1.ObjectVersion,
  from: number,
  to: number,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const data = v.layout?.data;
  if (!data || data.case === undefined) {
    if (to > from) throw new Error(`version ${v.versionId} of ${v.key} has no layout`);
    return;
  }
  if (data.case === 'inlineData') {
    yield verifiedInline(v, data.value).subarray(from, to);
    return;
  }
  let partStart = 0;
  for (const part of data.value.parts) {
    const partEnd = partStart + Number(part.size);
    if (partEnd > from && partStart < to) {
      yield* readPart(
        {
          storage: deps.storage,
          latency: deps.latency,
          steering: deps.steering,
          codec: (s) => deps.codecFor(s.codec, s.dataShards, s.parityShards),
        },
        part,
        Math.max(from, partStart) - partStart,
        Math.min(to, partEnd) - partStart,
        signal,
        deps.readStats,
      );
    }
    partStart = partEnd;
    if (partStart >= to) break;
  }
}

async function* prepend(
  first: IteratorResult<Uint8Array>,
  rest: AsyncGenerator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (first.done) return;
  yield first.value;
  yield* rest;
}

export function writeConditionOf(call: S3Call): { kind: namespaceV1.ConditionKind; etag?: string } | undefined {
  const w = parseWriteConditions(call.req.headers);
  if (w.ifNoneMatchAny && w.ifMatch !== undefined)
    throw new S3Error('NotImplemented', 'If-Match and If-None-Match together are not supported.');
  if (w.ifNoneMatchAny) return { kind: C.IF_NONE_MATCH_ANY };
  if (w.ifMatch !== undefined) return { kind: C.IF_MATCH, etag: w.ifMatch };
  return undefined;
}

/**
 * RGW's `If-None-Match: <etag list>` on a write (S3 knows only `*`): refused
 * with 412 when the current version's ETag is listed. Checked before the
 * body is stored, so unlike `*` and If-Match it is not atomic with the commit.
 */
async function checkWriteNoneMatchList(
  deps: ObjectStoreDeps,
  call: S3Call,
  bucket: string,
  key: string,
): Promise<void> {
  const list = parseWriteConditions(call.req.headers).ifNoneMatchEtags;
  if (list === undefined) return;
  let current: namespaceV1.ObjectVersion;
  try {
    current = await lookup(deps, call, bucket, key, '');
  } catch (err) {
    if (err instanceof S3Error && err.code === 'NoSuchKey') return;
    throw err;
  }
  if (etagListMatches(list, current.etag))
    throw new S3Error('PreconditionFailed', undefined, { details: { Condition: 'If-None-Match' } });
}

export function versionHeader(v: namespaceV1.ObjectVersion | undefined): Record<string, string> {
  return v && v.versionId && v.versionId !== 'null' ? { 'x-amz-version-id': v.versionId } : {};
}
