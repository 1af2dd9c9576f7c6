// Specs only: not exported from the package.
// Test fixtures: the example credentials and requests published in the
// Amazon S3 API reference ("Signature Calculations for the Authorization
// Header", "Authenticating Requests: Using Query Parameters", "Transferring
// Payload in Multiple Chunks"). Only used by specs.
import { EMPTY_SHA256 } from './payload-hash.js';

export const EXAMPLE_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const EXAMPLE_REGION = 'us-east-1';
export const EXAMPLE_AMZ_DATE = '20130524T000000Z';
export const EXAMPLE_NOW = new Date('2013-05-24T00:00:00Z');

export function exampleLookup(accessKeyId: string): Promise<string | undefined> {
  return Promise.resolve(accessKeyId === EXAMPLE_ACCESS_KEY_ID ? EXAMPLE_SECRET : undefined);
}

export function authHeader(signedHeaders: string, signature: string, scopeDay = '20130524'): string {
  return `AWS4-HMAC-SHA256 Credential=${EXAMPLE_ACCESS_KEY_ID}/${scopeDay}/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`;
}

/** Headers of the reference's "GET Object" example (a Range, header auth), signature as published. */
export function exampleGetWithRangeHeaders(): Record<string, string> {
  return {
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': EMPTY_SHA256,
    'x-amz-date': EXAMPLE_AMZ_DATE,
    authorization: authHeader(
      'host;range;x-amz-content-sha256;x-amz-date',
      'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    ),
  };
}
