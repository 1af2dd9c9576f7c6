import { U64_MAX, asBuffer, readU64be, u32be, u64be, utf8 } from '@platter/namespace-client';

/**
 * Order-preserving tuple keys for LMDB (which compares keys as raw bytes).
 *
 * A string component is its UTF-8 bytes with every 0x00 written as 00 FF,
 * followed by the terminator 00 01. Escaping is byte-wise, so the encoded
 * form of `p ‖ q` starts with the encoded form of `p` (prefix scans work on
 * escaped bytes), and comparing two encoded components compares the raw
 * strings by their bytes — S3's listing order — even when one is a prefix of
 * the other or contains NUL. Numbers are fixed-width big-endian.
 */

const ESCAPE_BYTE = 0xff;
const TERMINATOR = Buffer.from([0x00, 0x01]);
/** Bytes of a component's terminator. */
export const TERMINATOR_BYTES = TERMINATOR.byteLength;

/** The escaped bytes of a raw byte string, without the terminator. */
export function escapeBytes(raw: Uint8Array): Buffer {
  const buf = asBuffer(raw);
  if (buf.indexOf(0) === -1) return buf;
  const out: number[] = [];
  for (const b of buf) {
    out.push(b);
    if (b === 0) out.push(ESCAPE_BYTE);
  }
  return Buffer.from(out);
}

/** The raw bytes of an escaped string (the inverse of escapeBytes). */
export function unescapeBytes(escaped: Uint8Array): Buffer {
  const buf = asBuffer(escaped);
  if (buf.indexOf(0) === -1) return buf;
  const out: number[] = [];
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i] ?? 0;
    out.push(b);
    if (b === 0) {
      if (buf[i + 1] !== ESCAPE_BYTE) throw new KeyFormatError('bad escape in key');
      i++;
    }
  }
  return Buffer.from(out);
}

/** One string component: escaped UTF-8 and the terminator. */
export function stringComponent(text: string): Buffer {
  return Buffer.concat([escapeBytes(utf8(text)), TERMINATOR]);
}

/** One raw-bytes component (a key given as bytes). */
export function bytesComponent(raw: Uint8Array): Buffer {
  return Buffer.concat([escapeBytes(raw), TERMINATOR]);
}

/** A descending u64: newer (larger) sequences sort first. */
export function descendingU64(value: bigint): Buffer {
  return u64be(U64_MAX - value);
}

export function readDescendingU64(bytes: Uint8Array, offset: number): bigint {
  return U64_MAX - readU64be(bytes, offset);
}

export class KeyFormatError extends Error {
  override readonly name = 'KeyFormatError';
}

/**
 * Splits the first string component off `bytes` (from `offset`): returns its
 * raw bytes and the offset just past its terminator.
 */
export function readComponent(bytes: Uint8Array, offset: number): { raw: Buffer; next: number } {
  const buf = asBuffer(bytes);
  let i = offset;
  for (;;) {
    const z = buf.indexOf(0, i);
    if (z === -1 || z + 1 >= buf.length) throw new KeyFormatError('unterminated key component');
    const after = buf[z + 1];
    if (after === 0x01) return { raw: unescapeBytes(buf.subarray(offset, z)), next: z + 2 };
    if (after !== ESCAPE_BYTE) throw new KeyFormatError('bad escape in key');
    i = z + 2;
  }
}

export { u32be, u64be };
