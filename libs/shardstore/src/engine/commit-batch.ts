import {
  CorruptionError,
  DiskFailedError,
  RecordFormatError,
  ShardExistsError,
  ShardNotFoundError,
} from '../errors.js';
import {
  decodeShardEntry,
  encodeShardEntry,
  extentKey,
  locationKey,
  locationRange,
  type ShardEntry,
} from '../format/index-entry.js';
import type { RecordPlace } from '../format/record-header.js';
import type { IndexOp } from '../index/index-store.js';
import type { IndexReader, StagedIndex } from '../index/staged-index.js';
import type { Extent, ExtentSet, Reservation } from './extent-set.js';
import type { BatchResult } from './group-commit.js';
import type { OpStats } from './op-stats.js';

// One group commit: decide every request against the index (its staged
// overlay, the batches decided but not yet staged, and the earlier requests
// of this batch), fdatasync the extents holding the records it applies —
// their log entries — and answer. That one sync is the durability point: the
// index changes are staged (visible to readers at once) and committed to
// LMDB later by the flusher; recovery replays the records the index lacks.
//
// Decisions are a pure function of the index state and the record, so that
// recovery replaying the records in log order decides exactly as this did:
// that needs the records of one shard id to reach the log in the order they
// are decided, which the store guarantees by running one operation per id at
// a time (its KeyedLock, held until the operation is answered).

export type LookedUp = { entry: ShardEntry } | { corrupt: string } | undefined;

export function lookupEntry(index: IndexReader, shardId: string): LookedUp {
  const raw = index.get('shards', shardId);
  if (!raw) return undefined;
  try {
    return { entry: decodeShardEntry(shardId, raw) };
  } catch (err) {
    if (err instanceof RecordFormatError) return { corrupt: err.message };
    throw err;
  }
}

export function recordLengthOf(e: ShardEntry): number {
  return e.headerLength + e.dataLength;
}

function sameContent(a: ShardEntry, b: ShardEntry): boolean {
  return (
    a.dataLength === b.dataLength &&
    a.blockSize === b.blockSize &&
    a.blockCrcs.length === b.blockCrcs.length &&
    a.blockCrcs.every((c, i) => c === b.blockCrcs[i])
  );
}

/** Where a request's record lies in the log. */
export interface LogRecord {
  extent: Extent;
  offset: number;
  length: number;
  /**
   * The whole record was its first write, and first writes are durable when
   * they finish (WriteCoalescer): no sync of the extent is needed for it.
   */
  durable?: boolean;
}

export type CommitRequest =
  | {
      kind: 'put';
      shardId: string;
      entry: ShardEntry;
      record: LogRecord;
      slot?: Reservation;
      /**
       * The writer looked the id up under its lock and found no live entry.
       * Nothing can make it live before this decision (only operations on
       * the id do, and the lock holds them off; dropping an extent removes
       * tombstones only), so the decision skips a second index lookup,
       * which is an LMDB read for every new id. Recovery never sets it.
       */
      notLive?: boolean;
    }
  | { kind: 'delete'; shardId: string; time: number; sequence: number; record: LogRecord; slot?: Reservation }
  | { kind: 'move'; shardId: string; from: RecordPlace; entry: ShardEntry; record: LogRecord; slot?: Reservation }
  | { kind: 'drop-extent'; extent: Extent };

export type CommitResult =
  | { kind: 'put'; entry: ShardEntry; duplicate: boolean }
  | { kind: 'delete' }
  | { kind: 'move'; applied: boolean }
  | { kind: 'drop-extent' };

interface Delta {
  bytes: number;
  count: number;
  end: number;
}

/** The index changes of some decided requests, not yet staged. */
export class Plan {
  readonly ops: IndexOp[] = [];
  readonly deltas = new Map<number, Delta>();
  /** What this plan's decisions did to each shard id, for the decisions after them. */
  readonly overlay = new Map<string, LookedUp>();
  /** Records whose effect this plan applies: their log entries must be durable first. */
  readonly applied: LogRecord[] = [];
  readonly dropped: Extent[] = [];

  constructor(
    readonly index: IndexReader,
    private readonly below: (shardId: string) => LookedUp,
  ) {}

  look(shardId: string): LookedUp {
    return this.overlay.has(shardId) ? this.overlay.get(shardId) : this.below(shardId);
  }

  private delta(extentId: number, bytes: number, count: number, end = 0): void {
    const d = this.deltas.get(extentId) ?? { bytes: 0, count: 0, end: 0 };
    d.bytes += bytes;
    d.count += count;
    d.end = Math.max(d.end, end);
    this.deltas.set(extentId, d);
  }

  private logged(r: LogRecord): void {
    this.applied.push(r);
    this.delta(r.extent.id, 0, 0, r.offset + r.length);
  }

