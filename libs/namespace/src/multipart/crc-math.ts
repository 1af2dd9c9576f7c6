/**
 * Reflected CRCs (init all ones, final xor all ones: CRC-32, CRC-32C,
 * CRC-64/NVME) as polynomials over GF(2), in bigint so one code serves 32 and
 * 64 bits. Used for the object checksums of multipart uploads: a COMPOSITE
 * checksum is the CRC of the concatenated part CRCs (a few bytes per part),
 * a FULL_OBJECT one combines the part CRCs with their lengths, as zlib's
 * crc32_combine does (crc(A‖B) = crc(A)·x^(8|B|) mod P ⊕ crc(B)).
 */
export interface CrcSpec {
  width: 32 | 64;
  /** The polynomial, bit-reflected. */
  reflectedPoly: bigint;
}

export const CRC32: CrcSpec = { width: 32, reflectedPoly: 0xedb88320n };
export const CRC32C: CrcSpec = { width: 32, reflectedPoly: 0x82f63b78n };
export const CRC64NVME: CrcSpec = { width: 64, reflectedPoly: 0x9a6c9329ac4bc9b5n };

// x^(2^k) mod P for k = 0..POWERS-1: enough for any length below 2^64 bytes (8·2^64 bits).
const POWERS = 72;

interface CrcTables {
  byteTable: bigint[];
  powers: bigint[];
  mask: bigint;
  top: bigint;
}

const tables = new Map<CrcSpec, CrcTables>();

function tablesOf(spec: CrcSpec): CrcTables {
  let t = tables.get(spec);
  if (t) return t;
  const mask = (1n << BigInt(spec.width)) - 1n;
  const top = 1n << BigInt(spec.width - 1);
  const byteTable: bigint[] = [];
  for (let n = 0n; n < 256n; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ spec.reflectedPoly : c >> 1n;
    byteTable.push(c);
  }
  const partial: CrcTables = { byteTable, powers: [], mask, top };
  // x^1 in reflected form is the second-highest bit.
  let p = top >> 1n;
  for (let k = 0; k < POWERS; k++) {
    partial.powers.push(p);
    p = multiply(spec, partial, p, p);
  }
  t = partial;
  tables.set(spec, t);
  return t;
}

/** a·b mod P, both reflected. */
function multiply(spec: CrcSpec, t: Pick<CrcTables, 'top'>, a: bigint, b: bigint): bigint {
  let m = t.top;
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    if (m === 0n) break;
    b = b & 1n ? (b >> 1n) ^ spec.reflectedPoly : b >> 1n;
  }
  return p;
}

/** x^(8·bytes) mod P. */
function shiftByBytes(spec: CrcSpec, t: CrcTables, bytes: bigint): bigint {
  let p = t.top; // x^0
  let n = bytes;
  let k = 3; // 8 = 2^3
  while (n > 0n) {
    if (n & 1n) {
      const power = t.powers[k];
      if (power === undefined) throw new RangeError('length too large for the CRC tables');
      p = multiply(spec, t, power, p);
    }
    n >>= 1n;
    k++;
  }
  return p;
}

/** The CRC of `data` (table-driven; meant for the few bytes of concatenated part checksums). */
export function crcOf(spec: CrcSpec, data: Uint8Array): bigint {
  const t = tablesOf(spec);
  let c = t.mask;
  for (const byte of data) {
    c = (t.byteTable[Number((c ^ BigInt(byte)) & 0xffn)] ?? 0n) ^ (c >> 8n);
  }
  return c ^ t.mask;
}

/** crc(A ‖ B) from crc(A), crc(B) and |B| in bytes. */
export function crcCombine(spec: CrcSpec, crcA: bigint, crcB: bigint, lengthB: bigint): bigint {
  const t = tablesOf(spec);
  return multiply(spec, t, shiftByBytes(spec, t, lengthB), crcA) ^ crcB;
}

export function crcToBytes(spec: CrcSpec, crc: bigint): Buffer {
  const out = Buffer.alloc(spec.width / 8);
  if (spec.width === 32) out.writeUInt32BE(Number(crc), 0);
  else out.writeBigUInt64BE(crc, 0);
  return out;
}

export function crcFromBytes(spec: CrcSpec, bytes: Uint8Array): bigint | undefined {
  if (bytes.byteLength !== spec.width / 8) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return spec.width === 32 ? BigInt(buf.readUInt32BE(0)) : buf.readBigUInt64BE(0);
}
