import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DiskFailedError, DiskFullError, DiskIoError, ShardExistsError, ShardNotFoundError } from './errors.js';
import type { IoOpKind } from './io/disk-io.js';
import { SimDiskIo, type CrashMode } from './io/sim-disk-io.js';
import { MemoryIndexDisk } from './index/memory-index-store.js';
import { ShardStore } from './shard-store.js';
import { chunked, patternBytes } from './testing/temp-dir.js';

// Model-based test (RELIABILITY.md layer 1): the engine on a simulated disk
// that forgets unsynced writes, against a plain map. Crash, failed I/O and a
// full disk are ordinary steps. After every step, every acknowledged shard
// reads back exactly (G1, G3) and every error is one of the typed ones the
// step allows (G4). Tiny blocks and extents make rollover and compaction
// happen within a few steps.
//
// Writes are acknowledged once their extent records are synced; the index
// catches up later. Each run picks when: after every batch (so crashes land
// inside index commits) or only when forced (compaction, close), so that
// every crash leaves acknowledged changes the index lacks and recovery must
// replay. Index commits can fail (EIO, full) like any other I/O.

const DIR = '/disk';
const BLOCK = 16;
const EXTENT = 300;

type ShardState =
  { kind: 'live'; data: Buffer } | { kind: 'absent' } | { kind: 'maybe'; options: Array<Buffer | null> };

interface Model {
  shards: Map<string, ShardState>;
  nextId: number;
  full: boolean;
}

/** Command sequences per run; SHARDSTORE_MODEL_RUNS=3000 (say) soaks it for a few minutes. */
const RUNS = Number(process.env.SHARDSTORE_MODEL_RUNS ?? 150);
/** Index commits after every batch, or (in effect) only when something forces one. */
const INDEX_INTERVALS_MS = [0, 60_000] as const;

class World {
  constructor(
    readonly pipelineDepth: number,
    readonly indexIntervalMs: number,
  ) {}
  // Operations finish out of order, as on a thread pool: a batch's sync must
  // wait for the first writes of the records before its own.
  readonly io = new SimDiskIo({ seed: 7, maxOpTurns: 3 });
  readonly indexDisk = new MemoryIndexDisk();
  store!: ShardStore;
  steps: string[] = [];
  /** Faults injected during this process's life: index commits run in the background, so their effect may show in any later step. */
  faultsSinceOpen = 0;
  /** The index has no room (a step capped it). */
  indexFull = false;

  async open(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const armed = this.faultArmed();
      try {
        this.store = await this.openOnce();
        break;
      } catch (err) {
        expect(attempt, `open keeps failing: ${String(err)}`).toBeLessThan(2);
        if (err instanceof DiskFullError) {
          // Recovery could not commit what it replayed: an operator grows the index, and it opens.
          expect(this.indexFull || armed).toBe(true);
          note('openRefusedIndexFull');
          this.freeIndex();
        } else {
          // A transient fault may fail one open; the next must succeed (no crash loop).
          expect(err).toBeInstanceOf(DiskFailedError);
        }
        this.disarm();
      }
    }
    this.faultsSinceOpen = this.faultArmed() ? 1 : 0;
    if (this.store.recovery.recordsReplayed > 0) note('openReplayedRecords');
    if (this.store.recovery.recordsReplayed > 0 && this.store.recovery.extentsScanned > 1) note('replayAcrossExtents');
    if (this.store.recovery.tailRecordsDropped > 0) note('replaySkippedUnfinished');
  }

  freeIndex(): void {
    this.indexDisk.capacityBytes = Number.MAX_SAFE_INTEGER;
    this.indexFull = false;
  }

  /** A fault is armed, or one fired since the open. */
  faulted(): boolean {
    return this.faultArmed() || this.faultsSinceOpen > 0;
  }

  private openOnce(): Promise<ShardStore> {
    return ShardStore.open({
      dir: DIR,
      clusterId: 'model',
      io: this.io.forProcess(),
      index: this.indexDisk.open(),
      blockSizeBytes: BLOCK,
      extentSizeBytes: EXTENT,
      reserveFreeBytes: 0,
      groupCommit: { windowMs: 0, maxBatch: 4, pipelineDepth: this.pipelineDepth },
      indexCommit: { intervalMs: this.indexIntervalMs },
      compaction: { liveRatio: 0.6 },
    });
  }

  faultArmed(): boolean {
    return this.io.faultArmed || this.indexDisk.failNextCommit !== undefined;
  }

  disarm(): void {
    this.io.disarm();
    this.indexDisk.failNextCommit = undefined;
  }
}

