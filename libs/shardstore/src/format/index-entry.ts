import { crc32c } from '@platter/isal';
import { RecordFormatError } from '../errors.js';
import { asBuffer, readU64, writeU64 } from './bytes.js';

// Index values, hand-encoded with a CRC32C over key and value so that a
// flipped bit in the index is caught like one in an extent.
//
// shards/<shardId> →
//   off size field
//     0    1 version (1)
//     1    1 state: 1 live, 2 tombstone
//     2    2 reserved (0)
//     4    4 extent id
//     8    8 record offset in the extent
//    16    4 record header length (data starts at offset + this)
//    20    4 block size
//    24    8 data length
//    32    8 sequence number
//    40    8 time: created at (live) or deleted at (tombstone), ms
//    48    4 block count n
//    52   4n block CRC32Cs
//  52+4n   4 CRC32C of (key UTF-8 ‖ bytes [0, 52+4n))
//
// A tombstone keeps the location of the dead record, so that compaction can
// drop it together with the extent that held the bytes.

export const INDEX_ENTRY_VERSION = 1;
const ENTRY_FIXED_BYTES = 52;

export type ShardState = 'live' | 'deleted';

export interface ShardEntry {
  state: ShardState;
  extentId: number;
  recordOffset: number;
  headerLength: number;
  blockSize: number;
  dataLength: number;
  sequence: number;
  time: number;
  blockCrcs: readonly number[];
}

function checksum(key: string, body: Buffer): number {
  return crc32c(body, crc32c(Buffer.from(key, 'utf8')));
}

export function encodeShardEntry(key: string, e: ShardEntry): Buffer {
  const n = e.blockCrcs.length;
  const buf = Buffer.alloc(ENTRY_FIXED_BYTES + 4 * n + 4);
  buf.writeUInt8(INDEX_ENTRY_VERSION, 0);
  buf.writeUInt8(e.state === 'live' ? 1 : 2, 1);
  buf.writeUInt32LE(e.extentId, 4);
  writeU64(buf, e.recordOffset, 8);
  buf.writeUInt32LE(e.headerLength, 16);
  buf.writeUInt32LE(e.blockSize, 20);
  writeU64(buf, e.dataLength, 24);
  writeU64(buf, e.sequence, 32);
  writeU64(buf, e.time, 40);
  buf.writeUInt32LE(n, 48);
  e.blockCrcs.forEach((c, i) => buf.writeUInt32LE(c >>> 0, ENTRY_FIXED_BYTES + 4 * i));
  const at = ENTRY_FIXED_BYTES + 4 * n;
  buf.writeUInt32LE(checksum(key, buf.subarray(0, at)), at);
  return buf;
}

export function decodeShardEntry(key: string, bytes: Uint8Array): ShardEntry {
  const buf = asBuffer(bytes);
  if (buf.length < ENTRY_FIXED_BYTES + 4) throw new RecordFormatError('short index entry');
  const n = buf.readUInt32LE(48);
  const at = ENTRY_FIXED_BYTES + 4 * n;
  if (buf.length !== at + 4) throw new RecordFormatError('index entry length mismatch');
  if (checksum(key, buf.subarray(0, at)) !== buf.readUInt32LE(at))
    throw new RecordFormatError('index entry CRC mismatch');
  if (buf.readUInt8(0) !== INDEX_ENTRY_VERSION) throw new RecordFormatError('unknown index entry version');
  const stateByte = buf.readUInt8(1);
  if (stateByte !== 1 && stateByte !== 2) throw new RecordFormatError('bad index entry state');
  const blockCrcs: number[] = [];
  for (let i = 0; i < n; i++) blockCrcs.push(buf.readUInt32LE(ENTRY_FIXED_BYTES + 4 * i));
  const entry: ShardEntry = {
    state: stateByte === 1 ? 'live' : 'deleted',
    extentId: buf.readUInt32LE(4),
    recordOffset: readU64(buf, 8, 'record offset'),
    headerLength: buf.readUInt32LE(16),
    blockSize: buf.readUInt32LE(20),
    dataLength: readU64(buf, 24, 'data length'),
    sequence: readU64(buf, 32, 'sequence'),
    time: readU64(buf, 40, 'time'),
    blockCrcs,
  };
  if (entry.blockSize === 0 || (entry.dataLength === 0 ? 0 : Math.ceil(entry.dataLength / entry.blockSize)) !== n) {
    throw new RecordFormatError('index entry block table does not match its length');
  }
  return entry;
}

// extents/<id as 8 hex digits> →
//   off size field
//     0    1 version (1)
//     1    1 flags: bit 0 sealed (no longer appended to)
//     2    2 reserved (0)
//     4    4 extent id
//     8    8 committed end: every acknowledged record ends at or before it
//    16    8 live bytes (headers + data of live records)
//    24    8 live record count
//    32    4 CRC32C of (key UTF-8 ‖ bytes [0, 32))

const EXTENT_META_BYTES = 36;

export interface ExtentMeta {
  extentId: number;
  sealed: boolean;
  committedEnd: number;
  liveBytes: number;
  liveCount: number;
}

export function extentKey(extentId: number): string {
  return extentId.toString(16).padStart(8, '0');
}

export function encodeExtentMeta(m: ExtentMeta): Buffer {
  const buf = Buffer.alloc(EXTENT_META_BYTES);
  buf.writeUInt8(INDEX_ENTRY_VERSION, 0);
  buf.writeUInt8(m.sealed ? 1 : 0, 1);
  buf.writeUInt32LE(m.extentId, 4);
  writeU64(buf, m.committedEnd, 8);
  writeU64(buf, m.liveBytes, 16);
  writeU64(buf, m.liveCount, 24);
  buf.writeUInt32LE(checksum(extentKey(m.extentId), buf.subarray(0, 32)), 32);
  return buf;
}

export function decodeExtentMeta(key: string, bytes: Uint8Array): ExtentMeta {
  const buf = asBuffer(bytes);
  if (buf.length !== EXTENT_META_BYTES) throw new RecordFormatError('extent meta length mismatch');
  if (checksum(key, buf.subarray(0, 32)) !== buf.readUInt32LE(32))
    throw new RecordFormatError('extent meta CRC mismatch');
  if (buf.readUInt8(0) !== INDEX_ENTRY_VERSION) throw new RecordFormatError('unknown extent meta version');
  const m: ExtentMeta = {
    extentId: buf.readUInt32LE(4),
    sealed: (buf.readUInt8(1) & 1) === 1,
    committedEnd: readU64(buf, 8, 'committed end'),
    liveBytes: readU64(buf, 16, 'live bytes'),
    liveCount: readU64(buf, 24, 'live count'),
  };
  if (extentKey(m.extentId) !== key) throw new RecordFormatError('extent meta key mismatch');
  return m;
}

// locations/<extent 8 hex>:<offset 12 hex> → shard id (UTF-8): which shard a
// record at that place belonged to, so compaction walks an extent's records
// through the index instead of trusting the extent's own bytes. A hint only:
// compaction acts on it only when the shard entry agrees.

export function locationKey(extentId: number, offset: number): string {
  return `${extentKey(extentId)}:${offset.toString(16).padStart(12, '0')}`;
}

export function locationRange(extentId: number): { start: string; end: string } {
  return { start: `${extentKey(extentId)}:`, end: `${extentKey(extentId)};` };
}

export function parseLocationKey(key: string): { extentId: number; offset: number } | undefined {
  const m = /^([0-9a-f]{8}):([0-9a-f]{12})$/.exec(key);
  return m ? { extentId: parseInt(m[1]!, 16), offset: parseInt(m[2]!, 16) } : undefined;
}
