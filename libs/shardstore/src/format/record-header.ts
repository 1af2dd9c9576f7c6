import { crc32c } from '@platter/isal';
import { RecordFormatError } from '../errors.js';
import { asBuffer, decodeUtf8, readU64, writeU64 } from './bytes.js';

// The extents are the redo log: every change to the index is a record in an
// extent, and recovery replays the records the index has not applied yet.
// A record = a prefix + a kind-specific body (together, the header) + data.
//
// The prefix carries the record's length under its own CRC and is written
// first — when space is reserved — so that a scanner can step over a record
// whose writer has not finished (or never will) to reach the ones after it.
// The rest of the header is written last, after the data, and its CRC covers
// the prefix too: a valid header means the writer finished. Both name the
// record's own extent and offset, so bytes that look like a record anywhere
// else (inside shard data, say) never verify.
//
// Prefix, 44 bytes:
//   off size field
//     0    4 magic "PSR2"
//     4    1 format version (2)
//     5    1 kind: 1 put, 2 delete, 3 move (a compaction copy)
//     6    2 flags (0)
//     8    4 extent id
//    12    4 header length H (prefix + body + header CRC; data starts here)
//    16    8 record offset (where this prefix sits in the extent)
//    24    8 record length R = H + data length (the next record starts at offset + R)
//    32    8 sequence number
//    40    4 CRC32C of bytes [0, 40)
// Body of put and move:
//    44    4 block size B
//    48    8 created at, ms since the epoch (a move keeps the original's)
//    56    4 moved-from extent id (move; 0 for put)
//    60    8 moved-from record offset (move; 0 for put)
//    68    2 shard id length I (1..256)
//    70    I shard id, UTF-8
//  70+I   4n CRC32C of each data block, n = ceil((R - H) / B)
//  H-4     4 CRC32C of bytes [0, H-4)
// Body of delete (no data, R = H):
//    44    8 deleted at, ms
//    52    2 shard id length I
//    54    I shard id
//  54+I    4 CRC32C of bytes [0, H-4)

export const RECORD_MAGIC = Buffer.from('PSR2', 'latin1');
export const RECORD_FORMAT_VERSION = 2;
/** The self-verifying prefix every record starts with. */
export const RECORD_PREFIX_BYTES = 44;
const SHARD_BODY_FIXED_BYTES = 70; // through the shard id length
const DELETE_BODY_FIXED_BYTES = 54;
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

export type RecordKind = 'put' | 'delete' | 'move';
const KIND_CODES: Record<RecordKind, number> = { put: 1, delete: 2, move: 3 };
const KINDS: readonly RecordKind[] = ['put', 'delete', 'move'];

/** Where a record sits; part of what its CRCs cover. */
export interface RecordPlace {
  extentId: number;
  offset: number;
}

export interface RecordPrefix extends RecordPlace {
  kind: RecordKind;
  headerLength: number;
  recordLength: number;
  sequence: number;
}

export interface ShardRecordHeader extends RecordPrefix {
  kind: 'put' | 'move';
  shardId: string;
  blockSize: number;
  dataLength: number;
  createdAt: number;
  /** The record a move copied (kind 'move' only). */
  movedFrom?: RecordPlace;
  blockCrcs: readonly number[];
}

export interface DeleteRecordHeader extends RecordPrefix {
  kind: 'delete';
  shardId: string;
  deletedAt: number;
}

export type RecordHeader = ShardRecordHeader | DeleteRecordHeader;

export function blockCountOf(dataLength: number, blockSize: number): number {
  return dataLength === 0 ? 0 : Math.ceil(dataLength / blockSize);
}

/** Header length of a put or move record. */
export function recordHeaderLength(shardIdBytes: number, dataLength: number, blockSize: number): number {
  return SHARD_BODY_FIXED_BYTES + shardIdBytes + 4 * blockCountOf(dataLength, blockSize) + 4;
}

/** Length of a delete record (header only). */
export function deleteRecordLength(shardIdBytes: number): number {
  return DELETE_BODY_FIXED_BYTES + shardIdBytes + 4;
}

function shardIdBytes(shardId: string): Buffer {
  const id = Buffer.from(shardId, 'utf8');
  // Never write what the decoder would refuse to read back.
  if (id.length === 0 || id.length > MAX_SHARD_ID_BYTES)
    throw new RecordFormatError(`bad shard id length ${id.length}`);
  return id;
}

// Positional, not an object: building one per record (with a spread) cost
// more than the encoding itself on the 4 KiB put path.
function writePrefix(
  buf: Buffer,
  kind: RecordKind,
  place: RecordPlace,
  sequence: number,
  headerLength: number,
  recordLength: number,
): void {
  RECORD_MAGIC.copy(buf, 0);
  buf.writeUInt8(RECORD_FORMAT_VERSION, 4);
  buf.writeUInt8(KIND_CODES[kind], 5);
  buf.writeUInt16LE(0, 6);
  buf.writeUInt32LE(place.extentId, 8);
  buf.writeUInt32LE(headerLength, 12);
  writeU64(buf, place.offset, 16);
  writeU64(buf, recordLength, 24);
  writeU64(buf, sequence, 32);
  buf.writeUInt32LE(crc32c(buf.subarray(0, 40)), 40);
}