  /** Decides one request; throws the typed error it fails with (then it changes nothing). */
  decide(req: CommitRequest): CommitResult {
    switch (req.kind) {
      case 'put': {
        const cur = req.notLive === true ? undefined : this.look(req.shardId);
        if (cur && 'corrupt' in cur) throw new CorruptionError(req.shardId, `index entry: ${cur.corrupt}`);
        if (cur?.entry.state === 'live') {
          // Shard ids are unique per write; an identical retry is idempotent.
          if (sameContent(cur.entry, req.entry)) return { kind: 'put', entry: cur.entry, duplicate: true };
          throw new ShardExistsError(req.shardId);
        }
        const e = req.entry;
        this.ops.push({ table: 'shards', key: req.shardId, value: encodeShardEntry(req.shardId, e) });
        this.ops.push({
          table: 'locations',
          key: locationKey(e.extentId, e.recordOffset),
          value: Buffer.from(req.shardId, 'utf8'),
        });
        this.delta(e.extentId, recordLengthOf(e), 1);
        this.logged(req.record);
        this.overlay.set(req.shardId, { entry: e });
        return { kind: 'put', entry: e, duplicate: false };
      }
      case 'delete': {
        const cur = this.look(req.shardId);
        if (!cur) throw new ShardNotFoundError(req.shardId);
        if ('corrupt' in cur) {
          // Its length is unknowable, so the extent's live count stays high
          // until compaction recounts; the entry itself goes.
          this.ops.push({ table: 'shards', key: req.shardId, value: null });
          this.logged(req.record);
          this.overlay.set(req.shardId, undefined);
          return { kind: 'delete' };
        }
        if (cur.entry.state !== 'live') throw new ShardNotFoundError(req.shardId);
        // The tombstone keeps the dead record's place (compaction drops it with
        // that extent) and the delete's sequence (replay skips older records).
        const tomb: ShardEntry = { ...cur.entry, state: 'deleted', time: req.time, sequence: req.sequence };
        this.ops.push({ table: 'shards', key: req.shardId, value: encodeShardEntry(req.shardId, tomb) });
        this.delta(cur.entry.extentId, -recordLengthOf(cur.entry), -1);
        this.logged(req.record);
        this.overlay.set(req.shardId, { entry: tomb });
        return { kind: 'delete' };
      }
      case 'move': {
        const cur = this.look(req.shardId);
        if (
          !cur ||
          'corrupt' in cur ||
          cur.entry.state !== 'live' ||
          cur.entry.extentId !== req.from.extentId ||
          cur.entry.recordOffset !== req.from.offset
        ) {
          return { kind: 'move', applied: false };
        }
        const e = req.entry;
        this.ops.push({ table: 'shards', key: req.shardId, value: encodeShardEntry(req.shardId, e) });
        this.ops.push({
          table: 'locations',
          key: locationKey(e.extentId, e.recordOffset),
          value: Buffer.from(req.shardId, 'utf8'),
        });
        this.ops.push({ table: 'locations', key: locationKey(req.from.extentId, req.from.offset), value: null });
        this.delta(req.from.extentId, -recordLengthOf(cur.entry), -1);
        this.delta(e.extentId, recordLengthOf(e), 1);
        this.logged(req.record);
        this.overlay.set(req.shardId, { entry: e });
        return { kind: 'move', applied: true };
      }
      case 'drop-extent': {
        const id = req.extent.id;
        const planned: IndexOp[] = [];
        const gone: string[] = [];
        for (const [lk, idBytes] of this.index.range('locations', locationRange(id))) {
          const shardId = Buffer.from(idBytes).toString('utf8');
          const cur = this.look(shardId);
          planned.push({ table: 'locations', key: lk, value: null });
          if (cur && 'entry' in cur && cur.entry.extentId === id) {
            if (cur.entry.state === 'live') throw new Error(`extent ${id} still holds live shard ${shardId}`);
            // The tombstone's bytes go with the extent, so the tombstone can go too.
            planned.push({ table: 'shards', key: shardId, value: null });
            gone.push(shardId);
          }
        }
        planned.push({ table: 'extents', key: extentKey(id), value: null });
        this.ops.push(...planned);
        for (const shardId of gone) this.overlay.set(shardId, undefined);
        this.dropped.push(req.extent);
        return { kind: 'drop-extent' };
      }
    }
  }
}

/** Makes a plan's changes visible: staged index entries and the extents' in-memory accounting. */
export function stagePlan(plan: Plan, staged: StagedIndex, extents: ExtentSet): void {
  staged.stage(plan.ops);
  for (const e of plan.dropped) e.dropped = true;
  for (const [id, d] of plan.deltas) {
    const e = extents.get(id);
    if (!e || e.dropped) continue;
    e.meta = {
      ...e.meta,
      liveBytes: Math.max(0, e.meta.liveBytes + d.bytes),
      liveCount: Math.max(0, e.meta.liveCount + d.count),
      committedEnd: Math.max(e.meta.committedEnd, d.end),
    };
    e.dirty = true;
  }
}

