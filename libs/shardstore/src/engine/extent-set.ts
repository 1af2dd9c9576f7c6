import * as path from 'node:path';
import { DiskFailedError, isNoSpace } from '../errors.js';
import type { ExtentMeta } from '../format/index-entry.js';
import { extentKey } from '../format/index-entry.js';
import type { RecordPlace } from '../format/record-header.js';
import type { ReplayMark } from '../format/replay-mark.js';
import type { DiskIo, IoFile } from '../io/disk-io.js';
import { SizedBufferPool } from './buffer-pool.js';
import { WriteCoalescer } from './write-coalescer.js';

/** Idle coalescing buffers kept per size class. */
const COALESCE_POOL_RETAIN_BYTES = 4 * 2 ** 20;

export const EXTENT_FILE_SUFFIX = '.ext';

export function extentFileName(extentId: number): string {
  return `${extentKey(extentId)}${EXTENT_FILE_SUFFIX}`;
}

export function parseExtentFileName(name: string): number | undefined {
  const m = /^([0-9a-f]{8})\.ext$/.exec(name);
  return m ? parseInt(m[1]!, 16) : undefined;
}

/** One append-only extent file and what the engine knows about it. */
export class Extent {
  file: IoFile | undefined;
  opening: Promise<IoFile> | undefined;
  /** Next free offset; only the active extent grows. */
  reservedEnd: number;
  /** Records reserved here whose commit has not settled; compaction waits for 0. */
  inflight = 0;
  /** Readers in the middle of a read; the file is closed only when 0. */
  pins = 0;
  removed = false;
  /** The index knows the extent but its file was gone at open. */
  lost = false;
  /** `meta` has changes (accounting, sealed flag, new extent) the index does not have yet. */
  dirty = false;
  /** Its removal is decided: the flusher must not write its metadata back. */
  dropped = false;
  /**
   * First writes (record prefixes) in flight, by offset: a batch applying a
   * record here waits for those before it.
   */
  readonly firstWrites = new Map<Promise<void>, number>();
  coalescer: WriteCoalescer | undefined;
  /**
   * Offset of the first reservation whose first write failed (no space): a
   * recovery scan stops there, so records after it are reachable only
   * through the index and are acknowledged only once it holds them.
   */
  chainBreak: number | undefined;
  private unpinned: Array<() => void> = [];

  constructor(
    readonly id: number,
    readonly path: string,
    /** As committed to the index (plus the sealed flag, written at the next commit). */
    public meta: ExtentMeta,
  ) {
    this.reservedEnd = meta.committedEnd;
  }

  unpin(): void {
    this.pins--;
    if (this.pins === 0) {
      const waiters = this.unpinned;
      this.unpinned = [];
      for (const w of waiters) w();
    }
  }

  whenUnpinned(): Promise<void> {
    return this.pins === 0 ? Promise.resolve() : new Promise((resolve) => this.unpinned.push(resolve));
  }
}

/**
 * Space for one record at the end of the log. Open until its request is
 * staged in the index overlay or given up; open reservations are what the
 * replay mark lists as pending.
 */
export class Reservation {
  settled = false;
  /** The record's first write (its prefix, or all of a small record): reachable by a scan once done. */
  first: Promise<void> = Promise.resolve();

  constructor(
    readonly extent: Extent,
    readonly offset: number,
    readonly length: number,
    readonly sequence: number,
  ) {}
}

/** The extents of one disk: which one takes appends, lazy file handles, rollover, removal. */
export class ExtentSet {
  private readonly extents = new Map<number, Extent>();
  active: Extent | undefined;
  private rolling: Promise<void> | undefined;
  private rollingId: number | undefined;
  private readonly open = new Set<Reservation>();
  private readonly coalesceBuffers = new SizedBufferPool(COALESCE_POOL_RETAIN_BYTES);
  /** Set when the disk failed: no more reservations (see IndexFlusher.fence). */
  frozen = false;
  /** Told of every durable first write (the store times them: for small records they are the flush). */
  onDurableWrite: ((startedNs: bigint, ok: boolean, bytes: number) => void) | undefined;

  constructor(
    private readonly io: DiskIo,
    readonly dir: string,
    private readonly extentSizeBytes: number,
    public nextId: number,
  ) {}

  add(extent: Extent): void {
    this.extents.set(extent.id, extent);
  }

  get(id: number): Extent | undefined {
    return this.extents.get(id);
  }

  all(): Extent[] {
    return [...this.extents.values()];
  }

  async fileOf(extent: Extent): Promise<IoFile> {
    if (extent.file) return extent.file;
    extent.opening ??= this.io.open(extent.path, 'write').then((f) => {
      extent.file = f;
      return f;
    });
    try {
      return await extent.opening;
    } finally {
      extent.opening = undefined;
    }
  }

