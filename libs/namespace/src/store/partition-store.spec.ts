import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { NamespaceError } from '../errors.js';
import { JOURNAL_FORMAT_VERSION, makeJournalEntry, putMutation } from '../journal/journal-entry.js';
import { PartitionStateMachine } from '../state/partition-state-machine.js';
import { createBucketOp, putObjectOp } from '../testing/requests.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { PairFrameCrc } from './pair-frame.js';
import { PartitionStore } from './partition-store.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openStore(): Promise<{ store: PartitionStore; dir: string }> {
  const tmp = await makeTempDir('ns-store');
  const store = PartitionStore.open({ path: tmp.dir, mapSizeBytes: 2 ** 28 });
  cleanups.push(tmp.remove, async () => {
    if (!store.isClosed) await store.close();
  });
  return { store, dir: tmp.dir };
}

const entry = (sequence: bigint, epoch: bigint, key = `k${sequence}`) =>
  makeJournalEntry(sequence, epoch, [putMutation('buckets', Buffer.from(key), Buffer.from([1]))]);

async function applyOne(store: PartitionStore, e: namespaceV1.JournalEntry): Promise<string> {
  try {
    return await store.write(() => store.applyEntry(e));
  } catch (error) {
    if (error instanceof NamespaceError) return error.code;
    throw error;
  }
}

describe('PartitionStore journal', () => {
  it('applies entries in order, skips repeats, and refuses gaps, divergence, old epochs and unknown formats', async () => {
    const { store } = await openStore();
    expect(await applyOne(store, entry(1n, 3n))).toBe('applied');
    expect(await applyOne(store, entry(1n, 3n))).toBe('already-applied');
    expect(await applyOne(store, entry(1n, 3n, 'other'))).toBe('DIVERGED');
    expect(await applyOne(store, entry(3n, 3n))).toBe('SEQUENCE_GAP');
    expect(await applyOne(store, entry(2n, 2n))).toBe('STALE_EPOCH');
    expect(await applyOne(store, { ...entry(2n, 3n), formatVersion: JOURNAL_FORMAT_VERSION + 1 })).toBe(
      'UNSUPPORTED_FORMAT',
    );
    const bad = entry(2n, 3n);
    bad.mutations.unshift(putMutation('journal', Buffer.from('x'), Buffer.from('y')));
    expect(await applyOne(store, bad)).toBe('UNSUPPORTED_FORMAT');
    const unmarked = create(namespaceV1.JournalEntrySchema, { sequence: 2n, formatVersion: JOURNAL_FORMAT_VERSION });
    expect(await applyOne(store, unmarked)).toBe('UNSUPPORTED_FORMAT');
    // Nothing of the refused entries was kept.
    expect(store.applied()).toEqual({ sequence: 1n, epoch: 3n });
    expect(store.get('buckets', Buffer.from('k2'))).toBeUndefined();
    expect(await applyOne(store, entry(2n, 4n))).toBe('applied');
    expect(store.readJournal(1n, 10).map((e) => e.sequence)).toEqual([1n, 2n]);
  });

  it('reports the mark of the last commit as each write ends, also with writes in flight together', async () => {
    const { store } = await openStore();
    expect(store.applied().sequence).toBe(0n);
    for (let i = 1n; i <= 3n; i++) {
      await applyOne(store, entry(i, 1n));
      expect(store.applied().sequence).toBe(i);
    }
    const both = [applyOne(store, entry(4n, 1n)), applyOne(store, entry(5n, 1n))];
    await both[0];
    expect(store.applied().sequence).toBeGreaterThanOrEqual(4n);
    await both[1];
    expect(store.applied().sequence).toBe(5n);
  });

  it('truncates the journal, never past what is applied, and says when entries are gone', async () => {
    const { store } = await openStore();
    for (let s = 1n; s <= 5n; s++) await applyOne(store, entry(s, 1n));
    expect(await store.truncateJournal(3n)).toBe(3);
    expect(store.journalFloor()).toBe(3n);
    expect(() => store.readJournal(3n, 10)).toThrow(
      expect.objectContaining({ code: 'JOURNAL_TRUNCATED', currentSequence: 3n }),
    );
    expect(store.readJournal(4n, 10).map((e) => e.sequence)).toEqual([4n, 5n]);
    await store.truncateJournal(99n);
    expect(store.journalFloor()).toBe(5n);
    expect(store.readJournal(6n, 10)).toEqual([]);
  });

  it('keeps acknowledged writes across close and reopen', async () => {
    const { store, dir } = await openStore();
    const sm = new PartitionStateMachine({ store });
    await sm.execute(createBucketOp('durable'));
    const written = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sm.execute(putObjectOp({ bucket: 'durable', key: `k${i}`, body: `${i}` }))),
    );
    expect(written.every((w) => !(w instanceof NamespaceError))).toBe(true);
    const digest = store.digest();
    await store.close();
    const again = PartitionStore.open({ path: dir, mapSizeBytes: 2 ** 28 });
    cleanups.push(() => again.close());
    expect(again.applied().sequence).toBe(21n);
    expect(again.digest()).toBe(digest);
  });
});