function liveIds(m: Model): string[] {
  return [...m.shards]
    .filter(([, s]) => s.kind === 'live')
    .map(([id]) => id)
    .sort();
}

/** Errors a step may see: typed ones that a fault, a full disk or a failed disk explain. */
function expectAllowedError(err: unknown, w: World, m: Model, armed: boolean, failedBefore: boolean): void {
  note(`error:${(err as Error).constructor.name}`);
  if (failedBefore) {
    expect(err).toBeInstanceOf(DiskFailedError);
    return;
  }
  if (err instanceof DiskFullError) return expect(m.full || w.indexFull || armed).toBe(true);
  if (err instanceof DiskFailedError || err instanceof DiskIoError) return expect(armed).toBe(true);
  throw err;
}

function markMaybe(m: Model, id: string, value: Buffer | null): void {
  const prev = m.shards.get(id);
  const options: Array<Buffer | null> =
    prev === undefined || prev.kind === 'absent' ? [null] : prev.kind === 'live' ? [prev.data] : [...prev.options];
  options.push(value);
  m.shards.set(id, { kind: 'maybe', options });
}

/** Every shard the model knows reads back as the model says. */
async function checkAll(m: Model, w: World): Promise<void> {
  if (w.store.failed) {
    await expect(w.store.get('s0')).rejects.toBeInstanceOf(DiskFailedError);
    return;
  }
  if (w.faultArmed()) return; // the next read would take the fault; the next step sees it
  for (const [id, s] of m.shards) {
    let got: Buffer | null;
    try {
      got = await w.store.get(id);
    } catch (err) {
      // An index commit in the background may take a fault armed earlier and fail the disk meanwhile.
      if (err instanceof DiskFailedError && w.faulted()) return;
      if (!(err instanceof ShardNotFoundError)) throw err;
      got = null;
    }
    if (s.kind === 'live') expect(got, `${id} after ${w.steps.join(' ')}`).toEqual(s.data);
    else if (s.kind === 'absent') expect(got, `${id} should be absent after ${w.steps.join(' ')}`).toBeNull();
    else
      expect(
        s.options.some((o) => (o === null ? got === null : got !== null && o.equals(got))),
        `${id} is none of its possible values`,
      ).toBe(true);
  }
}

/** How often each step ran and each notable outcome happened, to show the run exercised what it claims. */
const counts = new Map<string, number>();
function note(what: string, n = 1): void {
  counts.set(what, (counts.get(what) ?? 0) + n);
}

type Cmd = fc.AsyncCommand<Model, World>;

abstract class Step implements Cmd {
  check(): boolean {
    return true;
  }
  abstract exec(m: Model, w: World, armed: boolean, failed: boolean): Promise<void>;
  async run(m: Model, w: World): Promise<void> {
    w.steps.push(this.toString());
    counts.set(this.constructor.name, (counts.get(this.constructor.name) ?? 0) + 1);
    await this.exec(m, w, w.faulted(), w.store.failed);
    await checkAll(m, w);
  }
  abstract toString(): string;
}