  /**
   * Reserves `length` bytes at the end of the log — the active extent, rolling
   * over to a new one when it would pass the size cap (a record larger than
   * the cap gets a fresh extent to itself) — gives the record the next
   * sequence number, and starts writing `first(extentId, offset, sequence)`
   * there before returning: a batch syncing this extent later waits for that
   * write, so every record before an acknowledged one is reachable by a scan.
   */
  async reserve(
    length: number,
    nextSequence: () => number,
    first: (extentId: number, offset: number, sequence: number) => Buffer,
  ): Promise<Reservation> {
    for (;;) {
      if (this.rolling) {
        await this.rolling;
        continue;
      }
      const r = this.tryReserve(length, nextSequence, first);
      if (r) return r;
      this.rolling = this.roll().finally(() => {
        this.rolling = undefined;
        this.rollingId = undefined;
      });
      await this.rolling;
    }
  }

  /**
   * reserve() when it need not wait — the active extent has room and no
   * roll-over is under way, as for almost every record — else undefined.
   * Small puts take this path: it saves each an async frame and a turn.
   */
  tryReserve(
    length: number,
    nextSequence: () => number,
    first: (extentId: number, offset: number, sequence: number) => Buffer,
  ): Reservation | undefined {
    if (this.rolling) return undefined;
    // Checked in the same turn as the reservation: nothing is appended after the disk failed.
    if (this.frozen) throw new DiskFailedError();
    const a = this.active;
    if (!a || a.meta.sealed || (a.reservedEnd > 0 && a.reservedEnd + length > this.extentSizeBytes)) return undefined;
    const offset = a.reservedEnd;
    const sequence = nextSequence();
    const bytes = first(a.id, offset, sequence);
    a.reservedEnd += length;
    a.inflight++;
    const r = new Reservation(a, offset, length, sequence);
    this.open.add(r);
    r.first = this.writeFirst(a, bytes, offset);
    return r;
  }

  private writeFirst(e: Extent, bytes: Buffer, offset: number): Promise<void> {
    e.coalescer ??= new WriteCoalescer(
      () => this.fileOf(e),
      this.coalesceBuffers,
      (startedNs, ok, bytes) => this.onDurableWrite?.(startedNs, ok, bytes),
    );
    const p = e.coalescer.write(bytes, offset).catch((err: unknown) => {
      if (isNoSpace(err)) {
        e.chainBreak = Math.min(e.chainBreak ?? offset, offset);
        // Nothing more goes here: the next reservation rolls over.
        if (!e.meta.sealed) {
          e.meta = { ...e.meta, sealed: true };
          e.dirty = true;
        }
      }
      throw err;
    });
    e.firstWrites.set(p, offset);
    const done = (): void => {
      e.firstWrites.delete(p);
    };
    p.then(done, done);
    return p;
  }

  /** The reservation's request is staged (or given up): it is no longer pending for recovery. */
  settle(r: Reservation): void {
    if (r.settled) return;
    r.settled = true;
    this.open.delete(r);
  }

  /** Where the next record will go: the end of the log. */
  appendPosition(): RecordPlace {
    if (this.active) return { extentId: this.active.id, offset: this.active.reservedEnd };
    return { extentId: this.rollingId ?? this.nextId, offset: 0 };
  }

  /** Where recovery must replay from if the index were committed now (see format/replay-mark.ts). */
  replayMark(): ReplayMark {
    return {
      from: this.appendPosition(),
      pending: [...this.open].map((r) => ({ extentId: r.extent.id, offset: r.offset })),
    };
  }

  /** Pins an extent for reading; undefined when it is gone. Synchronous on purpose (see ShardStore.get). */
  pin(id: number): Extent | undefined {
    const e = this.extents.get(id);
    if (!e || e.removed) return undefined;
    e.pins++;
    return e;
  }

  private async roll(): Promise<void> {
    const id = this.nextId++;
    this.rollingId = id;
    const file = path.join(this.dir, extentFileName(id));
    const handle = await this.io.open(file, 'create');
    try {
      // The name must be durable before any index entry can point into it.
      await this.io.syncDir(this.dir);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    const extent = new Extent(id, file, { extentId: id, sealed: false, committedEnd: 0, liveBytes: 0, liveCount: 0 });
    extent.file = handle;
    extent.dirty = true;
    const old = this.active;
    if (old && !old.meta.sealed) {
      old.meta = { ...old.meta, sealed: true };
      old.dirty = true;
    }
    this.extents.set(id, extent);
    this.active = extent;
  }

  /** Forgets an extent the index no longer references, then deletes its file once readers are done. */
  async retire(extent: Extent): Promise<void> {
    this.extents.delete(extent.id);
    extent.removed = true;
    if (this.active === extent) this.active = undefined;
    await extent.whenUnpinned();
    await extent.file?.close();
    extent.file = undefined;
    await this.io.unlink(extent.path);
    await this.io.syncDir(this.dir);
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      this.all().map(async (e) => {
        await e.whenUnpinned();
        const f = e.file;
        e.file = undefined;
        await f?.close().catch(() => undefined);
      }),
    );
  }
}
