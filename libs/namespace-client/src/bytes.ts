/** Byte helpers shared by the key and record codecs. Everything is big-endian so that byte order is numeric order. */

export const U64_MAX = 0xffff_ffff_ffff_ffffn;

export function u64be(value: bigint): Buffer {
  if (value < 0n || value > U64_MAX) throw new RangeError(`not a u64: ${value}`);
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64BE(value, 0);
  return out;
}

export function readU64be(bytes: Uint8Array, offset = 0): bigint {
  if (bytes.byteLength < offset + 8) throw new RangeError('truncated u64');
  return asBuffer(bytes).readBigUInt64BE(offset);
}

export function u32be(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
}

/** A Buffer view of the same memory (lmdb-js and Buffer.compare want Buffers; no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(asBuffer(a), asBuffer(b));
}

/**
 * The order of two strings' UTF-8 bytes (code point order), without encoding
 * them. JavaScript's `<` compares UTF-16 units, which disagrees only where a
 * surrogate (half of a code point past U+FFFF) meets a unit in U+E000–U+FFFF:
 * in code point order the surrogate is the greater, so both are remapped.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

export function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** True when the string survives a UTF-8 round trip: a lone surrogate would silently become U+FFFD and alias another key. */
export function isWellFormedUtf16(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/**
 * The smallest byte string greater than every string that starts with
 * `prefix`, or undefined when there is none (all 0xff bytes, or empty). This is
 * the exclusive upper bound of a prefix scan; "\uffff" is not one (U+FFFF is
 * EF BF BF in UTF-8, and F0.. keys sort after it).
 */
export function prefixSuccessor(prefix: Uint8Array): Buffer | undefined {
  let end = prefix.byteLength;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const out = Buffer.from(prefix.subarray(0, end));
  out[end - 1] = (out[end - 1] ?? 0) + 1;
  return out;
}

/** The smallest byte string strictly greater than `bytes`: the inclusive start that resumes right after it. */
export function immediateSuccessor(bytes: Uint8Array): Buffer {
  return Buffer.concat([asBuffer(bytes), ZERO_BYTE]);
}

const ZERO_BYTE = Buffer.from([0]);

export function maxBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  return compareBytes(a, b) >= 0 ? a : b;
}

export function toBase64Url(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64url');
}

export function fromBase64Url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  return Buffer.from(text, 'base64url');
}