class Put extends Step {
  constructor(
    readonly sizes: number[],
    readonly streamed: boolean,
  ) {
    super();
  }
  async exec(m: Model, w: World, armed: boolean, failed: boolean): Promise<void> {
    const puts = this.sizes.map((size) => {
      const id = `s${m.nextId++}`;
      const data = patternBytes(m.nextId * 31 + size, size);
      const p = this.streamed
        ? w.store.put(id, chunked(data, [5, 17, 3]), { expectedLength: size })
        : w.store.put(id, data);
      return { id, data, p };
    });
    const settled = await Promise.allSettled(puts.map((x) => x.p));
    settled.forEach((r, i) => {
      const { id, data } = puts[i]!;
      if (r.status === 'fulfilled') m.shards.set(id, { kind: 'live', data });
      else {
        expectAllowedError(r.reason, w, m, armed, failed);
        markMaybe(m, id, data);
      }
    });
  }
  toString(): string {
    return `put(${this.sizes.join(',')}${this.streamed ? ',stream' : ''})`;
  }
}

class RePut extends Step {
  constructor(
    readonly pick: number,
    readonly same: boolean,
  ) {
    super();
  }
  async exec(m: Model, w: World, armed: boolean, failed: boolean): Promise<void> {
    const ids = liveIds(m);
    if (ids.length === 0) return;
    const id = ids[this.pick % ids.length]!;
    const cur = (m.shards.get(id) as { data: Buffer }).data;
    const data = this.same ? cur : Buffer.concat([cur, Buffer.from([1])]);
    try {
      await w.store.put(id, data);
      expect(this.same).toBe(true);
    } catch (err) {
      if (err instanceof ShardExistsError) return expect(this.same).toBe(false);
      expectAllowedError(err, w, m, armed, failed);
    }
  }
  toString(): string {
    return `reput(${this.pick},${this.same ? 'same' : 'different'})`;
  }
}

class Get extends Step {
  constructor(
    readonly pick: number,
    readonly from: number,
    readonly span: number,
  ) {
    super();
  }
  async exec(m: Model, w: World, armed: boolean, failed: boolean): Promise<void> {
    const ids = liveIds(m);
    if (ids.length === 0) return;
    const id = ids[this.pick % ids.length]!;
    const data = (m.shards.get(id) as { data: Buffer }).data;
    const offset = Math.floor(this.from * data.length);
    const length = Math.floor(this.span * (data.length - offset));
    try {
      expect(await w.store.get(id, { offset, length })).toEqual(data.subarray(offset, offset + length));
    } catch (err) {
      expectAllowedError(err, w, m, armed, failed);
    }
  }
  toString(): string {
    return `get(${this.pick},${this.from.toFixed(2)},${this.span.toFixed(2)})`;
  }
}

class Delete extends Step {
  constructor(readonly pick: number) {
    super();
  }
  async exec(m: Model, w: World, armed: boolean, failed: boolean): Promise<void> {
    const ids = [...m.shards.keys()].sort();
    if (ids.length === 0) return;
    const id = ids[this.pick % ids.length]!;
    const s = m.shards.get(id)!;
    try {
      await w.store.delete(id);
      expect(s.kind === 'live' || (s.kind === 'maybe' && s.options.some((o) => o !== null))).toBe(true);
      m.shards.set(id, { kind: 'absent' });
    } catch (err) {
      if (err instanceof ShardNotFoundError) {
        expect(s.kind === 'absent' || (s.kind === 'maybe' && s.options.includes(null))).toBe(true);
        m.shards.set(id, { kind: 'absent' });
        return;
      }
      expectAllowedError(err, w, m, armed, failed);
      markMaybe(m, id, null);
    }
  }
  toString(): string {
    return `delete(${this.pick})`;
  }
}

class Compact extends Step {
  async exec(m: Model, w: World, armed: boolean, failed: boolean): Promise<void> {
    try {
      const r = await w.store.compact();
      note('extentsCompactedAway', r.extentsRemoved);
    } catch (err) {
      expectAllowedError(err, w, m, armed, failed);
    }
  }
  toString(): string {
    return 'compact';
  }
}

