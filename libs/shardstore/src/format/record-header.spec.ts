import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '@platter/isal';
import { RecordFormatError } from '../errors.js';
import {
  decodeRecord,
  decodeRecordHeader,
  decodeRecordPrefix,
  encodeDeleteRecord,
  encodeShardRecordHeader,
  encodeShardRecordPrefix,
  MAX_SHARD_ID_BYTES,
  RECORD_PREFIX_BYTES,
  recordHeaderLength,
} from './record-header.js';
import { decodeExtentMeta, decodeShardEntry, encodeExtentMeta, encodeShardEntry, extentKey } from './index-entry.js';
import { decodeReplayMark, encodeReplayMark } from './replay-mark.js';
import { decodeSuperblock, encodeSuperblock } from './superblock.js';

// Decoder fuzzing (RELIABILITY.md layer 2): arbitrary bytes into every parser
// of on-disk data give a typed error or a valid value, never another throw.

const PLACE = { extentId: 7, offset: 4096 };

function makeRecord(shardId: string, data: Buffer, blockSize: number, kind: 'put' | 'move' = 'put'): Buffer {
  const crcs: number[] = [];
  for (let p = 0; p < data.length; p += blockSize) crcs.push(crc32c(data.subarray(p, p + blockSize)));
  const header = encodeShardRecordHeader({
    kind,
    ...PLACE,
    shardId,
    blockSize,
    dataLength: data.length,
    sequence: 42,
    createdAt: 1_700_000_000_000,
    blockCrcs: crcs,
    ...(kind === 'move' ? { movedFrom: { extentId: 3, offset: 99 } } : {}),
  });
  return Buffer.concat([header, data]);
}

function onlyFormatErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof RecordFormatError)) throw err;
  }
}

const idArb = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => Buffer.from(s, 'utf8').toString('utf8') === s);

