import { listObjectsV1Xml, listObjectsV2Xml, S3Error } from '@platter/s3';
import { compareBytes, utf8 } from '@platter/namespace-client';
import type { S3Call, S3Response } from '../http/s3-call.js';
import { bucketOf } from './call-resource.js';
import { checkBucketAccess } from './bucket-access.js';
import { s3ErrorOfNamespace } from './namespace-errors.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { dateOf } from './timestamp.js';

// ListObjects (v1) and ListObjectsV2 over the namespace's merged, sorted
// listing: pages resume exactly where the last one stopped, across
// partitions (libs/namespace-client merges them).

const MAX_KEYS = 1000;

export async function listObjects(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const bucket = bucketOf(call);
  await checkBucketAccess(deps, call, bucket);
  const q = call.address.query;
  const v2 = q.get('list-type') === '2';
  const encodingType = q.get('encoding-type');
  if (encodingType !== null && encodingType !== 'url')
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request');
  const maxKeysParam = q.get('max-keys');
  const maxKeys = maxKeysParam === null ? MAX_KEYS : Number(maxKeysParam);
  if (!Number.isInteger(maxKeys) || maxKeys < 0)
    throw new S3Error('InvalidArgument', 'max-keys must be a non-negative integer.');
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const startAfter = v2 ? (q.get('start-after') ?? '') : (q.get('marker') ?? '');
  const continuationToken = v2 ? (q.get('continuation-token') ?? '') : '';
  let res;
  try {
    // max-keys=0 asks for nothing (the namespace would read 0 as "its default").
    res =
      maxKeys === 0
        ? { objects: [], commonPrefixes: [], isTruncated: false, nextContinuationToken: '' }
        : await deps.namespace.listObjects(
            { bucket, prefix, delimiter, startAfter, continuationToken, maxKeys: Math.min(maxKeys, MAX_KEYS) },
            { signal: call.signal },
          );
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket });
  }
  const fetchOwner = !v2 || q.get('fetch-owner') === 'true';
  const common = {
    bucket,
    prefix,
    ...(delimiter ? { delimiter } : {}),
    maxKeys,
    isTruncated: res.isTruncated,
    ...(encodingType === 'url' ? { encodingType: 'url' as const } : {}),
    contents: res.objects.map((o) => ({
      key: o.key,
      lastModified: dateOf(o.createdAt),
      etag: `"${o.etag}"`,
      size: Number(o.size),
      storageClass: o.storageClass || 'STANDARD',
      ...(fetchOwner ? { owner: { id: o.ownerAccountId, displayName: o.ownerAccountId } } : {}),
    })),
    commonPrefixes: res.commonPrefixes,
  };
  if (v2) {
    return {
      status: 200,
      body: listObjectsV2Xml({
        ...common,
        // Echoed when sent, even empty (S3 does).
        ...(q.has('continuation-token') ? { continuationToken } : {}),
        ...(res.isTruncated ? { nextContinuationToken: res.nextContinuationToken } : {}),
        ...(startAfter ? { startAfter } : {}),
      }),
    };
  }
  // v1 resumes by key: the last key or common prefix returned (sent only with a delimiter, as S3 does),
  // last in S3's order, which is UTF-8 byte order (JS string order is UTF-16's and differs past U+FFFF).
  const last = [...res.objects.map((o) => o.key), ...res.commonPrefixes]
    .sort((a, b) => compareBytes(utf8(a), utf8(b)))
    .at(-1);
  return {
    status: 200,
    body: listObjectsV1Xml({
      ...common,
      marker: startAfter,
      ...(res.isTruncated && delimiter && last !== undefined ? { nextMarker: last } : {}),
    }),
  };
}
