// The chain protocol in one process: three (then four) ChainReplicas over
// their own LMDB stores, talking through the real replica service handlers
// (LocalPeers), configured by hand-made chain records the way the manager
// would write them. Checks replication to the tail, answers only after the
// tail holds a write, a head failure with a write-id retry at the new head,
// a joiner's state transfer and read barrier, and the fences.
import { create } from '@bufbuild/protobuf';
import type { ChainRecord } from '@platter/cluster';
import { namespaceV1 } from '@platter/proto';
import { createLogger } from '@platter/telemetry';
import { afterEach, describe, expect, it } from 'vitest';
import { NamespaceError } from '../errors.js';
import { LocalPeers } from '../testing/local-peers.js';
import { createBucketOp, putObjectOp } from '../testing/requests.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { PartitionStore } from '../store/partition-store.js';
import { ChainReplica } from './chain-replica.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const ROLE = namespaceV1.ReplicaRole;
const teardown: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const t of teardown.splice(0).reverse()) await t();
});

function record(epoch: number, replicas: string[], joining: string[] = []): ChainRecord {
  return { partition: 0, epoch, replicas, joining, updatedAt: new Date().toISOString() };
}

function route(epoch: number): namespaceV1.PartitionRoute {
  return create(namespaceV1.PartitionRouteSchema, { partitionId: 0, chainEpoch: BigInt(epoch) });
}

async function cluster(
  ids: string[],
  journal: { journalRetainEntries?: number; journalTrimIntervalMs?: number; writeIdRetentionMs?: number } = {},
): Promise<{ peers: LocalPeers; r: Map<string, ChainReplica>; dirs: Map<string, string> }> {
  const peers = new LocalPeers();
  const r = new Map<string, ChainReplica>();
  const dirs = new Map<string, string>();
  for (const id of ids) {
    const tmp = await makeTempDir(`chain-${id}`);
    dirs.set(id, tmp.dir);
    const replica = await ChainReplica.open({
      partition: 0,
      memberId: id,
      dir: tmp.dir,
      peers,
      mapSizeBytes: 2 ** 28,
      logger,
      ...journal,
    });
    teardown.push(async () => {
      await replica.close();
      await tmp.remove();
    });
    peers.register(id, { replica: (p) => (p === 0 ? replica : undefined), all: () => [replica] });
    r.set(id, replica);
  }
  return { peers, r, dirs };
}

/** A stopped member started again on its old directory (registered under the same id). */
async function restart(
  peers: LocalPeers,
  id: string,
  dir: string,
  journal: { journalRetainEntries?: number; journalTrimIntervalMs?: number },
): Promise<ChainReplica> {
  const replica = await ChainReplica.open({
    partition: 0,
    memberId: id,
    dir,
    peers,
    mapSizeBytes: 2 ** 28,
    logger,
    ...journal,
  });
  // Pushed last, so it closes before the directory is removed.
  teardown.push(() => replica.close());
  peers.register(id, { replica: (p) => (p === 0 ? replica : undefined), all: () => [replica] });
  peers.down.delete(id);
  return replica;
}

/** Fails instead of hanging when the chain never gets there. */
async function within<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function get(r: Map<string, ChainReplica>, id: string): ChainReplica {
  const replica = r.get(id);
  if (replica === undefined) throw new Error(`no replica ${id}`);
  return replica;
}