describe('record format', () => {
  it('round-trips put, move and delete records', () => {
    fc.assert(
      fc.property(
        idArb,
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 16, max: 64 }),
        fc.boolean(),
        (id, bytes, bs, move) => {
          const data = Buffer.from(bytes);
          const rec = makeRecord(id, data, bs, move ? 'move' : 'put');
          const d = decodeRecord(Buffer.concat([rec, Buffer.from('trailing')]), PLACE);
          expect(d.header).toMatchObject({ kind: move ? 'move' : 'put', shardId: id, sequence: 42, ...PLACE });
          if (d.header.kind === 'delete') throw new Error('not a delete');
          expect(d.header.dataLength).toBe(data.length);
          expect(d.header.headerLength).toBe(recordHeaderLength(Buffer.byteLength(id), data.length, bs));
          expect(d.header.movedFrom).toEqual(move ? { extentId: 3, offset: 99 } : undefined);
          expect(d.data).toEqual(data);
          expect(d.recordLength).toBe(rec.length);
          const del = encodeDeleteRecord({ ...PLACE, shardId: id, sequence: 43, deletedAt: 5 });
          expect(decodeRecordHeader(del, PLACE)).toMatchObject({
            kind: 'delete',
            shardId: id,
            sequence: 43,
            deletedAt: 5,
            recordLength: del.length,
          });
        },
      ),
    );
  });

  it('writes first the same prefix that the finished header starts with', () => {
    const rec = makeRecord('p', Buffer.alloc(100, 3), 32);
    const prefix = encodeShardRecordPrefix({
      kind: 'put',
      ...PLACE,
      shardId: 'p',
      blockSize: 32,
      dataLength: 100,
      sequence: 42,
      createdAt: 1_700_000_000_000,
    });
    expect(prefix).toEqual(rec.subarray(0, RECORD_PREFIX_BYTES));
    // The prefix alone gives the length; the rest of the header does not verify yet.
    expect(decodeRecordPrefix(prefix, PLACE).recordLength).toBe(rec.length);
    const unfinished = Buffer.concat([prefix, Buffer.alloc(rec.length - prefix.length)]);
    expect(() => decodeRecordHeader(unfinished, PLACE)).toThrow(RecordFormatError);
  });

  it('refuses a record read anywhere but where it was written', () => {
    const rec = makeRecord('here', Buffer.alloc(40, 1), 16);
    expect(decodeRecordPrefix(rec, PLACE).offset).toBe(PLACE.offset);
    expect(() => decodeRecordPrefix(rec, { extentId: 7, offset: 4097 })).toThrow(RecordFormatError);
    expect(() => decodeRecordPrefix(rec, { extentId: 8, offset: 4096 })).toThrow(RecordFormatError);
  });

  it('rejects every single-bit flip in a record', () => {
    const records = [
      makeRecord('shard-1', Buffer.from('some shard bytes, long enough for a few blocks of sixteen'), 16),
      makeRecord('m', Buffer.alloc(20, 9), 16, 'move'),
      encodeDeleteRecord({ ...PLACE, shardId: 'gone', sequence: 1, deletedAt: 2 }),
    ];
    for (const rec of records) {
      for (let bit = 0; bit < rec.length * 8; bit++) {
        const bad = Buffer.from(rec);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(() => decodeRecord(bad, PLACE), `bit ${bit}`).toThrow(RecordFormatError);
      }
    }
  });

  it('rejects truncations with a typed error', () => {
    const rec = makeRecord('x', Buffer.alloc(100, 7), 32);
    for (let n = 0; n < rec.length; n++)
      expect(() => decodeRecord(rec.subarray(0, n), PLACE)).toThrow(RecordFormatError);
  });

  it('refuses ids longer than the limit when encoding', () => {
    expect(() => makeRecord('x'.repeat(MAX_SHARD_ID_BYTES + 1), Buffer.alloc(1), 16)).toThrow(RecordFormatError);
  });

  it('decodes arbitrary bytes to a record or a RecordFormatError, quickly', () => {
    const HANG_BOUND_MS = 1_000;
    const valids = [
      makeRecord('fuzz', Buffer.alloc(64, 1), 16),
      makeRecord('fm', Buffer.alloc(30, 2), 16, 'move'),
      encodeDeleteRecord({ ...PLACE, shardId: 'fd', sequence: 9, deletedAt: 1 }),
    ];
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      // Valid records with random mutations reach deeper than pure noise.
      fc
        .tuple(
          fc.nat({ max: valids.length - 1 }),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
          fc.nat({ max: 200 }),
        )
        .map(([which, muts, cut]) => {
          const valid = valids[which]!;
          const b = Buffer.from(valid.subarray(0, Math.max(Math.min(cut, valid.length), 1)));
          for (const [at, v] of muts) b[at % b.length] = v;
          return b;
        }),
    );
    fc.assert(
      fc.property(arb, (bytes) => {
        const t0 = performance.now();
        onlyFormatErrors(() => decodeRecord(bytes, PLACE));
        onlyFormatErrors(() => decodeRecordHeader(bytes, PLACE));
        onlyFormatErrors(() => decodeRecordPrefix(bytes, PLACE));
        // "Never a hang": a generous bound, since a loaded machine can stall any call for tens of ms.
        expect(performance.now() - t0).toBeLessThan(HANG_BOUND_MS);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('index values and superblock', () => {
  it('round-trip and catch flips and foreign keys', () => {
    const entry = {
      state: 'live' as const,
      extentId: 3,
      recordOffset: 12345,
      headerLength: 60,
      blockSize: 1024,
      dataLength: 3000,
      sequence: 9,
      time: 1,
      blockCrcs: [1, 2, 3],
    };
    const enc = encodeShardEntry('k', entry);
    expect(decodeShardEntry('k', enc)).toEqual(entry);
    expect(() => decodeShardEntry('other-key', enc)).toThrow(RecordFormatError);
    for (let i = 0; i < enc.length; i++) {
      const bad = Buffer.from(enc);
      bad[i]! ^= 0x10;
      expect(() => decodeShardEntry('k', bad)).toThrow(RecordFormatError);
    }
    const meta = { extentId: 7, sealed: true, committedEnd: 99, liveBytes: 50, liveCount: 2 };
    expect(decodeExtentMeta(extentKey(7), encodeExtentMeta(meta))).toEqual(meta);
    expect(() => decodeExtentMeta(extentKey(8), encodeExtentMeta(meta))).toThrow(RecordFormatError);
    const mark = {
      from: { extentId: 4, offset: 1234 },
      pending: [
        { extentId: 3, offset: 10 },
        { extentId: 4, offset: 0 },
      ],
    };
    const encMark = encodeReplayMark(mark);
    expect(decodeReplayMark(encMark)).toEqual(mark);
    for (let i = 0; i < encMark.length; i++) {
      const bad = Buffer.from(encMark);
      bad[i]! ^= 0x02;
      expect(() => decodeReplayMark(bad)).toThrow(RecordFormatError);
    }
    const sb = { diskUuid: 'u', clusterId: 'c', createdAt: 'now' };
    expect(decodeSuperblock(encodeSuperblock(sb))).toEqual(sb);
    const tampered = Buffer.from(encodeSuperblock(sb).toString().replace('"c"', '"d"'));
    expect(() => decodeSuperblock(tampered)).toThrow(RecordFormatError);
  });

  it('decode arbitrary bytes to a value or a RecordFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 10 }), (bytes, key) => {
        onlyFormatErrors(() => decodeShardEntry(key, bytes));
        onlyFormatErrors(() => decodeExtentMeta(key, bytes));
        onlyFormatErrors(() => decodeSuperblock(bytes));
        onlyFormatErrors(() => decodeReplayMark(bytes));
      }),
      { numRuns: 3000 },
    );
  });
});
