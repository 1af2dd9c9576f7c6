import { crc32c } from '../crc.js';
import { RecordFormatError } from '../errors.js';
import { asBuffer, decodeUtf8, readU64, writeU64 } from './bytes.js';

// One record in an extent = this header + the shard's bytes. The header is
// written after the data (its CRC table needs every block), at a position
// reserved before the data, so a valid header implies the writer finished.
//
//   off  size  field
//     0     4  magic "PSR1"
//     4     2  format version (1)
//     6     2  flags (0)
//     8     4  header length H (bytes, through the header CRC)
//    12     4  block size B
//    16     8  data length L
//    24     8  sequence number
//    32     8  created at (ms since the epoch)
//    40     2  shard id length I
//    42     I  shard id (UTF-8)
//  42+I   4n  CRC32C of each data block, n = ceil(L / B)
//  42+I+4n 4  CRC32C of bytes [0, 42+I+4n)
//     H     L  data

export const RECORD_MAGIC = Buffer.from('PSR1', 'latin1');
export const RECORD_FORMAT_VERSION = 1;
/** Bytes before the shard id. */
export const RECORD_FIXED_BYTES = 42;
/** Shard ids are opaque to us but bounded: they are index keys (LMDB caps keys near 2 KiB). */
export const MAX_SHARD_ID_BYTES = 256;
/** Tiny blocks exist for tests that want many blocks in a few bytes. */
export const MIN_BLOCK_SIZE_BYTES = 16;
/** Larger blocks would make a single read or CRC pass hold the event loop too long. */
export const MAX_BLOCK_SIZE_BYTES = 64 * 2 ** 20;
/** 2^48 bytes = 256 TiB: any real shard, with room to spare, and exact in a double. */
export const MAX_DATA_LENGTH_BYTES = 2 ** 48;
/** Bounds memory for a header read from untrusted bytes (4 M blocks). */
export const MAX_HEADER_BYTES = 16 * 2 ** 20;

export interface RecordHeader {
  shardId: string;
  blockSize: number;
  dataLength: number;
  sequence: number;
  createdAt: number;
  blockCrcs: readonly number[];
  headerLength: number;
}

export function blockCountOf(dataLength: number, blockSize: number): number {
  return dataLength === 0 ? 0 : Math.ceil(dataLength / blockSize);
}

export function recordHeaderLength(shardIdBytes: number, dataLength: number, blockSize: number): number {
  return RECORD_FIXED_BYTES + shardIdBytes + 4 * blockCountOf(dataLength, blockSize) + 4;
}

export function encodeRecordHeader(h: Omit<RecordHeader, 'headerLength'>): Buffer {
  const id = Buffer.from(h.shardId, 'utf8');
  // Never write what the decoder would refuse to read back.
  if (id.length === 0 || id.length > MAX_SHARD_ID_BYTES)
    throw new RecordFormatError(`bad shard id length ${id.length}`);
  if (h.blockSize < MIN_BLOCK_SIZE_BYTES || h.blockSize > MAX_BLOCK_SIZE_BYTES)
    throw new RecordFormatError(`bad block size ${h.blockSize}`);
  if (h.dataLength > MAX_DATA_LENGTH_BYTES) throw new RecordFormatError(`bad data length ${h.dataLength}`);
  const n = blockCountOf(h.dataLength, h.blockSize);
  if (h.blockCrcs.length !== n) throw new RecordFormatError(`expected ${n} block CRCs, got ${h.blockCrcs.length}`);
  const len = recordHeaderLength(id.length, h.dataLength, h.blockSize);
  const buf = Buffer.allocUnsafe(len);
  RECORD_MAGIC.copy(buf, 0);
  buf.writeUInt16LE(RECORD_FORMAT_VERSION, 4);
  buf.writeUInt16LE(0, 6);
  buf.writeUInt32LE(len, 8);
  buf.writeUInt32LE(h.blockSize, 12);
  writeU64(buf, h.dataLength, 16);
  writeU64(buf, h.sequence, 24);
  writeU64(buf, h.createdAt, 32);
  buf.writeUInt16LE(id.length, 40);
  id.copy(buf, RECORD_FIXED_BYTES);
  let p = RECORD_FIXED_BYTES + id.length;
  for (const c of h.blockCrcs) {
    buf.writeUInt32LE(c >>> 0, p);
    p += 4;
  }
  buf.writeUInt32LE(crc32c(buf.subarray(0, p)), p);
  return buf;
}