/** The whole header of a put or move record (its prefix included), into the start of `into` when given. */
export function encodeShardRecordHeader(
  h: Omit<ShardRecordHeader, 'headerLength' | 'recordLength'>,
  into?: Buffer,
): Buffer {
  const id = shardIdBytes(h.shardId);
  if (h.blockSize < MIN_BLOCK_SIZE_BYTES || h.blockSize > MAX_BLOCK_SIZE_BYTES)
    throw new RecordFormatError(`bad block size ${h.blockSize}`);
  if (h.dataLength > MAX_DATA_LENGTH_BYTES) throw new RecordFormatError(`bad data length ${h.dataLength}`);
  if ((h.kind === 'move') !== (h.movedFrom !== undefined))
    throw new RecordFormatError('a move record, and only one, names where it moved from');
  const n = blockCountOf(h.dataLength, h.blockSize);
  if (h.blockCrcs.length !== n) throw new RecordFormatError(`expected ${n} block CRCs, got ${h.blockCrcs.length}`);
  const len = recordHeaderLength(id.length, h.dataLength, h.blockSize);
  if (into && into.length < len)
    throw new RecordFormatError(`a ${len}-byte header does not fit in ${into.length} bytes`);
  const buf = into ? into.subarray(0, len) : Buffer.allocUnsafe(len);
  writePrefix(buf, h.kind, h, h.sequence, len, len + h.dataLength);
  buf.writeUInt32LE(h.blockSize, 44);
  writeU64(buf, h.createdAt, 48);
  buf.writeUInt32LE(h.movedFrom?.extentId ?? 0, 56);
  writeU64(buf, h.movedFrom?.offset ?? 0, 60);
  buf.writeUInt16LE(id.length, 68);
  id.copy(buf, SHARD_BODY_FIXED_BYTES);
  let p = SHARD_BODY_FIXED_BYTES + id.length;
  for (const c of h.blockCrcs) {
    buf.writeUInt32LE(c >>> 0, p);
    p += 4;
  }
  buf.writeUInt32LE(crc32c(buf.subarray(0, p)), p);
  return buf;
}

/**
 * Only the prefix of a put or move record, written at reservation time (the
 * block CRCs, and so the rest of the header, are known only once the data is
 * in). The same bytes open the final header.
 */
export function encodeShardRecordPrefix(
  h: Omit<ShardRecordHeader, 'headerLength' | 'recordLength' | 'blockCrcs'>,
): Buffer {
  const id = shardIdBytes(h.shardId);
  const headerLength = recordHeaderLength(id.length, h.dataLength, h.blockSize);
  const buf = Buffer.allocUnsafe(RECORD_PREFIX_BYTES);
  writePrefix(buf, h.kind, h, h.sequence, headerLength, headerLength + h.dataLength);
  return buf;
}

export function encodeDeleteRecord(h: Omit<DeleteRecordHeader, 'kind' | 'headerLength' | 'recordLength'>): Buffer {
  const id = shardIdBytes(h.shardId);
  const len = deleteRecordLength(id.length);
  const buf = Buffer.allocUnsafe(len);
  writePrefix(buf, 'delete', h, h.sequence, len, len);
  writeU64(buf, h.deletedAt, 44);
  buf.writeUInt16LE(id.length, 52);
  id.copy(buf, DELETE_BODY_FIXED_BYTES);
  buf.writeUInt32LE(crc32c(buf.subarray(0, len - 4)), len - 4);
  return buf;
}

/**
 * Decodes and verifies a prefix found at `place`. Throws RecordFormatError on
 * any doubt: a length is never trusted before its CRC and its fields agree.
 */
export function decodeRecordPrefix(bytes: Uint8Array, place: RecordPlace): RecordPrefix {
  const buf = asBuffer(bytes);
  if (buf.length < RECORD_PREFIX_BYTES) throw new RecordFormatError(`short record prefix: ${buf.length} bytes`);
  if (!buf.subarray(0, 4).equals(RECORD_MAGIC)) throw new RecordFormatError('bad record magic');
  if (crc32c(buf.subarray(0, 40)) !== buf.readUInt32LE(40)) throw new RecordFormatError('record prefix CRC mismatch');
  const version = buf.readUInt8(4);
  if (version !== RECORD_FORMAT_VERSION) throw new RecordFormatError(`unknown record version ${version}`);
  const kind = KINDS[buf.readUInt8(5) - 1];
  if (kind === undefined) throw new RecordFormatError(`unknown record kind ${buf.readUInt8(5)}`);
  if (buf.readUInt16LE(6) !== 0) throw new RecordFormatError('unknown record flags');
  const p: RecordPrefix = {
    kind,
    extentId: buf.readUInt32LE(8),
    headerLength: buf.readUInt32LE(12),
    offset: readU64(buf, 16, 'record offset'),
    recordLength: readU64(buf, 24, 'record length'),
    sequence: readU64(buf, 32, 'sequence'),
  };
  if (p.extentId !== place.extentId || p.offset !== place.offset)
    throw new RecordFormatError(`record names ${p.extentId}@${p.offset}, found at ${place.extentId}@${place.offset}`);
  const minHeader = kind === 'delete' ? deleteRecordLength(1) : recordHeaderLength(1, 0, MIN_BLOCK_SIZE_BYTES);
  if (p.headerLength < minHeader || p.headerLength > MAX_HEADER_BYTES)
    throw new RecordFormatError(`bad header length ${p.headerLength}`);
  if (p.recordLength < p.headerLength || p.recordLength - p.headerLength > MAX_DATA_LENGTH_BYTES)
    throw new RecordFormatError(`bad record length ${p.recordLength}`);
  if (kind === 'delete' && p.recordLength !== p.headerLength)
    throw new RecordFormatError('a delete record has no data');
  return p;
}

