import { isObjectOwnership, S3Error } from '@platter/s3';
import type { S3Call } from '../http/s3-call.js';

// The ACL headers a write may carry (see acl.ts for the model): only those
// that grant nothing beyond the owner's FULL_CONTROL, as S3 allows on buckets
// with ACLs disabled; the others get S3's errors for that setting.

/** Canned ACLs that grant nothing beyond the owner's FULL_CONTROL. */
const OWNER_ONLY_CANNED_ACLS = new Set(['private', 'bucket-owner-full-control']);

/** True when the request names an ACL that grants anyone but the owner something. */
export function grantsBeyondOwner(call: S3Call): boolean {
  const h = call.req.headers;
  const canned = h['x-amz-acl'];
  const grants = Object.keys(h).some((name) => name.startsWith('x-amz-grant-'));
  return grants || (canned !== undefined && !OWNER_ONLY_CANNED_ACLS.has(String(canned)));
}

/** PutObject, CopyObject, CreateMultipartUpload: refuses an ACL other than the owner-only ones. */
export function assertObjectAclHeaders(call: S3Call): void {
  if (grantsBeyondOwner(call)) throw new S3Error('AccessControlListNotSupported');
}

/** CreateBucket: refuses a bucket ACL other than the owner-only ones. */
export function assertBucketAclHeaders(call: S3Call): void {
  if (grantsBeyondOwner(call)) throw new S3Error('InvalidBucketAclWithObjectOwnership');
}

/** The only Object Ownership Platter has; the other two settings turn ACLs on. */
export function assertOwnershipSupported(ownership: string): void {
  if (!isObjectOwnership(ownership)) throw new S3Error('InvalidArgument', `Invalid Object Ownership: ${ownership}`);
  if (ownership !== 'BucketOwnerEnforced') {
    throw new S3Error(
      'NotImplemented',
      `Object Ownership ${ownership} needs ACLs; only BucketOwnerEnforced is supported.`,
    );
  }
}

/** CreateBucket's `x-amz-object-ownership`: checked, never silently ignored. */
export function assertObjectOwnershipHeader(call: S3Call): void {
  const ownership = call.req.headers['x-amz-object-ownership'];
  if (ownership !== undefined) assertOwnershipSupported(String(ownership));
}
