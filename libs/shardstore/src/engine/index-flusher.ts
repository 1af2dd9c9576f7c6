import { clearImmediate, clearTimeout, setImmediate, setTimeout } from 'node:timers';
import { DiskFailedError, DiskFullError, isNoSpace } from '../errors.js';
import { encodeExtentMeta, extentKey } from '../format/index-entry.js';
import { encodeReplayMark, META_APPLIED_KEY } from '../format/replay-mark.js';
import type { IndexOp, IndexStore } from '../index/index-store.js';
import type { StagedIndex } from '../index/staged-index.js';
import type { Extent, ExtentSet } from './extent-set.js';
import type { OpStats } from './op-stats.js';

// Commits staged index changes to the index, off the acknowledgement path.
// Writers are answered once their records are fdatasync'd in the extent log;
// the index catches up here, at most `intervalMs` later (sooner when much is
// staged), in one transaction that also records where recovery must start
// replaying the log (the replay mark), the next sequence number and the
// extent metadata. So one durable sync acknowledges a batch, and LMDB's own
// sync is paid once per interval instead of once per batch.

export const META_SEQUENCE_KEY = 'sequence';
export const META_DISK_KEY = 'disk';
/** The index format this engine reads (meta/format); see README. */
export const META_FORMAT_KEY = 'format';
export const INDEX_FORMAT = 'platter-shardstore/2';
/** After a commit failed for lack of space, try again this much later (ms): deletes or an operator may free some. */
const FULL_RETRY_MS = 1000;

export interface IndexCommitOptions {
  /** Longest wait (ms) between an acknowledged change and its index commit; 0 commits after every batch. */
  intervalMs: number;
  /** Commit at once when this many keys are staged (bounds memory and recovery's replay). */
  maxStagedKeys: number;
}

export interface FlushContext {
  staged: StagedIndex;
  index: IndexStore;
  extents: ExtentSet;
  stats: OpStats;
  /** Next sequence number, persisted so that numbers are never reused after a crash. */
  sequence(): number;
  isFailed(): boolean;
  fail(reason: string, cause: unknown): DiskFailedError;
}

export class IndexFlusher {
  private timer: { cancel(): void } | undefined;
  private running: Promise<void> | undefined;
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  /** A timer fired: commit when the current commit (if any) is done. */
  private due = false;
  /** Changes were staged while a commit ran: start a timer of this many ms once it is done. */
  private scheduleAfter: number | undefined;
  private closed = false;
  private fencing: Promise<void> | undefined;
  private lastMark: Buffer | undefined;
  /** Set while the index has no room for staged changes; writes are refused meanwhile. */
  full: DiskFullError | undefined;
  commits = 0;

  constructor(
    private readonly ctx: FlushContext,
    private readonly options: IndexCommitOptions,
  ) {}

  /** A batch staged changes: commit them within the interval (at once when many are staged). */
  noteStaged(): void {
    if (this.closed) return;
    this.schedule(this.ctx.staged.size >= this.options.maxStagedKeys ? 0 : this.options.intervalMs);
  }