class Reopen extends Step {
  async exec(_m: Model, w: World): Promise<void> {
    await w.store.close();
    await w.open();
  }
  toString(): string {
    return 'reopen';
  }
}

class Crash extends Step {
  constructor(readonly mode: CrashMode) {
    super();
  }
  async exec(_m: Model, w: World): Promise<void> {
    // The old store is abandoned mid-life, as a killed process would be.
    w.io.crash(this.mode);
    w.indexDisk.crash();
    await w.open();
    if (w.store.recovery.tailBytesTruncated > 0) note('crashWithTailTruncated');
    if (w.store.recovery.tornRecordsDropped > 0) note('crashWithTornRecord');
    if (w.store.recovery.extents > 1) note('crashWithSeveralExtents');
  }
  toString(): string {
    return `crash(${this.mode})`;
  }
}

/**
 * Power fails while puts, deletes and a compaction are in flight. Whatever
 * resolved before the crash was acknowledged and must survive; the rest may
 * or may not have happened, but never partly.
 */
class CrashMidway extends Step {
  constructor(
    readonly sizes: number[],
    readonly deletes: number[],
    readonly compact: boolean,
    readonly ticks: number,
    readonly mode: CrashMode,
  ) {
    super();
  }
  async exec(m: Model, w: World): Promise<void> {
    const acked = new Set<string>();
    const failedBefore = w.store.failed;
    const puts = this.sizes.map((size, i) => {
      const id = `s${m.nextId++}`;
      const data = patternBytes(m.nextId * 31 + size, size);
      // Every other put streams, so that crashes also land between a record's prefix and the rest of it.
      const source = i % 2 === 1 ? chunked(data, [7, 2]) : data;
      const p = w.store.put(id, source, { expectedLength: size }).then(() => acked.add(id));
      return { id, data, p };
    });
    const ids = liveIds(m);
    const dels =
      ids.length === 0
        ? []
        : [...new Set(this.deletes.map((d) => ids[d % ids.length]!))].map((id) => ({
            id,
            p: w.store.delete(id).then(() => acked.add(`del:${id}`)),
          }));
    const all: Array<Promise<unknown>> = [...puts.map((x) => x.p), ...dels.map((x) => x.p)];
    if (this.compact) all.push(w.store.compact());
    for (const p of all) p.catch(() => undefined);
    for (let i = 0; i < this.ticks; i++) await new Promise<void>((r) => setImmediate(r));
    w.io.crash(this.mode);
    w.indexDisk.crash();
    if (!failedBefore) {
      for (const { id, data } of puts) {
        if (acked.has(id)) m.shards.set(id, { kind: 'live', data });
        else markMaybe(m, id, data);
      }
      for (const { id } of dels) {
        if (acked.has(`del:${id}`)) m.shards.set(id, { kind: 'absent' });
        else markMaybe(m, id, null);
      }
      note('crashMidwayAcked', acked.size);
      note('crashMidwayUnacked', puts.length + dels.length - acked.size);
    }
    await w.open();
    if (w.store.recovery.tailBytesTruncated > 0) note('crashWithTailTruncated');
    if (w.store.recovery.tornRecordsDropped > 0) note('crashWithTornRecord');
  }
  toString(): string {
    return `crashMidway(put ${this.sizes.join(',')}; delete ${this.deletes.join(',')}${this.compact ? '; compact' : ''}; ${this.ticks} ticks; ${this.mode})`;
  }
}

/** Crashes the machine (both disks) and reopens, noting what recovery had to do. */
async function crashAndReopen(w: World, mode: CrashMode): Promise<void> {
  w.io.crash(mode);
  w.indexDisk.crash();
  await w.open();
  if (w.store.recovery.tailBytesTruncated > 0) note('crashWithTailTruncated');
  if (w.store.recovery.tornRecordsDropped > 0) note('crashWithTornRecord');
}