async function until(what: string, fn: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

async function committedWrite(replica: ChainReplica, op: Parameters<ChainReplica['write']>[0], epoch: number) {
  const out = await replica.write(op, route(epoch));
  if (out instanceof NamespaceError) throw out;
  return out;
}

function readKey(replica: ChainReplica, epoch: number, key: string): string | undefined {
  const sm = replica.reader(route(epoch));
  if (sm instanceof NamespaceError) throw sm;
  const v = sm.getObject(create(namespaceV1.GetObjectRequestSchema, { bucket: 'bkt', key }));
  return v instanceof NamespaceError ? undefined : v.etag;
}

describe('a chain of replicas in one process', () => {
  it('answers a write only once the tail holds it, and the replicas end byte-identical', async () => {
    const { r } = await cluster(['a', 'b', 'c']);
    for (const x of r.values()) x.configure(record(1, ['a', 'b', 'c']));
    const [a, b, c] = [get(r, 'a'), get(r, 'b'), get(r, 'c')];
    expect([a, b, c].map((x) => x.position.role)).toEqual([ROLE.HEAD, ROLE.MIDDLE, ROLE.TAIL]);
    await committedWrite(a, createBucketOp('bkt'), 1);
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const outs = await Promise.all(
      keys.map((key) => committedWrite(a, putObjectOp({ bucket: 'bkt', key, body: key }), 1)),
    );
    // Answered ⇒ at the tail: every key is readable there at once.
    for (const key of keys) expect(readKey(c, 1, key)).toBeDefined();
    const last = outs.reduce((m, o) => (o.sequence > m ? o.sequence : m), 0n);
    expect(c.durable).toBeGreaterThanOrEqual(last);
    await until('acks reach the head', () => a.committed === a.durable && b.durable === a.durable);
    expect(b.stateMachine.store.digest()).toBe(a.stateMachine.store.digest());
    expect(c.stateMachine.store.digest()).toBe(a.stateMachine.store.digest());
  });

  it('refuses by epoch, role and lease: STALE_EPOCH, RECEIVER_BEHIND, WRONG_ROLE, NOT_SERVING', async () => {
    const { r } = await cluster(['a', 'b']);
    for (const x of r.values()) x.configure(record(3, ['a', 'b']));
    const [a, b] = [get(r, 'a'), get(r, 'b')];
    const code = async (x: ChainReplica, epoch: number) => {
      const out = await x.write(createBucketOp('bkt'), route(epoch));
      return out instanceof NamespaceError ? out.code : 'ok';
    };
    expect(await code(a, 2)).toBe('STALE_EPOCH');
    expect(await code(a, 4)).toBe('RECEIVER_BEHIND');
    expect(await code(b, 3)).toBe('WRONG_ROLE');
    const readAtHead = a.reader(route(3));
    expect(readAtHead instanceof NamespaceError && readAtHead.code).toBe('WRONG_ROLE');
    a.setFenced(true);
    expect(await code(a, 3)).toBe('NOT_SERVING');
    a.setFenced(false);
    expect(await code(a, 3)).toBe('ok');
    // A Forward from someone who is not our predecessor in this epoch is refused.
    const forged = await b.onForward(
      create(namespaceV1.ForwardRequestSchema, { partitionId: 0, chainEpoch: 3n, senderReplicaId: 'x' }),
    );
    expect(forged instanceof NamespaceError && forged.code).toBe('WRONG_ROLE');
  });

  it('forwards journal rows as stored to a successor that takes them, and entries to one that does not', async () => {
    const { peers, r } = await cluster(['a', 'b', 'c']);
    // b answers like a replica from before journal rows; c takes them (from b).
    peers.withoutJournalRows.add('b');
    for (const x of r.values()) x.configure(record(1, ['a', 'b', 'c']));
    const [a, b, c] = [get(r, 'a'), get(r, 'b'), get(r, 'c')];
    await committedWrite(a, createBucketOp('bkt'), 1);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        committedWrite(a, putObjectOp({ bucket: 'bkt', key: `k${i}`, body: 'x' }), 1),
      ),
    );
    await until('acks reach the head', () => a.committed === a.durable && b.durable === a.durable);
    expect(peers.journalRowsReceived.get('b')).toBe(0);
    // At least every entry once (a resent Forward after a slow answer may carry some again).
    expect(peers.journalRowsReceived.get('c')).toBeGreaterThanOrEqual(Number(a.durable));
    for (const x of [b, c]) {
      expect(x.stateMachine.store.digest()).toBe(a.stateMachine.store.digest());
      expect(x.stateMachine.store.readJournalRows(1n, 100)).toEqual(a.stateMachine.store.readJournalRows(1n, 100));
    }
  });

  it('refuses a Forward with both entries and journal rows, or a row that does not decode: INVALID_ARGUMENT', async () => {
    const { r } = await cluster(['a', 'b']);
    for (const x of r.values()) x.configure(record(1, ['a', 'b']));
    const [a, b] = [get(r, 'a'), get(r, 'b')];
    await committedWrite(a, createBucketOp('bkt'), 1);
    const [row] = a.stateMachine.store.readJournalRows(1n, 1);
    if (row === undefined) throw new Error('no journal row');
    const forward = (fields: { entries?: namespaceV1.JournalEntry[]; journalRows?: Uint8Array[] }) =>
      b.onForward(
        create(namespaceV1.ForwardRequestSchema, { partitionId: 0, chainEpoch: 1n, senderReplicaId: 'a', ...fields }),
      );
    const [entry] = a.stateMachine.store.readJournal(1n, 1);
    if (entry === undefined) throw new Error('no journal entry');
    const both = await forward({ entries: [entry], journalRows: [row] });
    expect(both instanceof NamespaceError && both.code).toBe('INVALID_ARGUMENT');
    const torn = await forward({ journalRows: [row.subarray(0, row.length - 1)] });
    expect(torn instanceof NamespaceError && torn.code).toBe('INVALID_ARGUMENT');
    // A probe says rows are welcome; the row itself applies (already there: skipped, and it matches).
    const probe = await forward({});
    expect(probe instanceof NamespaceError ? probe.code : probe.readsJournalRows).toBe(true);
    const again = await forward({ journalRows: [row] });
    expect(again instanceof NamespaceError ? again.code : again.durableSequence).toBe(a.durable);
  });

  it('survives the head: the new head answers a write-id retry of a write the old head never answered', async () => {
    const { peers, r } = await cluster(['a', 'b', 'c']);
    for (const x of r.values()) x.configure(record(1, ['a', 'b', 'c']));
    const [a, b, c] = [get(r, 'a'), get(r, 'b'), get(r, 'c')];
    await committedWrite(a, createBucketOp('bkt'), 1);
    // The tail is cut off: the write reaches b, but no ack comes back, so a cannot answer.
    peers.down.add('c');
    const op = putObjectOp({ bucket: 'bkt', key: 'pending', body: 'v' });
    const pending = a.write(op, route(1));
    await until('the middle holds the write', () => b.durable === a.durable && a.durable > c.durable);
    // The head dies; the manager drops it (epoch 2) and the tail is back.
    peers.down.add('a');
    peers.down.delete('c');
    a.configure(record(2, ['b', 'c']));
    const lost = await pending.catch((e: unknown) => e);
    expect(lost instanceof NamespaceError && lost.code).toBe('NOT_SERVING');
    b.configure(record(2, ['b', 'c']));
    c.configure(record(2, ['b', 'c']));
    // The client retries with the same write id at the new head: the first outcome, once at the tail.
    const retried = await committedWrite(b, op, 2);
    expect(readKey(c, 2, 'pending')).toBeDefined();
    expect(c.durable).toBeGreaterThanOrEqual(retried.sequence);
    const more = await committedWrite(b, putObjectOp({ bucket: 'bkt', key: 'after', body: 'w' }), 2);
    expect(more.sequence).toBe(retried.sequence + 1n);
  });

  it('adds a joiner at the tail after a state transfer, and it serves reads only once caught up', async () => {
    const { r } = await cluster(['a', 'b', 'd']);
    const [a, b, d] = [get(r, 'a'), get(r, 'b'), get(r, 'd')];
    a.configure(record(1, ['a', 'b']));
    b.configure(record(1, ['a', 'b']));
    await committedWrite(a, createBucketOp('bkt'), 1);
    for (let i = 0; i < 30; i++) await committedWrite(a, putObjectOp({ bucket: 'bkt', key: `old${i}`, body: 'x' }), 1);
    // d joins (epoch 2): it copies the tail b.
    for (const x of [a, b, d]) x.configure(record(2, ['a', 'b'], ['d']));
    await until('transfer done', () => d.status().role === ROLE.NOT_MEMBER);
    expect(d.durable).toBeGreaterThan(30n);
    // Writes continue meanwhile; then d is appended at the tail (epoch 3).
    const during = await committedWrite(a, putObjectOp({ bucket: 'bkt', key: 'during', body: 'y' }), 2);
    for (const x of [a, b, d]) x.configure(record(3, ['a', 'b', 'd']));
    expect(d.position.role).toBe(ROLE.TAIL);
    const after = await committedWrite(a, putObjectOp({ bucket: 'bkt', key: 'after', body: 'z' }), 3);
    // Answered ⇒ at the new tail, which caught up through Forward from b's journal.
    expect(d.durable).toBeGreaterThanOrEqual(after.sequence);
    await until('read barrier passed', () => !(d.reader(route(3)) instanceof NamespaceError));
    expect(readKey(d, 3, 'old0')).toBeDefined();
    expect(readKey(d, 3, 'during')).toBeDefined();
    expect(during.sequence).toBeLessThan(after.sequence);
    await until('quiet', () => a.committed === a.durable);
    expect(d.stateMachine.store.digest()).toBe(a.stateMachine.store.digest());
  });

  it('trims journals below what the successor holds, keeping the retention, and keeps replicating', async () => {
    const { r } = await cluster(['a', 'b'], { journalRetainEntries: 5, journalTrimIntervalMs: 20 });
    for (const x of r.values()) x.configure(record(1, ['a', 'b']));
    const [a, b] = [get(r, 'a'), get(r, 'b')];
    await committedWrite(a, createBucketOp('bkt'), 1);
    for (let i = 0; i < 30; i++) await committedWrite(a, putObjectOp({ bucket: 'bkt', key: `t${i}`, body: 'x' }), 1);
    await until(
      'both journals trimmed',
      () => a.stateMachine.store.journalFloor() > 0n && b.stateMachine.store.journalFloor() > 0n,
    );
    // Never within the retention of what the successor holds.
    expect(a.stateMachine.store.journalFloor()).toBeLessThanOrEqual(b.durable - 5n);
    const after = await committedWrite(a, putObjectOp({ bucket: 'bkt', key: 'later', body: 'y' }), 1);
    expect(b.durable).toBeGreaterThanOrEqual(after.sequence);
    expect(readKey(b, 1, 'later')).toBeDefined();
  });

  it('starts over a replica whose state transfer was cut short (it refuses to open as is)', async () => {
    const tmp = await makeTempDir('chain-half');
    teardown.push(() => tmp.remove());
    const store = PartitionStore.open({ path: tmp.dir, mapSizeBytes: 2 ** 28 });
    async function* cut(): AsyncGenerator<namespaceV1.StreamSnapshotResponse> {
      yield create(namespaceV1.StreamSnapshotResponseSchema, {
        part: { case: 'header', value: { sequence: 10n, formatVersion: 1 } },
      });
      throw new Error('connection lost');
    }
    await expect(store.restore(cut())).rejects.toThrow('connection lost');
    await store.close();
    expect(() => PartitionStore.open({ path: tmp.dir, mapSizeBytes: 2 ** 28 })).toThrow(NamespaceError);
    const replica = await ChainReplica.open({
      partition: 0,
      memberId: 'z',
      dir: tmp.dir,
      peers: new LocalPeers(),
      mapSizeBytes: 2 ** 28,
      logger,
    });
    teardown.push(() => replica.close());
    expect(replica.durable).toBe(0n);
    expect(replica.stateMachine.store.isEmpty()).toBe(true);
  });

  it('forgets write ids past the retention through a journaled entry, on every replica alike', async () => {
    const { r } = await cluster(['a', 'b'], { journalTrimIntervalMs: 20, writeIdRetentionMs: 0 });
    for (const x of r.values()) x.configure(record(1, ['a', 'b']));
    const [a, b] = [get(r, 'a'), get(r, 'b')];
    await committedWrite(a, createBucketOp('bkt'), 1);
    const first = putObjectOp({ bucket: 'bkt', key: 'once', body: 'x', condition: { kind: 'ifNoneMatch' } });
    await committedWrite(a, first, 1);
    // While remembered, a retry is the first answer; once forgotten, it is a new request (and its condition fails).
    await until('write id forgotten', () => a.stateMachine.prepare(first).kind === 'rejected');
    const retried = await a.write(first, route(1));
    expect(retried instanceof NamespaceError && retried.code).toBe('PRECONDITION_FAILED');
    await until('quiet', () => b.durable === a.durable && a.committed === a.durable);
    expect(b.stateMachine.store.digest()).toBe(a.stateMachine.store.digest());
    expect(b.stateMachine.store.tableStats('write_ids').entryCount).toBe(0);
  });

  describe("a replica behind its predecessor's journal floor", () => {
    // Tiny retention and a fast trim: the survivors' journals move past the stopped replica within a few writes.
    const journal = { journalRetainEntries: 2, journalTrimIntervalMs: 20 };
    // How long re-seeding may take here (a few retry pauses of ≤ 1 s plus a small snapshot).
    const RESEED_BOUND_MS = 8_000;

    async function writeMany(head: ChainReplica, epoch: number, prefix: string, n: number): Promise<void> {
      for (let i = 0; i < n; i++) {
        await committedWrite(head, putObjectOp({ bucket: 'bkt', key: `${prefix}${i}`, body: prefix }), epoch);
      }
    }

    /** A chain a → b → c in epoch 1 holding bucket `bkt` and five writes, all of them everywhere. */
    async function chainWithWrites() {
      const { peers, r, dirs } = await cluster(['a', 'b', 'c'], journal);
      for (const x of r.values()) x.configure(record(1, ['a', 'b', 'c']));
      const [a, b, c] = [get(r, 'a'), get(r, 'b'), get(r, 'c')];
      await committedWrite(a, createBucketOp('bkt'), 1);
      await writeMany(a, 1, 'before', 5);
      await until('all hold the first writes', () => a.committed === a.durable && c.durable === a.durable);
      return { peers, dirs, a, b, c };
    }

    /** A write through `head` acknowledged within the bound, then the chain quiet with `tail` holding everything. */
    async function acknowledgedAgain(head: ChainReplica, tail: ChainReplica, epoch: number, what: string) {
      const after = await within(
        what,
        RESEED_BOUND_MS,
        committedWrite(head, putObjectOp({ bucket: 'bkt', key: 'after', body: 'z' }), epoch),
      );
      expect(tail.durable).toBeGreaterThanOrEqual(after.sequence);
      await until('quiet', () => head.committed === head.durable && tail.durable === head.durable, RESEED_BOUND_MS);
    }

    it('is re-seeded by a state transfer when it comes back in its old place, and the chain acknowledges again', async () => {
      const { peers, dirs, a, b, c } = await chainWithWrites();
      const stoppedAt = c.durable;
      // c stops; the chain goes on without it and both survivors trim past where c stands.
      peers.down.add('c');
      await c.close();
      for (const x of [a, b]) x.configure(record(2, ['a', 'b']));
      await writeMany(a, 2, 'while', 20);
      await until(
        'journals trimmed past the stopped replica',
        () => a.stateMachine.store.journalFloor() > stoppedAt && b.stateMachine.store.journalFloor() > stoppedAt,
      );
      // It comes back with its old copy straight into its old place (a restart the manager never saw).
      const back = await restart(peers, 'c', dirs.get('c') ?? '', journal);
      expect(back.durable).toBe(stoppedAt);
      const started = Date.now();
      for (const x of [a, b, back]) x.configure(record(3, ['a', 'b', 'c']));
      await acknowledgedAgain(a, back, 3, 'a write acknowledged through the returning tail');
      expect(Date.now() - started).toBeLessThan(RESEED_BOUND_MS);
      expect(back.stateMachine.store.digest()).toBe(a.stateMachine.store.digest());
      expect(b.stateMachine.store.digest()).toBe(a.stateMachine.store.digest());
      // It is the tail again and serves what was written while it was away.
      await until('read barrier passed', () => !(back.reader(route(3)) instanceof NamespaceError));
      expect(readKey(back, 3, 'while19')).toBeDefined();
      expect(readKey(back, 3, 'after')).toBeDefined();
    });

    it('is re-seeded when a joiner is appended after its predecessor trimmed past its snapshot', async () => {
      const { peers, dirs, a, b, c } = await chainWithWrites();
      peers.down.add('c');
      await c.close();
      for (const x of [a, b]) x.configure(record(2, ['a', 'b']));
      await writeMany(a, 2, 'while', 10);
      // c comes back and is added as a joiner: it copies the tail b.
      const back = await restart(peers, 'c', dirs.get('c') ?? '', journal);
      for (const x of [a, b, back]) x.configure(record(3, ['a', 'b'], ['c']));
      await until('transfer done', () => back.status().role === ROLE.NOT_MEMBER);
      const snapshotAt = back.durable;
      // Meanwhile the chain keeps writing and the tail trims past the snapshot's sequence.
      await writeMany(a, 3, 'during', 20);
      await until('tail trimmed past the snapshot', () => b.stateMachine.store.journalFloor() > snapshotAt);
      const started = Date.now();
      for (const x of [a, b, back]) x.configure(record(4, ['a', 'b', 'c']));
      await acknowledgedAgain(a, back, 4, 'a write acknowledged through the appended tail');
      expect(Date.now() - started).toBeLessThan(RESEED_BOUND_MS);
      expect(back.stateMachine.store.digest()).toBe(a.stateMachine.store.digest());
      await until('read barrier passed', () => !(back.reader(route(4)) instanceof NamespaceError));
      expect(readKey(back, 4, 'during19')).toBeDefined();
    });

    it('re-seeds a middle from its predecessor together with the journal its successor still needs', async () => {
      const { peers, dirs, a, b, c } = await chainWithWrites();
      // b stops; the chain runs as a → c and both trim past where b stands.
      const stoppedAt = b.durable;
      peers.down.add('b');
      await b.close();
      for (const x of [a, c]) x.configure(record(2, ['a', 'c']));
      await writeMany(a, 2, 'while', 20);
      await until('journals trimmed past b', () => a.stateMachine.store.journalFloor() > stoppedAt);
      const back = await restart(peers, 'b', dirs.get('b') ?? '', journal);
      for (const x of [a, back, c]) x.configure(record(3, ['a', 'b', 'c']));
      await acknowledgedAgain(a, c, 3, 'a write acknowledged through the returning middle');
      expect(back.stateMachine.store.digest()).toBe(a.stateMachine.store.digest());
      expect(c.stateMachine.store.digest()).toBe(a.stateMachine.store.digest());
      // c stood above a's floor: the journal that came with b's copy caught it up, no second transfer.
      expect(back.stateMachine.store.journalFloor()).toBeLessThanOrEqual(stoppedAt + 25n);
    });

    it("re-seeds a middle and then its successor in turn when both come back below the head's floor", async () => {
      const { peers, dirs, a, b, c } = await chainWithWrites();
      const stoppedAt = c.durable;
      peers.down.add('b');
      peers.down.add('c');
      await Promise.all([b.close(), c.close()]);
      a.configure(record(2, ['a']));
      await writeMany(a, 2, 'alone', 20);
      await until('the head trimmed past both', () => a.stateMachine.store.journalFloor() > stoppedAt);
      const b2 = await restart(peers, 'b', dirs.get('b') ?? '', journal);
      const c2 = await restart(peers, 'c', dirs.get('c') ?? '', journal);
      const started = Date.now();
      for (const x of [a, b2, c2]) x.configure(record(3, ['a', 'b', 'c']));
      await acknowledgedAgain(a, c2, 3, 'a write acknowledged once both are re-seeded');
      expect(Date.now() - started).toBeLessThan(RESEED_BOUND_MS);
      expect(b2.stateMachine.store.digest()).toBe(a.stateMachine.store.digest());
      expect(c2.stateMachine.store.digest()).toBe(a.stateMachine.store.digest());
      await until('read barrier passed', () => !(c2.reader(route(3)) instanceof NamespaceError));
      expect(readKey(c2, 3, 'alone19')).toBeDefined();
    });
  });
});
