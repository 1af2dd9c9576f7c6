import { randomUUID } from 'node:crypto';
import { namespaceV1 } from '@platter/proto';
import {
  listVersionsXml,
  MAX_SMALL_CONFIG_XML_BYTES,
  parseVersioningConfiguration,
  S3Error,
  versioningConfigurationXml,
} from '@platter/s3';
import type { S3Call, S3Response } from '../http/s3-call.js';
import { readXmlBody } from '../http/xml-body.js';
import { bucketOf } from './call-resource.js';
import { checkBucketAccess } from './bucket-access.js';
import { s3ErrorOfNamespace } from './namespace-errors.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { dateOf } from './timestamp.js';

// Bucket versioning (the namespace keeps every version; the state decides
// whether a write adds one or replaces the null version) and the listing of
// versions and delete markers.

const V = namespaceV1.VersioningState;
const MAX_KEYS = 1000;

export async function getBucketVersioning(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const name = bucketOf(call);
  await checkBucketAccess(deps, call, name);
  let bucket;
  try {
    bucket = (await deps.namespace.getBucket({ name }, { signal: call.signal })).bucket;
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket: name });
  }
  const state = bucket?.versioning;
  const status = state === V.ENABLED ? 'Enabled' : state === V.SUSPENDED ? 'Suspended' : undefined;
  return { status: 200, body: versioningConfigurationXml(status) };
}

export async function putBucketVersioning(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const name = bucketOf(call);
  await checkBucketAccess(deps, call, name);
  const { status } = parseVersioningConfiguration(await readXmlBody(call, MAX_SMALL_CONFIG_XML_BYTES));
  try {
    await deps.namespace.setBucketVersioning(
      { writeId: randomUUID(), name, versioning: status === 'Enabled' ? V.ENABLED : V.SUSPENDED },
      { signal: call.signal },
    );
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket: name });
  }
  return { status: 200 };
}

export async function listObjectVersions(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const bucket = bucketOf(call);
  await checkBucketAccess(deps, call, bucket);
  const q = call.address.query;
  const encodingType = q.get('encoding-type');
  if (encodingType !== null && encodingType !== 'url')
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request');
  const maxKeys = q.get('max-keys') === null ? MAX_KEYS : Number(q.get('max-keys'));
  if (!Number.isInteger(maxKeys) || maxKeys < 0)
    throw new S3Error('InvalidArgument', 'max-keys must be a non-negative integer.');
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const versionIdMarker = q.get('version-id-marker') ?? '';
  let res;
  try {
    res = await deps.namespace.listObjectVersions(
      { bucket, prefix, delimiter, keyMarker, versionIdMarker, maxKeys: Math.min(maxKeys, MAX_KEYS) },
      { signal: call.signal },
    );
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket });
  }
  return {
    status: 200,
    body: listVersionsXml({
      bucket,
      prefix,
      keyMarker,
      versionIdMarker,
      ...(res.isTruncated ? { nextKeyMarker: res.nextKeyMarker, nextVersionIdMarker: res.nextVersionIdMarker } : {}),
      ...(delimiter ? { delimiter } : {}),
      maxKeys,
      isTruncated: res.isTruncated,
      ...(encodingType === 'url' ? { encodingType: 'url' as const } : {}),
      versions: res.versions.map((v) => ({
        key: v.key,
        versionId: v.versionId || 'null',
        isLatest: v.isLatest,
        lastModified: dateOf(v.createdAt),
        deleteMarker: v.deleteMarker,
        etag: `"${v.etag}"`,
        size: Number(v.size),
        storageClass: v.storageClass || 'STANDARD',
        owner: { id: v.ownerAccountId, displayName: v.ownerAccountId },
      })),
      commonPrefixes: res.commonPrefixes,
    }),
  };
}