/**
 * Validates the fixed part of a header and returns its full length, so that a
 * reader knows how much more to read. Throws RecordFormatError on any doubt:
 * a length is never trusted before its fields are consistent.
 */
export function peekRecordHeaderLength(prefix: Uint8Array): number {
  const buf = asBuffer(prefix);
  if (buf.length < RECORD_FIXED_BYTES) throw new RecordFormatError(`short header: ${buf.length} bytes`);
  if (!buf.subarray(0, 4).equals(RECORD_MAGIC)) throw new RecordFormatError('bad record magic');
  const version = buf.readUInt16LE(4);
  if (version !== RECORD_FORMAT_VERSION) throw new RecordFormatError(`unknown record version ${version}`);
  if (buf.readUInt16LE(6) !== 0) throw new RecordFormatError('unknown record flags');
  const headerLength = buf.readUInt32LE(8);
  const blockSize = buf.readUInt32LE(12);
  const dataLength = readU64(buf, 16, 'data length');
  const idLength = buf.readUInt16LE(40);
  if (blockSize < MIN_BLOCK_SIZE_BYTES || blockSize > MAX_BLOCK_SIZE_BYTES)
    throw new RecordFormatError(`bad block size ${blockSize}`);
  if (dataLength > MAX_DATA_LENGTH_BYTES) throw new RecordFormatError(`bad data length ${dataLength}`);
  if (idLength === 0 || idLength > MAX_SHARD_ID_BYTES) throw new RecordFormatError(`bad shard id length ${idLength}`);
  const expected = recordHeaderLength(idLength, dataLength, blockSize);
  if (headerLength !== expected || headerLength > MAX_HEADER_BYTES)
    throw new RecordFormatError(`bad header length ${headerLength}`);
  return headerLength;
}

/** Decodes and verifies a whole header; `bytes` may extend past it. */
export function decodeRecordHeader(bytes: Uint8Array): RecordHeader {
  const headerLength = peekRecordHeaderLength(bytes);
  const buf = asBuffer(bytes);
  if (buf.length < headerLength)
    throw new RecordFormatError(`truncated header: ${buf.length} of ${headerLength} bytes`);
  const crcAt = headerLength - 4;
  if (crc32c(buf.subarray(0, crcAt)) !== buf.readUInt32LE(crcAt)) throw new RecordFormatError('header CRC mismatch');
  const idLength = buf.readUInt16LE(40);
  const shardId = decodeUtf8(buf.subarray(RECORD_FIXED_BYTES, RECORD_FIXED_BYTES + idLength), 'shard id');
  const blockCrcs: number[] = [];
  for (let p = RECORD_FIXED_BYTES + idLength; p < crcAt; p += 4) blockCrcs.push(buf.readUInt32LE(p));
  return {
    shardId,
    blockSize: buf.readUInt32LE(12),
    dataLength: readU64(buf, 16, 'data length'),
    sequence: readU64(buf, 24, 'sequence'),
    createdAt: readU64(buf, 32, 'created at'),
    blockCrcs,
    headerLength,
  };
}

export interface DecodedRecord {
  header: RecordHeader;
  /** A view of the data inside `bytes`. */
  data: Buffer;
  /** Header plus data: where the next record starts. */
  recordLength: number;
}

/** Decodes a whole record at the start of `bytes`, verifying every block CRC. */
export function decodeRecord(bytes: Uint8Array): DecodedRecord {
  const header = decodeRecordHeader(bytes);
  const buf = asBuffer(bytes);
  const end = header.headerLength + header.dataLength;
  if (buf.length < end) throw new RecordFormatError(`truncated record: ${buf.length} of ${end} bytes`);
  const data = buf.subarray(header.headerLength, end);
  header.blockCrcs.forEach((expected, i) => {
    const block = data.subarray(i * header.blockSize, Math.min(data.length, (i + 1) * header.blockSize));
    if (crc32c(block) !== expected) throw new RecordFormatError(`block ${i} CRC mismatch`);
  });
  return { header, data, recordLength: end };
}