/**
 * Puts and deletes that all resolve, then a crash a few ticks later: inside
 * the window between the extent sync that acknowledged them and the index
 * commit that records them (or during that commit). Every acknowledged change
 * must come back, replayed from the log.
 */
class CrashAfterAck extends Step {
  constructor(
    readonly sizes: number[],
    readonly deletes: number[],
    readonly ticks: number,
    readonly mode: CrashMode,
  ) {
    super();
  }
  async exec(m: Model, w: World, armed: boolean, failed: boolean): Promise<void> {
    const puts = this.sizes.map((size) => {
      const id = `s${m.nextId++}`;
      return { id, data: patternBytes(m.nextId * 31 + size, size) };
    });
    const ids = liveIds(m);
    const dels = ids.length === 0 ? [] : [...new Set(this.deletes.map((d) => ids[d % ids.length]!))];
    const settled = await Promise.allSettled([
      ...puts.map(({ id, data }) => w.store.put(id, data)),
      ...dels.map((id) => w.store.delete(id)),
    ]);
    settled.forEach((r, i) => {
      const put = puts[i];
      const id = put?.id ?? dels[i - puts.length]!;
      if (r.status === 'fulfilled') {
        m.shards.set(id, put ? { kind: 'live', data: put.data } : { kind: 'absent' });
        note('crashAfterAckAcked');
      } else {
        expectAllowedError(r.reason, w, m, armed, failed);
        markMaybe(m, id, put ? put.data : null);
      }
    });
    const stagedBefore = w.store.failed ? 0 : (await w.store.stats()).index.stagedKeys;
    for (let i = 0; i < this.ticks; i++) await new Promise<void>((r) => setImmediate(r));
    if (stagedBefore > 0) note('crashWithUnindexedAcks');
    await crashAndReopen(w, this.mode);
  }
  toString(): string {
    return `crashAfterAck(put ${this.sizes.join(',')}; delete ${this.deletes.join(',')}; ${this.ticks} ticks; ${this.mode})`;
  }
}

type RaceOp = 'delete' | 'put-same' | 'put-new';

/**
 * Several operations on one shard id at once. They run one at a time in call
 * order, so the outcome is the sequential one; the records reach the log in
 * that order too, so a crash after they resolve replays to the same state.
 */
class Race extends Step {
  constructor(
    readonly pick: number,
    readonly ops: RaceOp[],
    readonly crashAfter: boolean,
  ) {
    super();
  }
  async exec(m: Model, w: World, armed: boolean, failed: boolean): Promise<void> {
    const ids = liveIds(m);
    if (ids.length === 0) return;
    const id = ids[this.pick % ids.length]!;
    const old = (m.shards.get(id) as { data: Buffer }).data;
    const fresh = Buffer.concat([old, patternBytes(m.nextId++, 3)]);
    const run = this.ops.map((op) =>
      op === 'delete' ? w.store.delete(id) : w.store.put(id, op === 'put-new' ? fresh : old),
    );
    const settled = await Promise.allSettled(run);
    // The sequential outcome, op by op.
    let state: Buffer | null = old;
    const seen: Array<Buffer | null> = [old];
    let certain = true;
    settled.forEach((r, i) => {
      const op = this.ops[i]!;
      let expected: 'ok' | typeof ShardNotFoundError | typeof ShardExistsError = 'ok';
      let next = state;
      if (op === 'delete') {
        if (state === null) expected = ShardNotFoundError;
        else next = null;
      } else {
        const data = op === 'put-new' ? fresh : old;
        if (state === null) next = data;
        else if (!state.equals(data)) expected = ShardExistsError;
      }
      if (
        r.status === 'rejected' &&
        !(r.reason instanceof ShardNotFoundError || r.reason instanceof ShardExistsError)
      ) {
        expectAllowedError(r.reason, w, m, armed, failed);
        certain = false;
        seen.push(next);
        return;
      }
      if (certain) {
        if (expected === 'ok') expect(r.status, `${op} of ${id} in ${this.toString()}`).toBe('fulfilled');
        else
          expect(r.status === 'rejected' && r.reason instanceof expected, `${op} of ${id} in ${this.toString()}`).toBe(
            true,
          );
      }
      state = next;
      seen.push(next);
    });
    if (certain) {
      m.shards.set(id, state === null ? { kind: 'absent' } : { kind: 'live', data: state });
      note('raceCertain');
    } else m.shards.set(id, { kind: 'maybe', options: seen });
    if (this.crashAfter) await crashAndReopen(w, 'drop-unsynced');
  }
  toString(): string {
    return `race(${this.pick}: ${this.ops.join(' ')}${this.crashAfter ? '; crash' : ''})`;
  }
}