  /** Resolves once everything staged before the call is durable in the index. */
  flushNow(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.kick();
    });
  }

  /** Stops the timer, then commits what is left (the fence, if the disk failed). */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer();
    if (!this.ctx.isFailed()) await this.flushNow();
    else await (this.fencing ?? this.running)?.catch(() => undefined);
  }

  /**
   * Once the disk failed: one last commit of what was acknowledged, with a
   * replay mark that lists nothing pending, so that recovery never rolls
   * forward a record whose batch failed — after a failed fsync the kernel may
   * have dropped its pages while reads still see them. Best effort: if this
   * commit fails too, recovery finds the older mark and verifies what it
   * replays all the same.
   */
  fence(): Promise<void> {
    this.fencing ??= (async () => {
      this.cancelTimer();
      await this.running?.catch(() => undefined);
      const ctx = this.ctx;
      const snap = ctx.staged.snapshot();
      const ops = [...snap.ops, ...this.metaOps(ctx.extents.all().filter((e) => e.dirty && !e.dropped))];
      const mark = ctx.extents.replayMark();
      ops.push({ table: 'meta', key: META_APPLIED_KEY, value: encodeReplayMark({ from: mark.from, pending: [] }) });
      await ctx.index.commit(ops).then(
        () => ctx.staged.settle(snap.version),
        () => undefined,
      );
    })();
    return this.fencing;
  }

  private metaOps(dirty: Extent[]): IndexOp[] {
    const ops: IndexOp[] = [];
    for (const e of dirty) {
      ops.push({ table: 'extents', key: extentKey(e.id), value: encodeExtentMeta(e.meta) });
      e.dirty = false;
    }
    const seq = Buffer.alloc(8);
    seq.writeBigUInt64LE(BigInt(this.ctx.sequence()));
    ops.push({ table: 'meta', key: META_SEQUENCE_KEY, value: seq });
    return ops;
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.running) {
      this.scheduleAfter = Math.min(this.scheduleAfter ?? ms, ms);
      return;
    }
    if (this.timer) {
      if (ms > 0) return;
      this.cancelTimer();
    }
    const fire = (): void => {
      this.timer = undefined;
      this.due = true;
      this.kick();
    };
    if (ms === 0) {
      const t = setImmediate(fire);
      this.timer = { cancel: () => clearImmediate(t) };
    } else {
      const t = setTimeout(fire, ms);
      // An idle store must not keep the process alive; close() commits the rest.
      t.unref();
      this.timer = { cancel: () => clearTimeout(t) };
    }
  }

  private kick(): void {
    if (this.running) return;
    this.cancelTimer();
    this.running = this.loop().finally(() => {
      this.running = undefined;
      const after = this.scheduleAfter;
      this.scheduleAfter = undefined;
      if (this.waiters.length > 0) this.kick();
      else if (this.closed || this.ctx.isFailed()) return;
      else if (this.full) this.schedule(FULL_RETRY_MS);
      else if (after !== undefined) this.schedule(after);
    });
  }

  private async loop(): Promise<void> {
    while (this.waiters.length > 0 || this.due) {
      const waiters = this.waiters.splice(0);
      this.due = false;
      try {
        await this.commitOnce();
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
        return;
      }
    }
  }

  private async commitOnce(): Promise<void> {
    const ctx = this.ctx;
    if (ctx.isFailed()) throw new DiskFailedError();
    // One synchronous snapshot: the staged changes, the metadata and the
    // replay mark must describe the same moment.
    const dirty = ctx.extents.all().filter((e) => e.dirty && !e.dropped);
    const mark = encodeReplayMark(ctx.extents.replayMark());
    if (ctx.staged.size === 0 && dirty.length === 0 && this.lastMark?.equals(mark)) {
      this.full = undefined;
      return;
    }
    const snap = ctx.staged.snapshot();
    const ops: IndexOp[] = [...snap.ops, ...this.metaOps(dirty)];
    ops.push({ table: 'meta', key: META_APPLIED_KEY, value: mark });
    try {
      await ctx.stats.time('indexCommit', () => ctx.index.commit(ops));
    } catch (err) {
      redirty(dirty);
      if (isNoSpace(err)) {
        // Atomic: the index is as it was, the staged changes stay staged (and
        // readable), and the log still holds them all for recovery.
        this.full = new DiskFullError('disk is full (index commit)', { cause: err });
        throw this.full;
      }
      throw ctx.fail('index commit failed', err);
    }
    this.full = undefined;
    this.lastMark = mark;
    this.commits++;
    ctx.staged.settle(snap.version);
  }
}

function redirty(extents: Extent[]): void {
  for (const e of extents) if (!e.dropped) e.dirty = true;
}
