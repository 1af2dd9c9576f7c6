import { ownerOnlyAclXml, S3Error } from '@platter/s3';
import type { S3Call, S3Response } from '../http/s3-call.js';
import { checkBucketAccess } from './bucket-access.js';
import { bucketOf, resourceOf } from './call-resource.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { lookup } from './objects.js';

// The one ACL Platter has: `private`, the owner with FULL_CONTROL (access is
// decided by bucket ownership, bucket-access.ts). Reading it answers that;
// setting it to `private` is accepted as the no-op it is; any other grant is
// NotImplemented rather than silently ignored.

/** The owner's display name is the account id (Platter keeps no other name). */
function ownerOf(accountId: string): { id: string; displayName: string } {
  return { id: accountId, displayName: accountId };
}

/** PUT ?acl: only the `private` canned ACL, as a header with no grant headers or policy body. */
function assertPrivateOnly(call: S3Call): void {
  const h = call.req.headers;
  const canned = h['x-amz-acl'];
  const grants = Object.keys(h).some((name) => name.startsWith('x-amz-grant-'));
  const body = Number(h['content-length'] ?? 0) > 0 || h['transfer-encoding'] !== undefined;
  if (canned !== 'private' || grants || body)
    throw new S3Error('NotImplemented', 'Only the private canned ACL (x-amz-acl: private) is supported.');
}

export async function getBucketAcl(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  await checkBucketAccess(deps, call, bucketOf(call));
  // Only the owner gets past the access check.
  return { status: 200, body: ownerOnlyAclXml(ownerOf(call.accountId)) };
}

export async function putBucketAcl(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  await checkBucketAccess(deps, call, bucketOf(call));
  assertPrivateOnly(call);
  return { status: 200 };
}

export async function getObjectAcl(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const { bucket, key } = resourceOf(call);
  await checkBucketAccess(deps, call, bucket);
  const v = await lookup(deps, call, bucket, key);
  return { status: 200, body: ownerOnlyAclXml(ownerOf(v.ownerAccountId || call.accountId)) };
}

export async function putObjectAcl(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const { bucket, key } = resourceOf(call);
  await checkBucketAccess(deps, call, bucket);
  await lookup(deps, call, bucket, key);
  assertPrivateOnly(call);
  return { status: 200 };
}
