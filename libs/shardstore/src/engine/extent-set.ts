import * as path from 'node:path';
import type { ExtentMeta } from '../format/index-entry.js';
import { extentKey } from '../format/index-entry.js';
import type { DiskIo, IoFile } from '../io/disk-io.js';

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
  /** `meta` has changes (sealed flag, new extent) the index does not have yet. */
  dirty = false;
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

/** The extents of one disk: which one takes appends, lazy file handles, rollover, removal. */
export class ExtentSet {
  private readonly extents = new Map<number, Extent>();
  active: Extent | undefined;
  private rolling: Promise<void> | undefined;

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
   * Reserves `length` bytes at the end of the active extent, rolling over to a
   * new extent when it would pass the size cap. A record larger than the cap
   * gets a fresh extent to itself.
   */
  async reserve(length: number): Promise<{ extent: Extent; offset: number }> {
    for (;;) {
      if (this.rolling) {
        await this.rolling;
        continue;
      }
      const a = this.active;
      if (a && !(a.reservedEnd > 0 && a.reservedEnd + length > this.extentSizeBytes)) {
        const offset = a.reservedEnd;
        a.reservedEnd += length;
        a.inflight++;
        return { extent: a, offset };
      }
      this.rolling = this.roll().finally(() => {
        this.rolling = undefined;
      });
      await this.rolling;
    }
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
    if (old) {
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
