import { RecordFormatError } from '../errors.js';

// u64 fields as two u32 halves: a BigInt per field showed up in the 4 KiB
// put profile. Every value we write is a safe integer (≤ 2^53 − 1).
const TWO_32 = 2 ** 32;
/** High half of Number.MAX_SAFE_INTEGER: 2^21 − 1. */
const MAX_SAFE_HIGH = 0x1f_ffff;

/** Reads a little-endian u64 that must fit a JS number exactly. */
export function readU64(buf: Buffer, offset: number, what: string): number {
  const low = buf.readUInt32LE(offset);
  const high = buf.readUInt32LE(offset + 4);
  if (high > MAX_SAFE_HIGH) throw new RecordFormatError(`${what} ${buf.readBigUInt64LE(offset)} is out of range`);
  return high * TWO_32 + low;
}

export function writeU64(buf: Buffer, value: number, offset: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RecordFormatError(`cannot write ${value} as a u64`);
  buf.writeUInt32LE(value % TWO_32, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_32), offset + 4);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw new RecordFormatError(`${what} is not valid UTF-8`);
  }
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