describe('PartitionStore snapshots', () => {
  it('restores a byte-identical replica and refuses a damaged or cut stream', async () => {
    const { store: source } = await openStore();
    const sm = new PartitionStateMachine({ store: source });
    await sm.execute(createBucketOp('snap'));
    for (let i = 0; i < 30; i++) await sm.execute(putObjectOp({ bucket: 'snap', key: `k${i}`, body: 'x'.repeat(i) }));
    const messages = [...source.snapshot(512)];
    expect(messages.length).toBeGreaterThan(3);
    expect(messages[0]?.part.case).toBe('header');
    expect(messages[messages.length - 1]?.part.case).toBe('trailer');

    const { store: copy } = await openStore();
    expect(await copy.restore(messages)).toEqual(source.applied());
    expect(copy.digest()).toBe(source.digest());
    expect(copy.journalFloor()).toBe(source.applied().sequence);

    // One flipped value byte: the CRC32C in the trailer catches it.
    const damaged = structuredClone(messages);
    const batch = damaged.find((m) => m.part.case === 'batch');
    if (batch?.part.case !== 'batch') throw new Error('no batch');
    const value = batch.part.value.pairs[0]?.value;
    if (!value) throw new Error('no pair');
    value[0] = (value[0] ?? 0) ^ 0x01;
    const { store: victim, dir } = await openStore();
    await expect(victim.restore(damaged)).rejects.toThrow(/CRC32C/);
    await victim.close();
    // A half-restored replica refuses to open until it is wiped.
    expect(() => PartitionStore.open({ path: dir, mapSizeBytes: 2 ** 28 })).toThrow(NamespaceError);

    const { store: cut } = await openStore();
    await expect(cut.restore(messages.slice(0, -1))).rejects.toThrow(/ended early/);
    // A restore needs an empty replica.
    await expect(copy.restore(messages)).rejects.toThrow(/empty replica/);
  });

  it('carries the journal when asked, so the copy can feed a successor below the snapshot; refuses a gap in it', async () => {
    const { store: source } = await openStore();
    const sm = new PartitionStateMachine({ store: source });
    await sm.execute(createBucketOp('snap'));
    for (let i = 0; i < 12; i++) await sm.execute(putObjectOp({ bucket: 'snap', key: `k${i}`, body: 'x' }));
    await source.truncateJournal(4n);
    const messages = [...source.snapshot(256, { journal: true })];
    const header = messages[0]?.part;
    expect(header?.case === 'header' && header.value.databases.includes('journal')).toBe(true);

    const { store: copy } = await openStore();
    expect(await copy.restore(messages)).toEqual(source.applied());
    expect(copy.digest()).toBe(source.digest());
    expect(copy.journalFloor()).toBe(4n);
    expect(copy.readJournal(5n, 100)).toEqual(source.readJournal(5n, 100));

    // A journal row missing in the middle, with a trailer that matches: the gap check refuses it.
    const journalBatches = messages.flatMap((m, i) =>
      m.part.case === 'batch' && m.part.value.pairs.every((p) => p.database === 'journal') ? [i] : [],
    );
    const dropAt = journalBatches[1];
    if (dropAt === undefined) throw new Error('expected several journal batches');
    const holed = messages.filter((_, i) => i !== dropAt && i !== messages.length - 1);
    const frame = new PairFrameCrc();
    for (const m of holed)
      if (m.part.case === 'batch') for (const p of m.part.value.pairs) frame.add(p.database, p.key, p.value);
    holed.push(
      create(namespaceV1.StreamSnapshotResponseSchema, {
        part: { case: 'trailer', value: { pairCount: frame.count, contentCrc32c: frame.crc } },
      }),
    );
    const { store: victim } = await openStore();
    await expect(victim.restore(holed)).rejects.toThrow(NamespaceError);
  });
});
