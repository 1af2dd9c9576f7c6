import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../crc.js';
import { RecordFormatError } from '../errors.js';
import {
  decodeRecord,
  decodeRecordHeader,
  encodeRecordHeader,
  MAX_SHARD_ID_BYTES,
  recordHeaderLength,
} from './record-header.js';
import { decodeExtentMeta, decodeShardEntry, encodeExtentMeta, encodeShardEntry, extentKey } from './index-entry.js';
import { decodeSuperblock, encodeSuperblock } from './superblock.js';

// Decoder fuzzing (RELIABILITY.md layer 2): arbitrary bytes into every parser
// of on-disk data give a typed error or a valid value, never another throw.

function makeRecord(shardId: string, data: Buffer, blockSize: number): Buffer {
  const crcs: number[] = [];
  for (let p = 0; p < data.length; p += blockSize) crcs.push(crc32c(data.subarray(p, p + blockSize)));
  const header = encodeRecordHeader({
    shardId,
    blockSize,
    dataLength: data.length,
    sequence: 42,
    createdAt: 1_700_000_000_000,
    blockCrcs: crcs,
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
  it('round-trips headers and records', () => {
    fc.assert(
      fc.property(idArb, fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 16, max: 64 }), (id, bytes, bs) => {
        const data = Buffer.from(bytes);
        const rec = makeRecord(id, data, bs);
        const d = decodeRecord(Buffer.concat([rec, Buffer.from('trailing')]));
        expect(d.header.shardId).toBe(id);
        expect(d.header.dataLength).toBe(data.length);
        expect(d.header.headerLength).toBe(recordHeaderLength(Buffer.byteLength(id), data.length, bs));
        expect(d.data).toEqual(data);
        expect(d.recordLength).toBe(rec.length);
      }),
    );
  });

  it('rejects every single-bit flip in a record', () => {
    const rec = makeRecord('shard-1', Buffer.from('some shard bytes, long enough for a few blocks of sixteen'), 16);
    for (let bit = 0; bit < rec.length * 8; bit++) {
      const bad = Buffer.from(rec);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => decodeRecord(bad), `bit ${bit}`).toThrow(RecordFormatError);
    }
  });

  it('rejects truncations with a typed error', () => {
    const rec = makeRecord('x', Buffer.alloc(100, 7), 32);
    for (let n = 0; n < rec.length; n++) expect(() => decodeRecord(rec.subarray(0, n))).toThrow(RecordFormatError);
  });

  it('refuses ids longer than the limit when encoding', () => {
    expect(() => makeRecord('x'.repeat(MAX_SHARD_ID_BYTES + 1), Buffer.alloc(1), 16)).toThrow();
  });

  it('decodes arbitrary bytes to a record or a RecordFormatError, quickly', () => {
    const valid = makeRecord('fuzz', Buffer.alloc(64, 1), 16);
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      // Valid records with random mutations reach deeper than pure noise.
      fc
        .tuple(
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
          fc.nat({ max: valid.length }),
        )
        .map(([muts, cut]) => {
          const b = Buffer.from(valid.subarray(0, Math.max(cut, 1)));
          for (const [at, v] of muts) b[at % b.length] = v;
          return b;
        }),
    );
    fc.assert(
      fc.property(arb, (bytes) => {
        const t0 = performance.now();
        onlyFormatErrors(() => decodeRecord(bytes));
        onlyFormatErrors(() => decodeRecordHeader(bytes));
        expect(performance.now() - t0).toBeLessThan(50);
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
      }),
      { numRuns: 3000 },
    );
  });
});
