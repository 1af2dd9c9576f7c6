import { namespaceV1 } from '@platter/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from './journal-entry.js';
import { JournalRowError, decodeJournalRow, encodeJournalRow } from './journal-row.js';

const mutation = fc.record({
  database: fc.constantFrom('meta', 'versions', 'null_versions', 'write_ids'),
  kind: fc.constantFrom(namespaceV1.MutationKind.PUT, namespaceV1.MutationKind.DELETE),
  key: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  value: fc.uint8Array({ maxLength: 300 }),
});
const entry = fc
  .record({
    sequence: fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }),
    formatVersion: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    mutations: fc.array(mutation, { maxLength: 8 }),
  })
  .map((e): JournalEntry => ({
    $typeName: 'platter.namespace.v1.JournalEntry',
    ...e,
    mutations: e.mutations.map((m) => ({ $typeName: 'platter.namespace.v1.KvMutation', ...m })),
  }));

// u8 format, u64 sequence, u32 format version, u32 mutation count; then u8 kind, u8 name length, name.
const HEADER_BYTES = 17;

function mutationOf(e: JournalEntry): namespaceV1.KvMutation {
  return (
    e.mutations[0] ?? {
      $typeName: 'platter.namespace.v1.KvMutation',
      database: 'meta',
      kind: namespaceV1.MutationKind.PUT,
      key: new Uint8Array([1]),
      value: new Uint8Array(0),
    }
  );
}

describe('journal rows', () => {
  // A replica stores the rows it is forwarded as they came, so the framing
  // must be canonical: one entry, one row.
  it('decode inverts encode, and encoding the decoded entry gives the same row back', () => {
    fc.assert(
      fc.property(entry, (e) => {
        const row = encodeJournalRow(e);
        const back = decodeJournalRow(row);
        expect(back.sequence).toBe(e.sequence);
        expect(back.formatVersion).toBe(e.formatVersion);
        expect(back.mutations.map((m) => [m.database, m.kind, Buffer.from(m.key), Buffer.from(m.value)])).toEqual(
          e.mutations.map((m) => [m.database, m.kind, Buffer.from(m.key), Buffer.from(m.value)]),
        );
        expect(encodeJournalRow(back).equals(row)).toBe(true);
      }),
    );
  });

  it('a row cut short, extended or garbled decodes to an entry or fails with JournalRowError, never otherwise', () => {
    const damaged = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(entry, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([e, at, junk]) => {
        const row = encodeJournalRow(e);
        const cut = at % (row.length + 1);
        return at % 2 === 0 ? row.subarray(0, cut) : Buffer.concat([row.subarray(0, cut), junk, row.subarray(cut)]);
      }),
    );
    const badName = entry.map((e) => {
      const row = encodeJournalRow({ ...e, mutations: [{ ...mutationOf(e), database: 'ab' }] });
      row[HEADER_BYTES + 2] = 0xff; // the name's first byte: not UTF-8
      return row;
    });
    fc.assert(
      fc.property(fc.oneof(damaged, badName), (bytes) => {
        try {
          const e = decodeJournalRow(bytes);
          // Whatever decodes is exactly what the bytes say.
          expect(encodeJournalRow(e).equals(Buffer.from(bytes))).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(JournalRowError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
