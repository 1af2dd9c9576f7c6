import { S3Error } from '../errors.js';

/** An inclusive byte range within an object. */
export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

// More digits than this cannot be an offset into any object we could store;
// treat them as "beyond the end" rather than lose precision.
const MAX_DIGITS = 15;

function toOffset(digits: string): number {
  return digits.length > MAX_DIGITS ? Number.POSITIVE_INFINITY : Number(digits);
}

/**
 * Parses a `Range` header against an object's size, as S3 does:
 * a single `bytes=a-b`, `bytes=a-` or `bytes=-n`.
 *
 * Returns undefined when the whole object should be sent: no header, a
 * header that is not a valid single byte range (RFC 7233 says ignore it;
 * S3 does not support multiple ranges and ignores them too). Throws
 * `InvalidRange` (416) when the range is valid but unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const [, first = '', last = ''] = m;
  const unsatisfiable = (): S3Error =>
    new S3Error('InvalidRange', undefined, {
      details: { RangeRequested: header.trim(), ActualObjectSize: String(size) },
    });
  if (first === '') {
    if (last === '') return undefined;
    const suffix = toOffset(last);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = toOffset(first);
  const end = last === '' ? Number.POSITIVE_INFINITY : toOffset(last);
  if (end < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end: Math.min(end, size - 1) };
}

/** `Content-Range` value for a partial response. */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** Number of bytes in a range. */
export function rangeLength(range: ByteRange): number {
  return range.end - range.start + 1;
}