/** Decodes and verifies a whole header found at `place`; `bytes` may extend past it. */
export function decodeRecordHeader(bytes: Uint8Array, place: RecordPlace): RecordHeader {
  const p = decodeRecordPrefix(bytes, place);
  const buf = asBuffer(bytes);
  if (buf.length < p.headerLength)
    throw new RecordFormatError(`truncated header: ${buf.length} of ${p.headerLength} bytes`);
  const crcAt = p.headerLength - 4;
  if (crc32c(buf.subarray(0, crcAt)) !== buf.readUInt32LE(crcAt)) throw new RecordFormatError('header CRC mismatch');
  if (p.kind === 'delete') {
    const idLength = buf.readUInt16LE(52);
    if (idLength === 0 || idLength > MAX_SHARD_ID_BYTES || deleteRecordLength(idLength) !== p.headerLength)
      throw new RecordFormatError(`bad shard id length ${idLength}`);
    return {
      ...p,
      kind: 'delete',
      deletedAt: readU64(buf, 44, 'deleted at'),
      shardId: decodeUtf8(buf.subarray(DELETE_BODY_FIXED_BYTES, DELETE_BODY_FIXED_BYTES + idLength), 'shard id'),
    };
  }
  const blockSize = buf.readUInt32LE(44);
  const idLength = buf.readUInt16LE(68);
  const dataLength = p.recordLength - p.headerLength;
  if (blockSize < MIN_BLOCK_SIZE_BYTES || blockSize > MAX_BLOCK_SIZE_BYTES)
    throw new RecordFormatError(`bad block size ${blockSize}`);
  if (idLength === 0 || idLength > MAX_SHARD_ID_BYTES) throw new RecordFormatError(`bad shard id length ${idLength}`);
  if (recordHeaderLength(idLength, dataLength, blockSize) !== p.headerLength)
    throw new RecordFormatError('header length disagrees with the block table');
  const fromExtent = buf.readUInt32LE(56);
  const fromOffset = readU64(buf, 60, 'moved-from offset');
  if (p.kind === 'put' && (fromExtent !== 0 || fromOffset !== 0))
    throw new RecordFormatError('a put record names a source');
  const blockCrcs: number[] = [];
  for (let q = SHARD_BODY_FIXED_BYTES + idLength; q < crcAt; q += 4) blockCrcs.push(buf.readUInt32LE(q));
  const h: ShardRecordHeader = {
    ...p,
    kind: p.kind,
    shardId: decodeUtf8(buf.subarray(SHARD_BODY_FIXED_BYTES, SHARD_BODY_FIXED_BYTES + idLength), 'shard id'),
    blockSize,
    dataLength,
    createdAt: readU64(buf, 48, 'created at'),
    blockCrcs,
  };
  if (p.kind === 'move') h.movedFrom = { extentId: fromExtent, offset: fromOffset };
  return h;
}

/** The first block of a record's `data` whose CRC differs from its header's, if any. */
export function firstBadBlock(h: ShardRecordHeader, data: Uint8Array): number | undefined {
  for (let i = 0; i < h.blockCrcs.length; i++) {
    const block = data.subarray(i * h.blockSize, Math.min(data.byteLength, (i + 1) * h.blockSize));
    if (crc32c(block) !== h.blockCrcs[i]) return i;
  }
  return undefined;
}

export interface DecodedRecord {
  header: RecordHeader;
  /** A view of the data inside `bytes` (empty for a delete). */
  data: Buffer;
  /** Header plus data: where the next record starts, relative to this one. */
  recordLength: number;
}

/** Decodes a whole record at the start of `bytes`, found at `place`, verifying every block CRC. */
export function decodeRecord(bytes: Uint8Array, place: RecordPlace): DecodedRecord {
  const header = decodeRecordHeader(bytes, place);
  const buf = asBuffer(bytes);
  if (buf.length < header.recordLength)
    throw new RecordFormatError(`truncated record: ${buf.length} of ${header.recordLength} bytes`);
  const data = buf.subarray(header.headerLength, header.recordLength);
  if (header.kind !== 'delete') {
    const bad = firstBadBlock(header, data);
    if (bad !== undefined) throw new RecordFormatError(`block ${bad} CRC mismatch`);
  }
  return { header, data, recordLength: header.recordLength };
}
