import { randomUUID } from 'node:crypto';
import {
  listAllMyBucketsXml,
  locationConstraintXml,
  parseCreateBucketConfiguration,
  S3Error,
  validateBucketName,
  type BucketEntry,
} from '@platter/s3';
import { readXmlBody } from '../http/xml-body.js';
import type { S3Call, S3Response } from '../http/s3-call.js';
import { assertBucketAclHeaders, assertObjectOwnershipHeader } from './acl-headers.js';
import { checkBucketAccess, forgetBucket } from './bucket-access.js';
import { bucketOf } from './call-resource.js';
import { s3ErrorOfNamespace } from './namespace-errors.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { dateOf } from './timestamp.js';

// Bucket operations. Names follow S3's rules for new buckets (libs/s3
// validateBucketName); they are global across accounts.

const LIST_BUCKETS_PAGE = 1000;
/** ListBuckets' max-buckets ceiling (S3's). */
const MAX_BUCKETS_PER_LIST = 10_000;
/** A CreateBucketConfiguration is a few hundred bytes; more is not one. */
const MAX_CREATE_BUCKET_XML_BYTES = 64 * 1024;

/**
 * The region-less default of S3 (us-east-1) answers 200 to an owner who
 * creates their bucket again (s3-tests expect it); other regions answer
 * BucketAlreadyOwnedByYou.
 */
const LEGACY_RECREATE_REGION = 'us-east-1';

export async function createBucket(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const name = bucketOf(call);
  validateBucketName(name);
  assertBucketAclHeaders(call);
  assertObjectOwnershipHeader(call);
  const length = Number(call.req.headers['content-length'] ?? 0);
  if (length > 0) {
    const { locationConstraint } = parseCreateBucketConfiguration(await readXmlBody(call, MAX_CREATE_BUCKET_XML_BYTES));
    const accepted = [deps.region, deps.locationConstraint].filter((l) => l !== '');
    if (locationConstraint !== undefined && !accepted.includes(locationConstraint))
      throw new S3Error('InvalidLocationConstraint', undefined, {
        details: { LocationConstraint: locationConstraint },
      });
  }
  try {
    await deps.namespace.createBucket(
      { writeId: randomUUID(), name, ownerAccountId: call.accountId },
      { signal: call.signal },
    );
  } catch (err) {
    const s3 = s3ErrorOfNamespace(err, { bucket: name });
    const recreated =
      s3 instanceof S3Error && s3.code === 'BucketAlreadyOwnedByYou' && deps.region === LEGACY_RECREATE_REGION;
    if (!recreated) throw s3;
  }
  return { status: 200, headers: { Location: `/${name}` } };
}

export async function headBucket(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const name = bucketOf(call);
  await checkBucketAccess(deps, call, name);
  return { status: 200, headers: { 'x-amz-bucket-region': deps.region } };
}

/**
 * Deletes an empty bucket. Unfinished multipart uploads do not keep a bucket
 * alive in S3: when the namespace refuses only because of them (no version
 * or delete marker is left), they are aborted and the delete is retried.
 */
export async function deleteBucket(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const name = bucketOf(call);
  await checkBucketAccess(deps, call, name);
  try {
    // The namespace seals every partition, then drops the bucket with its unfinished uploads, atomically.
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
  return { status: 200, body: locationConstraintXml(deps.locationConstraint || deps.region) };
}

/** ListBuckets' continuation token: the last name of the previous page, opaque to clients. */
function encodeBucketToken(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

function decodeBucketToken(token: string): string {
  const name = Buffer.from(token, 'base64url').toString('utf8');
  if (token === '' || encodeBucketToken(name) !== token)
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect.');
  return name;
}

export async function listBuckets(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const q = call.address.query;
  const maxParam = q.get('max-buckets');
  const maxBuckets = maxParam === null ? MAX_BUCKETS_PER_LIST : Number(maxParam);
  if (!Number.isInteger(maxBuckets) || maxBuckets < 1 || maxBuckets > MAX_BUCKETS_PER_LIST)
    throw new S3Error('InvalidArgument', `max-buckets must be an integer between 1 and ${MAX_BUCKETS_PER_LIST}.`);
  const token = q.get('continuation-token');
  const after = token === null ? undefined : decodeBucketToken(token);
  const prefix = q.get('prefix') ?? '';
  const buckets: BucketEntry[] = [];
  let pageToken = '';
  do {
    let res;
    try {
      res = await deps.namespace.listBuckets(
        { ownerAccountId: call.accountId, prefix, pageSize: LIST_BUCKETS_PAGE, pageToken },
        { signal: call.signal },
      );
    } catch (err) {
      throw s3ErrorOfNamespace(err, {});
    }
    for (const b of res.buckets) buckets.push({ name: b.name, creationDate: dateOf(b.createdAt) });
    pageToken = res.nextPageToken;
  } while (pageToken);
  // An account has at most a few thousand buckets: paging here keeps the token independent of partitions.
  buckets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const from = after === undefined ? 0 : buckets.findIndex((b) => b.name > after);
  const page = from < 0 ? [] : buckets.slice(from, from + maxBuckets);
  const more = from >= 0 && from + maxBuckets < buckets.length;
  const last = page.at(-1);
  return {
    status: 200,
    body: listAllMyBucketsXml({
      owner: { id: call.accountId, displayName: call.accountId },
      buckets: page,
      ...(more && last ? { continuationToken: encodeBucketToken(last.name) } : {}),
      ...(q.has('prefix') ? { prefix } : {}),
    }),
  };
}
