import {
  CorruptionError,
  DiskFailedError,
  DiskFullError,
  isNoSpace,
  RecordFormatError,
  ShardExistsError,
  ShardNotFoundError,
} from '../errors.js';
import {
  decodeShardEntry,
  encodeExtentMeta,
  encodeShardEntry,
  extentKey,
  locationKey,
  locationRange,
  type ExtentMeta,
  type ShardEntry,
} from '../format/index-entry.js';
import type { IndexOp, IndexStore } from '../index/index-store.js';
import type { Extent, ExtentSet } from './extent-set.js';
import type { BatchResult } from './group-commit.js';
import type { OpStats } from './op-stats.js';

// One group commit: decide every request against the index (plus the batches
// decided but not yet committed, plus the earlier requests of this batch),
// make the extents they wrote durable, then commit all index changes in one
// transaction. Data before index: an entry must never point at bytes the disk
// may not have. Two batches overlap: the next one decides and syncs its data
// while this one commits its index; index commits stay in batch order, and a
// batch whose index commit fails takes every batch decided on top of it down.

export const META_SEQUENCE_KEY = 'sequence';
export const META_DISK_KEY = 'disk';

export type CommitRequest =
  | { kind: 'put'; shardId: string; entry: ShardEntry; extent: Extent }
  | { kind: 'delete'; shardId: string; time: number }
  | { kind: 'move'; shardId: string; fromExtentId: number; fromOffset: number; entry: ShardEntry; extent: Extent }
  | { kind: 'drop-extent'; extent: Extent };

export type CommitResult =
  | { kind: 'put'; entry: ShardEntry; duplicate: boolean }
  | { kind: 'delete' }
  | { kind: 'move'; applied: boolean }
  | { kind: 'drop-extent' };

export interface CommitContext {
  index: IndexStore;
  extents: ExtentSet;
  stats: OpStats;
  isFailed(): boolean;
  /** Marks the disk failed and returns the error to report. */
  fail(reason: string, cause: unknown): DiskFailedError;
  /** Sequence high-water mark to persist with this commit. */
  sequence(): number;
  /** Called after the commit that removed an extent from the index. */
  onExtentDropped(extent: Extent): void;
}

export type LookedUp = { entry: ShardEntry } | { corrupt: string } | undefined;

