import { randomUUID } from 'node:crypto';
import { listAllMyBucketsXml, locationConstraintXml, validateBucketName, type BucketEntry } from '@platter/s3';
import type { S3Call, S3Response } from '../http/s3-call.js';
import { checkBucketAccess, forgetBucket } from './bucket-access.js';
import { bucketOf } from './call-resource.js';
import { s3ErrorOfNamespace } from './namespace-errors.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { dateOf } from './timestamp.js';

// Bucket operations. Names follow S3's rules for new buckets (libs/s3
// validateBucketName); they are global across accounts.

const LIST_BUCKETS_PAGE = 1000;

export async function createBucket(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const name = bucketOf(call);
  validateBucketName(name);
  try {
    await deps.namespace.createBucket(
      { writeId: randomUUID(), name, ownerAccountId: call.accountId },
      { signal: call.signal },
    );
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket: name });
  }
  return { status: 200, headers: { Location: `/${name}` } };
}

export async function headBucket(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const name = bucketOf(call);
  await checkBucketAccess(deps, call, name);
  return { status: 200, headers: { 'x-amz-bucket-region': deps.region } };
}

export async function deleteBucket(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const name = bucketOf(call);
  await checkBucketAccess(deps, call, name);
  try {
    await deps.namespace.deleteBucket({ writeId: randomUUID(), name }, { signal: call.signal });
  } catch (err) {
    throw s3ErrorOfNamespace(err, { bucket: name });
  } finally {
    forgetBucket(deps, name);
  }
  return { status: 204 };
}

export async function getBucketLocation(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  await checkBucketAccess(deps, call, bucketOf(call));
  return { status: 200, body: locationConstraintXml(deps.region) };
}

export async function listBuckets(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const buckets: BucketEntry[] = [];
  let pageToken = '';
  do {
    let res;
    try {
      res = await deps.namespace.listBuckets(
        { ownerAccountId: call.accountId, pageSize: LIST_BUCKETS_PAGE, pageToken },
        { signal: call.signal },
      );
    } catch (err) {
      throw s3ErrorOfNamespace(err, {});
    }
    for (const b of res.buckets) buckets.push({ name: b.name, creationDate: dateOf(b.createdAt) });
    pageToken = res.nextPageToken;
  } while (pageToken);
  return {
    status: 200,
    body: listAllMyBucketsXml({ owner: { id: call.accountId, displayName: call.accountId }, buckets }),
  };
}