/** Caps the index just above what it holds: its next commits fail for lack of room. */
class IndexFull extends Step {
  constructor(readonly slack: number) {
    super();
  }
  async exec(_m: Model, w: World): Promise<void> {
    w.indexDisk.capacityBytes = w.indexDisk.usedBytes() + this.slack;
    w.indexFull = true;
  }
  toString(): string {
    return `indexFull(${this.slack})`;
  }
}

class IndexFree extends Step {
  async exec(_m: Model, w: World): Promise<void> {
    w.freeIndex();
  }
  toString(): string {
    return 'indexFree';
  }
}

class FailNext extends Step {
  constructor(readonly target: IoOpKind | 'any' | 'index' | 'index-full') {
    super();
  }
  async exec(): Promise<void> {
    // Armed here, taken by whichever later step does that I/O first.
  }
  override async run(m: Model, w: World): Promise<void> {
    w.steps.push(this.toString());
    note('FailNext');
    if (this.target === 'index') w.indexDisk.failNextCommit = 'EIO';
    else if (this.target === 'index-full') w.indexDisk.failNextCommit = 'MDB_MAP_FULL';
    else w.io.failNext(this.target === 'any' ? {} : { ops: [this.target] });
    w.faultsSinceOpen++;
    await checkAll(m, w);
  }
  toString(): string {
    return `failNext(${this.target})`;
  }
}

class FillDisk extends Step {
  constructor(readonly slack: number) {
    super();
  }
  async exec(m: Model, w: World): Promise<void> {
    w.io.capacityBytes = w.io.usedBytes() + this.slack;
    m.full = true;
  }
  toString(): string {
    return `fill(${this.slack})`;
  }
}

class FreeDisk extends Step {
  async exec(m: Model, w: World): Promise<void> {
    w.io.capacityBytes = Number.MAX_SAFE_INTEGER;
    m.full = false;
  }
  toString(): string {
    return 'free';
  }
}

class Verify extends Step {
  async exec(m: Model, w: World, armed: boolean, failed: boolean): Promise<void> {
    try {
      const r = await w.store.verify();
      // An injected read fault shows up as an I/O finding, never as damage.
      expect(r.damaged.filter((d) => !(armed && d.kind === 'io'))).toEqual([]);
      const pages: string[] = [];
      let after: string | undefined;
      for (let i = 0; i < 1000; i++) {
        const page = await w.store.list(after === undefined ? { limit: 3 } : { after, limit: 3 });
        pages.push(...page.shards.map((s) => s.shardId));
        if (page.nextAfter === undefined) break;
        after = page.nextAfter;
      }
      const maybe = new Set([...m.shards].filter(([, s]) => s.kind === 'maybe').map(([id]) => id));
      expect(pages.filter((id) => !maybe.has(id))).toEqual(liveIds(m));
    } catch (err) {
      expectAllowedError(err, w, m, armed, failed);
    }
  }
  toString(): string {
    return 'verify+list';
  }
}

