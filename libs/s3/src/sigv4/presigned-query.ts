import { S3Error } from '../errors.js';
import { parseAmzDate } from './amz-date.js';
import { SIGV4_ALGORITHM } from './canonical-request.js';
import { parseCredential, parseSignedHeaders, type Credential } from './credential.js';
import type { QueryParam } from './uri-encoding.js';

/** Longest validity SigV4 allows for a presigned URL (seconds): 7 days. */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604_800;

export const PRESIGNED_SIGNATURE_PARAM = 'X-Amz-Signature';

/** The SigV4 parameters of a presigned URL. */
export interface PresignedQuery {
  credential: Credential;
  amzDate: string;
  date: Date;
  expiresSeconds: number;
  signedHeaders: string[];
  signature: string;
  securityToken?: string;
}

function queryError(message: string): S3Error {
  return new S3Error('AuthorizationQueryParametersError', message);
}

/** True when the query carries SigV4 query authentication. */
export function hasPresignedQuery(params: readonly QueryParam[]): boolean {
  return params.some(([name]) => name === 'X-Amz-Algorithm' || name === PRESIGNED_SIGNATURE_PARAM);
}

/** Parses and validates `X-Amz-*` authentication parameters (not the expiry: that needs a clock). */
export function parsePresignedQuery(params: readonly QueryParam[]): PresignedQuery {
  const get = (name: string): string | undefined => {
    let found: string | undefined;
    for (const [n, v] of params) {
      if (n !== name) continue;
      if (found !== undefined) throw queryError(`Query-string authentication parameter ${name} appears twice.`);
      found = v;
    }
    return found;
  };
  const algorithm = get('X-Amz-Algorithm');
  const credentialText = get('X-Amz-Credential');
  const amzDate = get('X-Amz-Date');
  const expires = get('X-Amz-Expires');
  const signedHeadersText = get('X-Amz-SignedHeaders');
  const signature = get(PRESIGNED_SIGNATURE_PARAM);
  const securityToken = get('X-Amz-Security-Token');
  if (
    algorithm === undefined ||
    credentialText === undefined ||
    amzDate === undefined ||
    expires === undefined ||
    signedHeadersText === undefined ||
    signature === undefined
  ) {
    throw queryError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (algorithm !== SIGV4_ALGORITHM) {
    throw queryError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  }
  const credential = parseCredential(credentialText);
  if (typeof credential === 'string') throw queryError(`Error parsing the X-Amz-Credential parameter; ${credential}`);
  const date = parseAmzDate(amzDate);
  if (!date) throw queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (!/^-?\d{1,7}$/.test(expires)) throw queryError('X-Amz-Expires should be a number');
  const expiresSeconds = Number(expires);
  // A URL that was never valid, or valid for longer than SigV4 allows, is
  // refused as an authorization failure (403), as RGW and s3-tests have it.
  if (expiresSeconds < 0) throw new S3Error('AccessDenied', 'Request has expired');
  if (expiresSeconds > MAX_PRESIGNED_EXPIRES_SECONDS) {
    throw new S3Error('AccessDenied', 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
  }
  const signedHeaders = parseSignedHeaders(signedHeadersText);
  if (!signedHeaders) throw queryError('X-Amz-SignedHeaders is not a ;-separated list of lower-case header names.');
  return {
    credential,
    amzDate,
    date,
    expiresSeconds,
    signedHeaders,
    signature,
    ...(securityToken !== undefined ? { securityToken } : {}),
  };
}
