import { S3Error } from '../errors.js';

/** Bucket name length bounds (characters), as S3's general purpose buckets. */
export const MIN_BUCKET_NAME_LENGTH = 3;
export const MAX_BUCKET_NAME_LENGTH = 63;

// Prefixes and suffixes S3 reserves for its own features (access point
// aliases, directory buckets, table buckets…); refused so names stay portable.
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

const ALLOWED = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * Why a name is not a valid bucket name under S3's current rules, or
 * undefined when it is. Legacy us-east-1 names (upper case, `_`) are refused.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < MIN_BUCKET_NAME_LENGTH || name.length > MAX_BUCKET_NAME_LENGTH) {
    return `Bucket name must be between ${MIN_BUCKET_NAME_LENGTH} and ${MAX_BUCKET_NAME_LENGTH} characters long`;
  }
  if (!ALLOWED.test(name)) {
    return 'Bucket name may contain only lower-case letters, digits, dots and hyphens, and must begin and end with a letter or digit';
  }
  if (name.includes('..')) return 'Bucket name must not contain two adjacent periods';
  if (name.includes('.-') || name.includes('-.')) return 'Bucket name must not contain a period next to a hyphen';
  if (IPV4.test(name)) return 'Bucket name must not be formatted as an IP address';
  if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) return 'Bucket name uses a reserved prefix';
  if (RESERVED_SUFFIXES.some((s) => name.endsWith(s))) return 'Bucket name uses a reserved suffix';
  return undefined;
}

/** Throws `InvalidBucketName` (with `BucketName`) unless the name is valid. */
export function validateBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem !== undefined) {
    throw new S3Error('InvalidBucketName', `The specified bucket is not valid. ${problem}.`, {
      details: { BucketName: name },
    });
  }
}