const size = fc.integer({ min: 0, max: 120 });
const put = fc.tuple(fc.array(size, { minLength: 1, maxLength: 5 }), fc.boolean()).map(([s, st]) => new Put(s, st));
const commands = [
  put,
  put,
  put,
  fc
    .tuple(
      fc.array(size, { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 3 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 40 }),
      fc.constantFrom<CrashMode>('drop-unsynced', 'torn'),
    )
    .map(([sz, d, c, t, mode]) => new CrashMidway(sz, d, c, t, mode)),
  fc.tuple(fc.nat(), fc.boolean()).map(([p, same]) => new RePut(p, same)),
  fc
    .tuple(fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([p, f, s]) => new Get(p, f, s)),
  fc.nat().map((p) => new Delete(p)),
  fc.nat().map((p) => new Delete(p)),
  fc.constant(new Compact()),
  fc.constant(new Reopen()),
  fc.constantFrom<CrashMode>('drop-unsynced', 'torn').map((mode) => new Crash(mode)),
  fc
    .constantFrom<IoOpKind | 'any' | 'index' | 'index-full'>(
      'write',
      'sync',
      'read',
      'open',
      'truncate',
      'syncdir',
      'any',
      'index',
      'index-full',
    )
    .map((t) => new FailNext(t)),
  fc
    .tuple(
      fc.array(size, { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 3 }),
      fc.integer({ min: 0, max: 6 }),
      fc.constantFrom<CrashMode>('drop-unsynced', 'torn'),
    )
    .map(([sz, d, t, mode]) => new CrashAfterAck(sz, d, t, mode)),
  fc
    .tuple(
      fc.nat(),
      fc.array(fc.constantFrom<RaceOp>('delete', 'put-same', 'put-new'), { minLength: 2, maxLength: 4 }),
      fc.boolean(),
    )
    .map(([p, ops, c]) => new Race(p, ops, c)),
  fc.integer({ min: 0, max: 400 }).map((s) => new IndexFull(s)),
  fc.constant(new IndexFree()),
  fc.integer({ min: 0, max: 300 }).map((s) => new FillDisk(s)),
  fc.constant(new FreeDisk()),
  fc.constant(new Verify()),
];

describe('ShardStore against a model, on a simulated disk', () => {
  it(
    'matches the model through puts, gets, deletes, compaction, reopen, crash, failed I/O and full disk',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.commands(commands, { maxCommands: 60, size: 'max' }),
          fc.constantFrom(1, 2),
          fc.constantFrom(...INDEX_INTERVALS_MS),
          async (cmds, depth, indexIntervalMs) => {
            const world = new World(depth, indexIntervalMs);
            await world.open();
            try {
              await fc.asyncModelRun(
                async () => ({ model: { shards: new Map(), nextId: 0, full: false }, real: world }),
                cmds,
              );
            } finally {
              await world.store.close().catch(() => undefined);
            }
          },
        ),
        { numRuns: RUNS, interruptAfterTimeLimit: RUNS > 150 ? RUNS * 1000 : 45_000 },
      );
      console.log('model steps run:', Object.fromEntries(counts));
      for (const step of [
        'Put',
        'Get',
        'Delete',
        'Compact',
        'Reopen',
        'Crash',
        'CrashMidway',
        'CrashAfterAck',
        'Race',
        'IndexFull',
        'FillDisk',
        'FailNext',
      ])
        expect(counts.get(step) ?? 0, step).toBeGreaterThan(40);
      for (const outcome of [
        'crashMidwayAcked',
        'crashMidwayUnacked',
        'crashWithTornRecord',
        'extentsCompactedAway',
        'crashWithTailTruncated',
        'crashWithSeveralExtents',
        'error:DiskFullError',
        'error:DiskFailedError',
        'error:DiskIoError',
        'crashAfterAckAcked',
        'crashWithUnindexedAcks',
        'openReplayedRecords',
        'openRefusedIndexFull',
        'replayAcrossExtents',
        'replaySkippedUnfinished',
        'raceCertain',
      ]) {
        expect(counts.get(outcome) ?? 0, outcome).toBeGreaterThan(0);
      }
    },
    Math.max(120_000, RUNS * 1000),
  );
});