export function lookupEntry(index: IndexStore, shardId: string): LookedUp {
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

interface Delta {
  bytes: number;
  count: number;
  end: number;
}

/** Decides, syncs and commits batches; one instance per store. */
export class BatchCommitter {
  /** Effects of batches decided but not yet committed, by shard id. */
  private readonly pending = new Map<string, { batch: number; value: LookedUp }>();
  private indexChain: Promise<void> = Promise.resolve();
  private lastBatch = 0;
  /** Batches up to this one were decided on top of a failed commit. */
  private poisonedThrough = 0;
  private poison: unknown;

  constructor(private readonly ctx: CommitContext) {}

  async run(
    reqs: readonly CommitRequest[],
    release: () => void = () => undefined,
  ): Promise<Array<BatchResult<CommitResult>>> {
    const ctx = this.ctx;
    if (ctx.isFailed()) return reqs.map(() => ({ ok: false, error: new DiskFailedError() }));
    const batch = ++this.lastBatch;
    const overlay = new Map<string, LookedUp>();
    const look = (id: string): LookedUp => {
      if (overlay.has(id)) return overlay.get(id);
      const p = this.pending.get(id);
      return p ? p.value : lookupEntry(ctx.index, id);
    };
    const ops: IndexOp[] = [];
    const deltas = new Map<number, Delta>();
    const toSync = new Set<Extent>();
    const dropped: Extent[] = [];
    const delta = (extentId: number, bytes: number, count: number, end = 0): void => {
      const d = deltas.get(extentId) ?? { bytes: 0, count: 0, end: 0 };
      d.bytes += bytes;
      d.count += count;
      d.end = Math.max(d.end, end);
      deltas.set(extentId, d);
    };
    const plan = (req: CommitRequest): CommitResult =>
      planRequest(ctx, req, look, overlay, ops, delta, toSync, dropped);
    const results: Array<BatchResult<CommitResult>> = reqs.map((req) => {
      try {
        return { ok: true, value: plan(req) };
      } catch (error) {
        return { ok: false, error };
      }
    });
    const failAll = (error: unknown): Array<BatchResult<CommitResult>> =>
      results.map((r) => (r.ok ? { ok: false, error } : r));
    for (const [id, value] of overlay) this.pending.set(id, { batch, value });

    // Take our turn for the index first, so turns follow batch order.
    const previous = this.indexChain;
    let finished!: () => void;
    this.indexChain = new Promise<void>((r) => (finished = r));
    try {
      if (toSync.size > 0) {
        try {
          await ctx.stats.time('fsync', () =>
            Promise.all([...toSync].map(async (e) => (await ctx.extents.fileOf(e)).datasync())),
          );
        } catch (err) {
          return failAll(ctx.fail('fdatasync of an extent failed', err));
        }
      }
      release();
      await previous;
      if (batch <= this.poisonedThrough) return failAll(this.poison);
      if (ctx.isFailed()) return failAll(new DiskFailedError());
      const metas = this.extentMetaOps(deltas, dropped, ops);
      if (ops.length > 0) {
        const seq = Buffer.alloc(8);
        seq.writeBigUInt64LE(BigInt(ctx.sequence()));
        ops.push({ table: 'meta', key: META_SEQUENCE_KEY, value: seq });
        try {
          await ctx.stats.time('indexCommit', () => ctx.index.commit(ops));
        } catch (err) {
          // LMDB commits are atomic: a full disk leaves the index as it was,
          // but every batch decided on top of this one is void too.
          this.poisonedThrough = this.lastBatch;
          if (isNoSpace(err)) this.poison = new DiskFullError('disk is full (index commit)', { cause: err });
          else this.poison = ctx.fail('index commit failed', err);
          for (const [id, p] of this.pending) if (p.batch <= this.poisonedThrough) this.pending.delete(id);
          return failAll(this.poison);
        }
      }
      for (const [id, m] of metas) {
        const e = ctx.extents.get(id);
        if (!e) continue;
        // Keep a seal that happened while this batch was committing.
        e.meta = { ...m, sealed: m.sealed || e.meta.sealed };
        e.dirty = e.meta.sealed !== m.sealed;
      }
      for (const e of dropped) ctx.onExtentDropped(e);
      return results;
    } finally {
      for (const [id] of overlay) if (this.pending.get(id)?.batch === batch) this.pending.delete(id);
      finished();
    }
  }

  /** New metadata for every extent this batch touched (or that waits to be written). */
  private extentMetaOps(deltas: Map<number, Delta>, dropped: Extent[], ops: IndexOp[]): Map<number, ExtentMeta> {
    const metas = new Map<number, ExtentMeta>();
    const touched = new Set<number>([
      ...deltas.keys(),
      ...this.ctx.extents
        .all()
        .filter((e) => e.dirty)
        .map((e) => e.id),
    ]);
    for (const id of touched) {
      const e = this.ctx.extents.get(id);
      if (!e || dropped.includes(e)) continue;
      const d = deltas.get(id) ?? { bytes: 0, count: 0, end: 0 };
      const m: ExtentMeta = {
        ...e.meta,
        liveBytes: Math.max(0, e.meta.liveBytes + d.bytes),
        liveCount: Math.max(0, e.meta.liveCount + d.count),
        committedEnd: Math.max(e.meta.committedEnd, d.end),
      };
      metas.set(id, m);
      ops.push({ table: 'extents', key: extentKey(id), value: encodeExtentMeta(m) });
    }
    return metas;
  }
}

function planRequest(
  ctx: CommitContext,
  req: CommitRequest,
  look: (id: string) => LookedUp,
  overlay: Map<string, LookedUp>,
  ops: IndexOp[],
  delta: (extentId: number, bytes: number, count: number, end?: number) => void,
  toSync: Set<Extent>,
  dropped: Extent[],
): CommitResult {
  switch (req.kind) {
    case 'put': {
      const cur = look(req.shardId);
      if (cur && 'corrupt' in cur) throw new CorruptionError(req.shardId, `index entry: ${cur.corrupt}`);
      if (cur?.entry.state === 'live') {
        // Shard ids are unique per write; an identical retry is idempotent.
        if (sameContent(cur.entry, req.entry)) return { kind: 'put', entry: cur.entry, duplicate: true };
        throw new ShardExistsError(req.shardId);
      }
      const e = req.entry;
      ops.push({ table: 'shards', key: req.shardId, value: encodeShardEntry(req.shardId, e) });
      ops.push({
        table: 'locations',
        key: locationKey(e.extentId, e.recordOffset),
        value: Buffer.from(req.shardId, 'utf8'),
      });
      delta(e.extentId, recordLengthOf(e), 1, e.recordOffset + recordLengthOf(e));
      toSync.add(req.extent);
      overlay.set(req.shardId, { entry: e });
      return { kind: 'put', entry: e, duplicate: false };
    }
    case 'delete': {
      const cur = look(req.shardId);
      if (!cur) throw new ShardNotFoundError(req.shardId);
      if ('corrupt' in cur) {
        // Its length is unknowable, so the extent's live count stays high
        // until compaction recounts; the entry itself goes.
        ops.push({ table: 'shards', key: req.shardId, value: null });
        overlay.set(req.shardId, undefined);
        return { kind: 'delete' };
      }
      if (cur.entry.state !== 'live') throw new ShardNotFoundError(req.shardId);
      const tomb: ShardEntry = { ...cur.entry, state: 'deleted', time: req.time };
      ops.push({ table: 'shards', key: req.shardId, value: encodeShardEntry(req.shardId, tomb) });
      delta(cur.entry.extentId, -recordLengthOf(cur.entry), -1);
      overlay.set(req.shardId, { entry: tomb });
      return { kind: 'delete' };
    }
    case 'move': {
      const cur = look(req.shardId);
      if (
        !cur ||
        'corrupt' in cur ||
        cur.entry.state !== 'live' ||
        cur.entry.extentId !== req.fromExtentId ||
        cur.entry.recordOffset !== req.fromOffset
      ) {
        return { kind: 'move', applied: false };
      }
      const e = req.entry;
      ops.push({ table: 'shards', key: req.shardId, value: encodeShardEntry(req.shardId, e) });
      ops.push({
        table: 'locations',
        key: locationKey(e.extentId, e.recordOffset),
        value: Buffer.from(req.shardId, 'utf8'),
      });
      ops.push({ table: 'locations', key: locationKey(req.fromExtentId, req.fromOffset), value: null });
      delta(req.fromExtentId, -recordLengthOf(cur.entry), -1);
      delta(e.extentId, recordLengthOf(e), 1, e.recordOffset + recordLengthOf(e));
      toSync.add(req.extent);
      overlay.set(req.shardId, { entry: e });
      return { kind: 'move', applied: true };
    }
    case 'drop-extent': {
      const id = req.extent.id;
      const planned: IndexOp[] = [];
      const gone: string[] = [];
      for (const [lk, idBytes] of ctx.index.range('locations', locationRange(id))) {
        const shardId = Buffer.from(idBytes).toString('utf8');
        const cur = look(shardId);
        planned.push({ table: 'locations', key: lk, value: null });
        if (cur && 'entry' in cur && cur.entry.extentId === id) {
          if (cur.entry.state === 'live') throw new Error(`extent ${id} still holds live shard ${shardId}`);
          // The tombstone's bytes go with the extent, so the tombstone can go too.
          planned.push({ table: 'shards', key: shardId, value: null });
          gone.push(shardId);
        }
      }
      planned.push({ table: 'extents', key: extentKey(id), value: null });
      ops.push(...planned);
      for (const shardId of gone) overlay.set(shardId, undefined);
      dropped.push(req.extent);
      return { kind: 'drop-extent' };
    }
  }
}
