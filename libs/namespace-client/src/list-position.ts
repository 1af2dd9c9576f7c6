import { crc32c } from '@node-rs/crc32';
import { asBuffer, fromBase64Url, immediateSuccessor, prefixSuccessor, toBase64Url, utf8 } from './bytes.js';

/**
 * Where a listing resumes, in the raw UTF-8 byte space of object keys: the
 * first key at or after `start`. `insidePrefix` says that `start` lies inside
 * a common prefix that has not been reported yet (a page that stopped while
 * probing it for a live key); otherwise a common prefix that sorts before
 * `start` was reported already, or lies before the caller's start-after, and
 * is skipped (S3 reports a common prefix only when it sorts after the marker).
 */
export interface ListPosition {
  start: Uint8Array;
  insidePrefix: boolean;
}

export const LIST_START: ListPosition = { start: new Uint8Array(0), insidePrefix: false };

/** The position right after a key. */
export function afterKey(keyBytes: Uint8Array): ListPosition {
  return { start: immediateSuccessor(keyBytes), insidePrefix: false };
}

/** The position right after every key under a common prefix. */
export function afterPrefix(prefixBytes: Uint8Array): ListPosition {
  const start = prefixSuccessor(prefixBytes);
  // A UTF-8 string never holds 0xff, so a successor always exists.
  if (start === undefined) throw new RangeError('common prefix without a successor');
  return { start, insidePrefix: false };
}

/** S3's start-after (or v1 marker): strictly after that key. */
export function afterMarker(marker: string): ListPosition {
  return marker === '' ? LIST_START : afterKey(utf8(marker));
}

/**
 * The prefix a key rolls up into: the key up to and including the first
 * delimiter after the listing prefix, or undefined.
 */
export function commonPrefixOf(
  keyBytes: Buffer,
  prefixBytes: Uint8Array,
  delimiterBytes: Uint8Array,
): Buffer | undefined {
  if (delimiterBytes.byteLength === 0) return undefined;
  const at = keyBytes.indexOf(asBuffer(delimiterBytes), prefixBytes.byteLength);
  return at === -1 ? undefined : keyBytes.subarray(0, at + delimiterBytes.byteLength);
}

// ------------------------------------------------------ continuation tokens

const TOKEN_FORMAT = 1;
const FLAG_INSIDE_PREFIX = 0x01;
// format byte, flags byte, u32 parameter hash.
const TOKEN_HEADER_BYTES = 6;

/** Binds a token to the listing it came from: a token is valid only for the same bucket, prefix and delimiter. */
function parameterHash(bucket: string, prefix: string, delimiter: string): number {
  return crc32c(Buffer.concat([utf8(bucket), Buffer.from([0]), utf8(prefix), Buffer.from([0]), utf8(delimiter)]));
}

/** The opaque continuation token of a ListObjects page (the same for one partition or a merged page). */
export function encodeContinuationToken(
  position: ListPosition,
  params: { bucket: string; prefix: string; delimiter: string },
): string {
  const header = Buffer.allocUnsafe(TOKEN_HEADER_BYTES);
  header[0] = TOKEN_FORMAT;
  header[1] = position.insidePrefix ? FLAG_INSIDE_PREFIX : 0;
  header.writeUInt32BE(parameterHash(params.bucket, params.prefix, params.delimiter), 2);
  return toBase64Url(Buffer.concat([header, position.start]));
}

/** The position a token names, or undefined for a token that is malformed or from another listing. */
export function decodeContinuationToken(
  token: string,
  params: { bucket: string; prefix: string; delimiter: string },
): ListPosition | undefined {
  const raw = fromBase64Url(token);
  if (raw === undefined || raw.length < TOKEN_HEADER_BYTES || raw[0] !== TOKEN_FORMAT) return undefined;
  if (raw.readUInt32BE(2) !== parameterHash(params.bucket, params.prefix, params.delimiter)) return undefined;
  const flags = raw[1] ?? 0;
  if ((flags & ~FLAG_INSIDE_PREFIX) !== 0) return undefined;
  return { start: raw.subarray(TOKEN_HEADER_BYTES), insidePrefix: (flags & FLAG_INSIDE_PREFIX) !== 0 };
}
