import { formatAmzDate } from './amz-date.js';
import {
  canonicalRequest,
  credentialScope,
  SIGV4_ALGORITHM,
  signatureOf,
  stringToSign,
  type RequestHeaders,
} from './canonical-request.js';
import { PRESIGNED_SIGNATURE_PARAM } from './presigned-query.js';
import { deriveSigningKey } from './signing-key.js';
import { awsUriEncode, parseQuery } from './uri-encoding.js';

/** Credentials and scope a client signs with. */
export interface SignerCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface SignHeadersInput {
  method: string;
  rawPath: string;
  rawQuery?: string;
  /** Lower-case names; must include `host`. `x-amz-date` is set from `date`. */
  headers: Record<string, string>;
  payloadHash: string;
  date: Date;
  /** Headers to sign; default all given headers. */
  signedHeaders?: readonly string[];
}

export interface SignedHeadersResult {
  /** The headers to send: the input plus `x-amz-date`, `x-amz-content-sha256`, `authorization`. */
  headers: Record<string, string>;
  signature: string;
  amzDate: string;
  scope: string;
}

/**
 * Signs a request with the Authorization header, as an S3 client would.
 * Platter uses it in tests and tools that talk to its own frontend.
 */
export function signRequestHeaders(credentials: SignerCredentials, input: SignHeadersInput): SignedHeadersResult {
  const amzDate = formatAmzDate(input.date);
  const scope = credentialScope(amzDate.slice(0, 8), credentials.region);
  const headers: Record<string, string> = {
    ...input.headers,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': input.payloadHash,
  };
  const signedHeaders = [...(input.signedHeaders ?? Object.keys(headers))].map((h) => h.toLowerCase()).sort();
  const canonical = canonicalRequest({
    method: input.method,
    rawPath: input.rawPath,
    query: parseQuery(input.rawQuery ?? ''),
    headers: headers as RequestHeaders,
    signedHeaders,
    payloadHash: input.payloadHash,
  });
  const key = deriveSigningKey(credentials.secretAccessKey, amzDate.slice(0, 8), credentials.region);
  const signature = signatureOf(key, stringToSign(amzDate, scope, canonical));
  headers['authorization'] =
    `${SIGV4_ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return { headers, signature, amzDate, scope };
}

export interface PresignInput {
  method: string;
  rawPath: string;
  rawQuery?: string;
  /** Lower-case names; must include `host`. All are signed. */
  headers: Record<string, string>;
  date: Date;
  expiresSeconds: number;
}

/**
 * Builds a presigned URL's query string (without `?`): SigV4 query auth,
 * UNSIGNED-PAYLOAD unless `rawQuery` carries `X-Amz-Content-Sha256`.
 */
export function presignQuery(credentials: SignerCredentials, input: PresignInput): string {
  const amzDate = formatAmzDate(input.date);
  const scope = credentialScope(amzDate.slice(0, 8), credentials.region);
  const signedHeaders = Object.keys(input.headers)
    .map((h) => h.toLowerCase())
    .sort();
  const auth: [string, string][] = [
    ['X-Amz-Algorithm', SIGV4_ALGORITHM],
    ['X-Amz-Credential', `${credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(input.expiresSeconds)],
    ['X-Amz-SignedHeaders', signedHeaders.join(';')],
  ];
  const base = input.rawQuery ?? '';
  const rawQuery = [base, ...auth.map(([n, v]) => `${n}=${awsUriEncode(v)}`)].filter((s) => s !== '').join('&');
  const query = parseQuery(rawQuery);
  const payloadHash = query.find(([n]) => n.toLowerCase() === 'x-amz-content-sha256')?.[1] ?? 'UNSIGNED-PAYLOAD';
  const canonical = canonicalRequest({
    method: input.method,
    rawPath: input.rawPath,
    query,
    headers: input.headers,
    signedHeaders,
    payloadHash,
  });
  const key = deriveSigningKey(credentials.secretAccessKey, amzDate.slice(0, 8), credentials.region);
  const signature = signatureOf(key, stringToSign(amzDate, scope, canonical));
  return `${rawQuery}&${PRESIGNED_SIGNATURE_PARAM}=${signature}`;
}
