import { crc32c } from '@platter/isal';
import { RecordFormatError } from '../errors.js';
import { asBuffer, readU64, writeU64 } from './bytes.js';
import type { RecordPlace } from './record-header.js';

// meta/applied → where recovery starts replaying the extent log. Committed in
// the same LMDB transaction as the index changes it describes:
//   - every record before `from` (in log order: extent id, then offset) is
//     reflected in the index, or had no effect, or is listed in `pending`;
//   - `pending` lists reservations before `from` whose writes or decisions
//     were still under way at that commit (a slow stream, a batch between its
//     fsync and the next index commit). Recovery looks at each one on its own.
//
//   off size field
//     0    1 version (1)
//     1    3 reserved (0)
//     4    4 `from` extent id
//     8    8 `from` offset
//    16    4 pending count n
//    20  12n pending places: extent id (4), offset (8)
//  20+12n  4 CRC32C of (key UTF-8 ‖ bytes [0, 20+12n))

export const META_APPLIED_KEY = 'applied';
const REPLAY_MARK_VERSION = 1;
const FIXED_BYTES = 20;
const PLACE_BYTES = 12;

export interface ReplayMark {
  from: RecordPlace;
  pending: RecordPlace[];
}

export function encodeReplayMark(m: ReplayMark): Buffer {
  const at = FIXED_BYTES + PLACE_BYTES * m.pending.length;
  const buf = Buffer.alloc(at + 4);
  buf.writeUInt8(REPLAY_MARK_VERSION, 0);
  buf.writeUInt32LE(m.from.extentId, 4);
  writeU64(buf, m.from.offset, 8);
  buf.writeUInt32LE(m.pending.length, 16);
  m.pending.forEach((p, i) => {
    buf.writeUInt32LE(p.extentId, FIXED_BYTES + PLACE_BYTES * i);
    writeU64(buf, p.offset, FIXED_BYTES + PLACE_BYTES * i + 4);
  });
  buf.writeUInt32LE(crc32c(buf.subarray(0, at), crc32c(Buffer.from(META_APPLIED_KEY, 'utf8'))), at);
  return buf;
}

export function decodeReplayMark(bytes: Uint8Array): ReplayMark {
  const buf = asBuffer(bytes);
  if (buf.length < FIXED_BYTES + 4) throw new RecordFormatError('short replay mark');
  const n = buf.readUInt32LE(16);
  const at = FIXED_BYTES + PLACE_BYTES * n;
  if (buf.length !== at + 4) throw new RecordFormatError('replay mark length mismatch');
  if (crc32c(buf.subarray(0, at), crc32c(Buffer.from(META_APPLIED_KEY, 'utf8'))) !== buf.readUInt32LE(at))
    throw new RecordFormatError('replay mark CRC mismatch');
  if (buf.readUInt8(0) !== REPLAY_MARK_VERSION) throw new RecordFormatError('unknown replay mark version');
  const pending: RecordPlace[] = [];
  for (let i = 0; i < n; i++) {
    const o = FIXED_BYTES + PLACE_BYTES * i;
    pending.push({ extentId: buf.readUInt32LE(o), offset: readU64(buf, o + 4, 'pending offset') });
  }
  return { from: { extentId: buf.readUInt32LE(4), offset: readU64(buf, 8, 'replay offset') }, pending };
}

/** Log order: extent id, then offset. */
export function comparePlaces(a: RecordPlace, b: RecordPlace): number {
  return a.extentId - b.extentId || a.offset - b.offset;
}
