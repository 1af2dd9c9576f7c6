import { createHash, createHmac } from 'node:crypto';
import { canonicalQueryString, canonicalUri, type QueryParam } from './uri-encoding.js';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const SIGV4_TERMINATOR = 'aws4_request';
export const S3_SERVICE = 's3';

/** Header values as Node's `IncomingMessage.headers` holds them (lower-case names). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What SigV4 needs to know about a request: nothing about its body. */
export interface RequestDescription {
  method: string;
  /** Path exactly as received, before `?`, still percent-encoded. */
  rawPath: string;
  /** Query exactly as received, after `?`, without it; `''` when none. */
  rawQuery: string;
  headers: RequestHeaders;
}

/** Splits a request target (`/path?query`) into a {@link RequestDescription}. */
export function describeRequest(method: string, target: string, headers: RequestHeaders): RequestDescription {
  const q = target.indexOf('?');
  return {
    method,
    rawPath: q < 0 ? target : target.slice(0, q),
    rawQuery: q < 0 ? '' : target.slice(q + 1),
    headers,
  };
}

/** First value of a header, or undefined. */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(',');
}

/** SigV4 canonical header value: trimmed, inner runs of spaces collapsed. */
export function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmacSha256(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export interface CanonicalRequestInput {
  method: string;
  rawPath: string;
  query: readonly QueryParam[];
  headers: RequestHeaders;
  /** Lower-case names in the order the client listed them. */
  signedHeaders: readonly string[];
  payloadHash: string;
  /** Query parameter left out (presigned URLs leave out `X-Amz-Signature`). */
  excludeQuery?: string;
}

/** The SigV4 canonical request string, S3 flavour (no path normalisation). */
export function canonicalRequest(input: CanonicalRequestInput): string {
  let headers = '';
  for (const name of input.signedHeaders) {
    headers += `${name}:${canonicalHeaderValue(headerValue(input.headers, name) ?? '')}\n`;
  }
  return [
    // As sent: methods are case-sensitive (RFC 9110 §9.1), so `get` is not
    // the `GET` a client signed.
    input.method,
    canonicalUri(input.rawPath),
    canonicalQueryString(input.query, input.excludeQuery),
    headers,
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

/** `YYYYMMDD/region/s3/aws4_request`. */
export function credentialScope(day: string, region: string, service = S3_SERVICE): string {
  return `${day}/${region}/${service}/${SIGV4_TERMINATOR}`;
}

/** The string to sign for a request (header or query auth). */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${SIGV4_ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

/** Hex HMAC-SHA256 of a string to sign under a derived signing key. */
export function signatureOf(signingKey: Uint8Array, toSign: string): string {
  return createHmac('sha256', signingKey).update(toSign, 'utf8').digest('hex');
}
