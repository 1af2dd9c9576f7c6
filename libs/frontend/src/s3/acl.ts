import {
  MAX_SMALL_CONFIG_XML_BYTES,
  ownerOnlyAclXml,
  ownershipControlsXml,
  parseOwnershipControls,
  S3Error,
} from '@platter/s3';
import type { S3Call, S3Response } from '../http/s3-call.js';
import { readXmlBody } from '../http/xml-body.js';
import { checkBucketAccess } from './bucket-access.js';
import { assertOwnershipSupported, grantsBeyondOwner } from './acl-headers.js';
import { bucketOf, resourceOf } from './call-resource.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { lookup } from './objects.js';

// Platter's buckets behave as S3's do with ACLs disabled (Object Ownership
// "bucket owner enforced", S3's default for new buckets since 2023): access
// is decided by bucket ownership (bucket-access.ts), reading an ACL answers
// the owner with FULL_CONTROL, and a write may name only an ACL that says
// the same (`private`, `bucket-owner-full-control`); anything else is refused
// with S3's own errors for that setting, never silently ignored. An ACL sent
// as an XML body is NotImplemented.

/** The owner's display name is the account id (Platter keeps no other name). */
function ownerOf(accountId: string): { id: string; displayName: string } {
  return { id: accountId, displayName: accountId };
}

/** PUT ?acl: an owner-only canned ACL as a header; other grants are refused, an XML policy body is not implemented. */
function assertPrivateOnly(call: S3Call): void {
  const h = call.req.headers;
  const body = Number(h['content-length'] ?? 0) > 0 || h['transfer-encoding'] !== undefined;
  if (body) throw new S3Error('NotImplemented', 'Only a canned ACL header (x-amz-acl: private) is supported.');
  if (h['x-amz-acl'] === undefined || grantsBeyondOwner(call)) throw new S3Error('AccessControlListNotSupported');
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

/** GET ?ownershipControls: what Platter enforces on every bucket, so clients can ask rather than guess. */
export async function getBucketOwnershipControls(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  await checkBucketAccess(deps, call, bucketOf(call));
  return { status: 200, body: ownershipControlsXml('BucketOwnerEnforced') };
}

/** PUT ?ownershipControls: only the setting Platter has is accepted; the others would need ACLs. */
export async function putBucketOwnershipControls(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  await checkBucketAccess(deps, call, bucketOf(call));
  const { objectOwnership } = parseOwnershipControls(await readXmlBody(call, MAX_SMALL_CONFIG_XML_BYTES));
  assertOwnershipSupported(objectOwnership);
  return { status: 200 };
}

/** DELETE ?ownershipControls would turn ACLs back on (ObjectWriter), which Platter does not have. */
export async function deleteBucketOwnershipControls(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  await checkBucketAccess(deps, call, bucketOf(call));
  throw new S3Error('NotImplemented', 'Ownership controls cannot be removed: ACLs are always disabled.');
}