export interface CommitContext {
  staged: StagedIndex;
  extents: ExtentSet;
  stats: OpStats;
  isFailed(): boolean;
  /** Marks the disk failed and returns the error to report. */
  fail(reason: string, cause: unknown): DiskFailedError;
  /** A batch staged changes: the index should catch up soon. */
  noteStaged(): void;
  /** Resolves once every staged change is durable in the index. */
  flushIndex(): Promise<void>;
  /** Called once the removal of an extent is durable in the index. */
  onExtentDropped(extent: Extent): void;
}

/** Decides, syncs and stages batches; one instance per store. */
export class BatchCommitter {
  /** Decisions of batches not yet staged (a pipelined batch decides on top of them). */
  private readonly decided = new Map<string, { batch: number; value: LookedUp }>();
  private stageChain: Promise<void> = Promise.resolve();
  private lastBatch = 0;

  constructor(private readonly ctx: CommitContext) {}

  async run(
    reqs: readonly CommitRequest[],
    release: () => void = () => undefined,
  ): Promise<Array<BatchResult<CommitResult>>> {
    const ctx = this.ctx;
    if (ctx.isFailed()) return reqs.map(() => ({ ok: false, error: new DiskFailedError() }));
    const batch = ++this.lastBatch;
    const plan = new Plan(ctx.staged, (id) => {
      const d = this.decided.get(id);
      return d ? d.value : lookupEntry(ctx.staged, id);
    });
    const results: Array<BatchResult<CommitResult>> = reqs.map((req) => {
      try {
        return { ok: true, value: plan.decide(req) };
      } catch (error) {
        return { ok: false, error };
      }
    });
    const failAll = (error: unknown): Array<BatchResult<CommitResult>> =>
      results.map((r) => (r.ok ? { ok: false, error } : r));
    for (const [id, value] of plan.overlay) this.decided.set(id, { batch, value });

    // Stage in batch order, so that a later decision never becomes visible first.
    const previous = this.stageChain;
    let finished!: () => void;
    this.stageChain = new Promise<void>((r) => (finished = r));
    try {
      // The end of the last record this batch applies, per extent.
      const logged = new Map<Extent, number>();
      for (const r of plan.applied) logged.set(r.extent, Math.max(logged.get(r.extent) ?? 0, r.offset + r.length));
      let viaIndex = false;
      if (logged.size > 0) {
        // Every record before ours in these extents must be reachable by a
        // recovery scan: wait for the first writes (prefixes) started before
        // them. They are durable once done, so a batch of records written
        // whole in their first write (small puts, deletes) needs no sync of
        // its own. Later records' writes are no concern of ours: waiting for
        // them too would chain each batch to the next one's I/O.
        const before: Array<Promise<void>> = [];
        for (const [e, end] of logged) for (const [p, at] of e.firstWrites) if (at < end) before.push(p);
        await Promise.allSettled(before);
        // A prefix that could not be written (no space) hides what follows it
        // from the scan: those records are acknowledged once the index has them.
        viaIndex = plan.applied.some((r) => r.extent.chainBreak !== undefined && r.offset > r.extent.chainBreak);
        const toSync = new Set(plan.applied.filter((r) => r.durable !== true).map((r) => r.extent));
        if (toSync.size > 0) {
          try {
            await ctx.stats.time('fsync', () =>
              Promise.all([...toSync].map(async (e) => (await ctx.extents.fileOf(e)).datasync())),
            );
          } catch (err) {
            return failAll(ctx.fail('fdatasync of an extent failed', err));
          }
        }
      }
      release();
      await previous;
      if (ctx.isFailed()) return failAll(new DiskFailedError());
      stagePlan(plan, ctx.staged, ctx.extents);
      for (const req of reqs) if (req.kind !== 'drop-extent' && req.slot) ctx.extents.settle(req.slot);
      ctx.noteStaged();
      if (viaIndex || plan.dropped.length > 0) {
        // An extent's file may go only once the index no longer needs it; a
        // record behind a chain break only once the index holds it.
        try {
          await ctx.flushIndex();
        } catch (err) {
          if (ctx.isFailed()) return failAll(new DiskFailedError());
          // A record behind a chain break is staged and decided on, yet a crash
          // now would lose it (the scan cannot reach it) while later decisions
          // build on it: take the disk out rather than answer either way. A
          // removal that did not commit just waits (the file stays).
          if (viaIndex) return failAll(ctx.fail('index commit failed for records the log cannot reach', err));
          return results.map((r, i) => (reqs[i]!.kind === 'drop-extent' && r.ok ? { ok: false, error: err } : r));
        }
      }
      for (const e of plan.dropped) ctx.onExtentDropped(e);
      return results;
    } finally {
      for (const [id] of plan.overlay) if (this.decided.get(id)?.batch === batch) this.decided.delete(id);
      finished();
    }
  }
}
