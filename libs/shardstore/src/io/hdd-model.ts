import * as path from 'node:path';
import type { DiskIo, IoFile } from './disk-io.js';

// A spinning disk in front of a fast one: every data operation waits in one
// FIFO queue for seek + rotation + transfer, so heat, queueing and stragglers
// show up on SSD-backed test machines the way they would on HDDs. With the
// defaults a random 4 KiB I/O costs ≈ 4.2 + 4.2 + 0.02 ms ≈ 120 IOPS, and
// sequential I/O (the head already in place) runs at the transfer rate.

export interface HddModelOptions {
  /** Spindle speed; half a revolution is the mean rotational wait. */
  rpm?: number;
  /** Mean seek between random positions, ms. */
  averageSeekMs?: number;
  /** Shortest seek (adjacent track), ms. */
  trackToTrackMs?: number;
  /** Media transfer rate, bytes per second. */
  transferBytesPerSecond?: number;
  /** Modelled capacity: seek time grows with the square root of the distance across it. */
  capacityBytes?: number;
  /** Cost of a cache flush (fsync), ms. */
  flushMs?: number;
  seed?: number;
}

const DEFAULTS: Required<HddModelOptions> = {
  rpm: 7200,
  averageSeekMs: 4.2,
  trackToTrackMs: 0.5,
  transferBytesPerSecond: 180e6,
  capacityBytes: 4e12,
  flushMs: 4.5,
  seed: 1,
};
/** Each file gets its own region of the modelled platter, this far apart. */
const FILE_REGION_BYTES = 2 ** 30;
/** E[sqrt(|U1 − U2|)] for uniform U1, U2: turns the mean seek into a full-stroke seek. */
const MEAN_SQRT_DISTANCE = 8 / 15;

export interface HddStats {
  queueDepth: number;
  operations: number;
  busyMs: number;
  seeks: number;
}

export class HddModelIo implements DiskIo {
  private readonly o: Required<HddModelOptions>;
  private readonly fullStrokeMs: number;
  private readonly regions = new Map<string, number>();
  private busyUntil = 0;
  private head = 0;
  private rng: number;
  readonly stats: HddStats = { queueDepth: 0, operations: 0, busyMs: 0, seeks: 0 };

  constructor(
    private readonly inner: DiskIo,
    options: HddModelOptions = {},
  ) {
    this.o = { ...DEFAULTS, ...options };
    this.fullStrokeMs = this.o.trackToTrackMs + (this.o.averageSeekMs - this.o.trackToTrackMs) / MEAN_SQRT_DISTANCE;
    this.rng = this.o.seed >>> 0 || 1;
  }

  /** The service time of one operation at `lba`, moving the head there. */
  costMs(lba: number, bytes: number): number {
    let ms = (bytes / this.o.transferBytesPerSecond) * 1000;
    if (lba !== this.head) {
      const f = Math.min(1, Math.abs(lba - this.head) / this.o.capacityBytes);
      ms += this.o.trackToTrackMs + (this.fullStrokeMs - this.o.trackToTrackMs) * Math.sqrt(f);
      ms += this.random() * (60_000 / this.o.rpm);
      this.stats.seeks++;
    }
    this.head = lba + bytes;
    return ms;
  }

  /** Waits in the queue for `ms` of device time. */
  async occupy(ms: number): Promise<void> {
    const now = performance.now();
    const start = Math.max(now, this.busyUntil);
    this.busyUntil = start + ms;
    this.stats.operations++;
    this.stats.busyMs += ms;
    this.stats.queueDepth++;
    try {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, this.busyUntil - now)));
    } finally {
      this.stats.queueDepth--;
    }
  }

  lbaOf(file: string, position: number): number {
    let region = this.regions.get(file);
    if (region === undefined) {
      region = (this.regions.size * FILE_REGION_BYTES) % this.o.capacityBytes;
      this.regions.set(file, region);
    }
    return region + position;
  }

  async open(file: string, mode: 'read' | 'write' | 'create'): Promise<IoFile> {
    return new HddFile(this, await this.inner.open(file, mode));
  }
  readdir(dir: string): Promise<string[]> {
    return this.inner.readdir(dir);
  }
  exists(file: string): Promise<boolean> {
    return this.inner.exists(file);
  }
  mkdir(dir: string): Promise<void> {
    return this.inner.mkdir(dir);
  }
  unlink(file: string): Promise<void> {
    return this.inner.unlink(file);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  async syncDir(dir: string): Promise<void> {
    await this.occupy(this.costMs(this.lbaOf(path.join(dir, '.'), 0), 4096) + this.o.flushMs);
    return this.inner.syncDir(dir);
  }
  freeBytes(dir: string): Promise<number> {
    return this.inner.freeBytes(dir);
  }
  readFile(file: string): Promise<Uint8Array> {
    return this.inner.readFile(file);
  }

  flushMs(): number {
    return this.o.flushMs;
  }

  private random(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0 || 1;
    return this.rng / 2 ** 32;
  }
}

class HddFile implements IoFile {
  constructor(
    private readonly disk: HddModelIo,
    private readonly inner: IoFile,
  ) {}
  get path(): string {
    return this.inner.path;
  }
  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    await this.disk.occupy(this.disk.costMs(this.disk.lbaOf(this.path, position), length));
    return this.inner.read(buffer, offset, length, position);
  }
  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    await this.disk.occupy(this.disk.costMs(this.disk.lbaOf(this.path, position), length));
    return this.inner.write(buffer, offset, length, position);
  }
  async writeDurable(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    await this.disk.occupy(this.disk.costMs(this.disk.lbaOf(this.path, position), length) + this.disk.flushMs());
    return this.inner.writeDurable(buffer, offset, length, position);
  }
  async datasync(): Promise<void> {
    await this.disk.occupy(this.disk.flushMs());
    return this.inner.datasync();
  }
  truncate(length: number): Promise<void> {
    return this.inner.truncate(length);
  }
  size(): Promise<number> {
    return this.inner.size();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
