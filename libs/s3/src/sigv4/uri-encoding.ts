import { S3Error } from '../errors.js';

// encodeURIComponent leaves these RFC 3986 sub-delims alone; SigV4 wants
// every byte except A–Z a–z 0–9 - _ . ~ percent-encoded.
const EXTRA_RESERVED = /[!'()*]/g;

/**
 * SigV4 `UriEncode`: UTF-8 bytes, uppercase hex, only unreserved characters
 * kept. `/` is encoded too unless `keepSlash` (object key paths).
 */
export function awsUriEncode(text: string, keepSlash = false): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch (cause) {
    // A lone surrogate cannot be UTF-8 encoded, so it cannot be in a key.
    throw new S3Error('InvalidURI', undefined, { cause });
  }
  encoded = encoded.replace(EXTRA_RESERVED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

/** Percent-decodes one path segment or query component; malformed escapes are `InvalidURI`. */
export function percentDecode(text: string, plusIsSpace = false): string {
  const input = plusIsSpace ? text.replace(/\+/g, ' ') : text;
  if (!input.includes('%')) return input;
  try {
    return decodeURIComponent(input);
  } catch (cause) {
    throw new S3Error('InvalidURI', undefined, { cause });
  }
}

/**
 * Decodes a raw request path (as on the wire, before `?`) into segments.
 * Splitting on the literal `/` first keeps an encoded `%2F` inside its segment.
 */
export function decodePathSegments(rawPath: string): string[] {
  return rawPath.split('/').map((segment) => percentDecode(segment));
}

/**
 * Canonical URI for S3: each segment decoded once and re-encoded once, so a
 * path sent already encoded is not encoded twice, and no dot-segment
 * normalisation (S3 keys may contain `.` and `..` segments and `//`).
 */
export function canonicalUri(rawPath: string): string {
  if (rawPath === '' || rawPath === '/') return '/';
  return decodePathSegments(rawPath)
    .map((segment) => awsUriEncode(segment))
    .join('/');
}

/** One decoded query parameter, in arrival order. */
export type QueryParam = readonly [name: string, value: string];

/**
 * Parses a raw query string (without `?`) into decoded pairs. `+` is a space,
 * as in form encoding; SDKs encode a literal plus as `%2B`.
 */
export function parseQuery(rawQuery: string): QueryParam[] {
  if (rawQuery === '') return [];
  const params: QueryParam[] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    params.push([percentDecode(name, true), percentDecode(value, true)]);
  }
  return params;
}

/** Canonical query string: names and values re-encoded, sorted by name then value. */
export function canonicalQueryString(params: readonly QueryParam[], exclude?: string): string {
  const encoded: [string, string][] = [];
  for (const [name, value] of params) {
    if (name === exclude) continue;
    encoded.push([awsUriEncode(name), awsUriEncode(value)]);
  }
  encoded.sort((a, b) => compareCodeUnits(a[0], b[0]) || compareCodeUnits(a[1], b[1]));
  return encoded.map(([n, v]) => `${n}=${v}`).join('&');
}

// Encoded strings are ASCII, so code-unit order is byte order.
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
