import * as path from 'node:path';
import { ioError, type DiskIo, type IoFile, type IoOpKind } from './disk-io.js';

// An in-memory disk with the durability rules of a real one, for model-based
// tests: file bytes survive a crash only if fdatasync'd, names only if their
// directory was fsync'd. A failed fsync drops the pending writes for good (the
// "fsyncgate" behaviour of Linux: a later fsync succeeds without them).

const INITIAL_FILE_CAPACITY_BYTES = 4096; // grows by doubling; small because test files are tiny

class GrowBuf {
  buf = Buffer.alloc(INITIAL_FILE_CAPACITY_BYTES);
  length = 0;

  write(src: Uint8Array, position: number): void {
    const end = position + src.byteLength;
    if (end > this.buf.length) {
      let cap = this.buf.length;
      while (cap < end) cap *= 2;
      const next = Buffer.alloc(cap);
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    if (position > this.length) this.buf.fill(0, this.length, position);
    this.buf.set(src, position);
    this.length = Math.max(this.length, end);
  }

  truncate(length: number): void {
    if (length < this.length) this.length = length;
    else if (length > this.length) this.write(Buffer.alloc(length - this.length), this.length);
  }

  clone(): GrowBuf {
    const c = new GrowBuf();
    c.buf = Buffer.from(this.buf.subarray(0, Math.max(this.length, 1)));
    c.length = this.length;
    return c;
  }
}

type PendingWrite = { kind: 'write'; position: number; bytes: Buffer };
type PendingOp = PendingWrite | { kind: 'truncate'; length: number };

class SimNode {
  current = new GrowBuf();
  durable = new GrowBuf();
  pending: PendingOp[] = [];
  /** Failed flushes so far (each lost the pending writes). */
  lostFlushes = 0;
  openHandles = 0;
}

export interface SimDiskOptions {
  /** Total bytes all files may hold; writes past it fail with ENOSPC after writing what fits. */
  capacityBytes?: number;
  /** Seed for the choice of surviving unsynced writes in a torn crash, and for completion order. */
  seed?: number;
  /**
   * Each operation completes after 1..this many event-loop turns (default 1:
   * in issue order). More lets a later write finish before an earlier one, as
   * concurrent I/O on a thread pool does, and an fsync cover only the writes
   * already finished.
   */
  maxOpTurns?: number;
}

export interface FailNextOptions {
  /** Which operations the fault hits; any operation when omitted. */
  ops?: readonly IoOpKind[];
  code?: string;
}

export type CrashMode = 'drop-unsynced' | 'torn';

export class SimDiskIo implements DiskIo {
  private entries = new Map<string, SimNode>();
  private durableEntries = new Map<string, SimNode>();
  private dirs = new Set<string>(['/']);
  private durableDirs = new Set<string>(['/']);
  private generation = 0;
  private fault: { ops: Set<IoOpKind> | undefined; code: string } | undefined;
  private rng: number;
  private turnRng: number;
  private readonly maxOpTurns: number;
  capacityBytes: number;
  /** Counts operations by kind; tests use it to aim faults. */
  readonly opCounts = new Map<IoOpKind, number>();

  constructor(options: SimDiskOptions = {}) {
    this.capacityBytes = options.capacityBytes ?? Number.MAX_SAFE_INTEGER;
    this.rng = (options.seed ?? 1) >>> 0 || 1;
    this.turnRng = ((options.seed ?? 1) * 2654435761) >>> 0 || 1;
    this.maxOpTurns = Math.max(1, Math.floor(options.maxOpTurns ?? 1));
  }

  /** Arms a one-shot fault for the next matching operation. */
  failNext(options: FailNextOptions = {}): void {
    this.fault = { ops: options.ops ? new Set(options.ops) : undefined, code: options.code ?? 'EIO' };
  }

  get faultArmed(): boolean {
    return this.fault !== undefined;
  }

  disarm(): void {
    this.fault = undefined;
  }

  usedBytes(): number {
    let used = 0;
    const seen = new Set<SimNode>();
    for (const node of this.entries.values()) {
      seen.add(node);
      used += node.current.length;
    }
    return used;
  }

  /**
   * Power loss: every handle dies, names revert to the last directory fsync,
   * file bytes to the last fdatasync — plus, in 'torn' mode, a random subset
   * of the writes that were not yet synced (as a disk may have written some).
   */
  crash(mode: CrashMode = 'drop-unsynced'): void {
    this.generation++;
    this.fault = undefined;
    this.entries = new Map(this.durableEntries);
    this.dirs = new Set(this.durableDirs);
    for (const node of new Set(this.entries.values())) {
      const next = node.durable.clone();
      if (mode === 'torn') {
        for (const op of node.pending) {
          if (this.random() < 0.5) continue;
          if (op.kind === 'write') {
            // A torn write persists only a prefix of its bytes.
            const keep = Math.floor(this.random() * (op.bytes.length + 1));
            next.write(op.bytes.subarray(0, keep), op.position);
          } else next.truncate(op.length);
        }
      }
      node.current = next;
      node.durable = next.clone();
      node.pending = [];
      node.openHandles = 0;
    }
  }

  /** Flips bits in a file on the medium (both cached and durable copies). */
  corrupt(file: string, position: number, xorMask = 0x01): void {
    const node = this.entries.get(file);
    if (!node || position >= node.current.length) throw new Error(`corrupt: ${file}@${position} is out of range`);
    node.current.buf[position]! ^= xorMask;
    if (position < node.durable.length) node.durable.buf[position]! ^= xorMask;
  }

  fileSize(file: string): number | undefined {
    return this.entries.get(file)?.current.length;
  }

  listFiles(): string[] {
    return [...this.entries.keys()].sort();
  }

  /**
   * The disk as one process sees it: after a crash every operation through
   * this view fails, so an abandoned engine cannot touch the disk's next life.
   */
  forProcess(): DiskIo {
    const g = this.generation;
    return {
      open: (f, m) => this.openAt(f, m, g),
      readdir: (d) => this.readdirAt(d, g),
      exists: (f) => this.existsAt(f, g),
      mkdir: (d) => this.mkdirAt(d, g),
      unlink: (f) => this.unlinkAt(f, g),
      rename: (a, b) => this.renameAt(a, b, g),
      syncDir: (d) => this.syncDirAt(d, g),
      freeBytes: (d) => this.freeBytesAt(d, g),
      readFile: (f) => this.readFileAt(f, g),
    };
  }

  // --- DiskIo ---------------------------------------------------------------

  open(file: string, mode: 'read' | 'write' | 'create'): Promise<IoFile> {
    return this.openAt(file, mode, this.generation);
  }
  readdir(dir: string): Promise<string[]> {
    return this.readdirAt(dir, this.generation);
  }
  exists(file: string): Promise<boolean> {
    return this.existsAt(file, this.generation);
  }
  mkdir(dir: string): Promise<void> {
    return this.mkdirAt(dir, this.generation);
  }
  unlink(file: string): Promise<void> {
    return this.unlinkAt(file, this.generation);
  }
  rename(from: string, to: string): Promise<void> {
    return this.renameAt(from, to, this.generation);
  }
  syncDir(dir: string): Promise<void> {
    return this.syncDirAt(dir, this.generation);
  }
  freeBytes(dir: string): Promise<number> {
    return this.freeBytesAt(dir, this.generation);
  }
  readFile(file: string): Promise<Uint8Array> {
    return this.readFileAt(file, this.generation);
  }

  private async openAt(file: string, mode: 'read' | 'write' | 'create', g: number): Promise<IoFile> {
    await this.op('open', g);
    let node = this.entries.get(file);
    if (!node) {
      if (mode !== 'create') throw ioError('ENOENT', `no such file ${file}`);
      if (!this.dirs.has(path.dirname(file))) throw ioError('ENOENT', `no such directory ${path.dirname(file)}`);
      node = new SimNode();
      this.entries.set(file, node);
    }
    node.openHandles++;
    return new SimIoFile(this, file, node, g);
  }

  private async readdirAt(dir: string, g: number): Promise<string[]> {
    await this.op('readdir', g);
    const names: string[] = [];
    for (const p of [...this.entries.keys(), ...this.dirs])
      if (path.dirname(p) === dir && p !== dir) names.push(path.basename(p));
    return names.sort();
  }

  private async existsAt(file: string, g: number): Promise<boolean> {
    await this.op('size', g);
    return this.entries.has(file) || this.dirs.has(file);
  }

  private async mkdirAt(dir: string, g: number): Promise<void> {
    await this.op('mkdir', g);
    let d = dir;
    const chain: string[] = [];
    while (!this.dirs.has(d)) {
      chain.push(d);
      d = path.dirname(d);
    }
    for (const c of chain) this.dirs.add(c);
  }

  private async unlinkAt(file: string, g: number): Promise<void> {
    await this.op('unlink', g);
    if (!this.entries.delete(file)) throw ioError('ENOENT', `no such file ${file}`);
  }

  private async renameAt(from: string, to: string, g: number): Promise<void> {
    await this.op('rename', g);
    const node = this.entries.get(from);
    if (!node) throw ioError('ENOENT', `no such file ${from}`);
    this.entries.delete(from);
    this.entries.set(to, node);
  }

  private async syncDirAt(dir: string, g: number): Promise<void> {
    await this.op('syncdir', g);
    for (const p of [...this.durableEntries.keys()])
      if (path.dirname(p) === dir && !this.entries.has(p)) this.durableEntries.delete(p);
    for (const [p, node] of this.entries) if (path.dirname(p) === dir) this.durableEntries.set(p, node);
    for (const d of [...this.durableDirs])
      if (path.dirname(d) === dir && d !== dir && !this.dirs.has(d)) this.durableDirs.delete(d);
    for (const d of this.dirs) if (path.dirname(d) === dir) this.durableDirs.add(d);
  }

  private async freeBytesAt(_dir: string, g: number): Promise<number> {
    await this.op('statfs', g);
    return Math.max(0, this.capacityBytes - this.usedBytes());
  }

  private async readFileAt(file: string, g: number): Promise<Uint8Array> {
    await this.op('read', g);
    const node = this.entries.get(file);
    if (!node) throw ioError('ENOENT', `no such file ${file}`);
    return Buffer.from(node.current.buf.subarray(0, node.current.length));
  }

  // --- used by SimIoFile ----------------------------------------------------

  /** Counts the operation, yields to the event loop, and throws an armed fault. */
  async op(kind: IoOpKind, generation?: number): Promise<void> {
    this.opCounts.set(kind, (this.opCounts.get(kind) ?? 0) + 1);
    const turns = this.maxOpTurns === 1 ? 1 : 1 + Math.floor(this.nextTurnRandom() * this.maxOpTurns);
    for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    if (generation !== undefined && generation !== this.generation) throw ioError('EIO', 'handle from before a crash');
    const fault = this.fault;
    if (fault && (!fault.ops || fault.ops.has(kind))) {
      this.fault = undefined;
      throw ioError(fault.code, `injected ${kind} fault`);
    }
  }

  roomFor(node: SimNode, position: number, length: number): number {
    const growth = Math.max(0, position + length - node.current.length);
    const free = this.capacityBytes - this.usedBytes();
    if (growth <= free) return length;
    return Math.max(0, node.current.length + free - position);
  }

  private nextTurnRandom(): number {
    let x = this.turnRng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.turnRng = x >>> 0 || 1;
    return this.turnRng / 2 ** 32;
  }

  private random(): number {
    // xorshift32: deterministic so a failing seed replays.
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0 || 1;
    return this.rng / 2 ** 32;
  }
}

class SimIoFile implements IoFile {
  private closed = false;

  constructor(
    private readonly disk: SimDiskIo,
    readonly path: string,
    private readonly node: SimNode,
    private readonly generation: number,
  ) {}

  private async enter(kind: IoOpKind): Promise<void> {
    if (this.closed) throw ioError('EBADF', `${this.path} is closed`);
    await this.disk.op(kind, this.generation);
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    await this.enter('read');
    const cur = this.node.current;
    const n = Math.max(0, Math.min(length, cur.length - position));
    if (n > 0) buffer.set(cur.buf.subarray(position, position + n), offset);
    return n;
  }

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    await this.enter('write');
    this.cache(buffer, offset, length, position);
  }

  /**
   * O_DSYNC: a write, then a flush of these bytes alone (other pending writes
   * stay pending). The flush can fail as datasync does, losing the pending
   * writes; the bytes stay readable from the cache, as a kernel's would.
   */
  async writeDurable(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    await this.enter('write');
    const op = this.cache(buffer, offset, length, position);
    const lostBefore = this.node.lostFlushes;
    await this.flush();
    if (op === undefined) return;
    if (!this.node.pending.includes(op)) {
      // A datasync meanwhile either made it durable or failed and lost it (the error reaches every writer).
      if (this.node.lostFlushes !== lostBefore) throw ioError('EIO', 'a flush of this file failed');
      return;
    }
    this.node.durable.write(op.bytes, op.position);
    // Gone from pending, with any pending write it covers whole (a torn crash
    // would otherwise replay an older one over it; the engine never leaves a
    // partial overlap under a durable write).
    const end = op.position + op.bytes.length;
    this.node.pending = this.node.pending.filter(
      (p) => p !== op && (p.kind !== 'write' || p.position < op.position || p.position + p.bytes.length > end),
    );
  }

  async datasync(): Promise<void> {
    await this.flush();
    for (const op of this.node.pending) {
      if (op.kind === 'write') this.node.durable.write(op.bytes, op.position);
      else this.node.durable.truncate(op.length);
    }
    this.node.pending = [];
  }

  /** Into the cache as a pending write, what fits; ENOSPC after writing that much. */
  private cache(buffer: Uint8Array, offset: number, length: number, position: number): PendingWrite | undefined {
    const fits = this.disk.roomFor(this.node, position, length);
    const bytes = Buffer.from(buffer.subarray(offset, offset + Math.min(fits, length)));
    let op: PendingWrite | undefined;
    if (bytes.length > 0) {
      op = { kind: 'write', position, bytes };
      this.node.current.write(bytes, position);
      this.node.pending.push(op);
    }
    if (fits < length) throw ioError('ENOSPC', 'no space left on simulated disk');
    return op;
  }

  /** The flush itself: a failed fsync loses the pending writes for good. */
  private async flush(): Promise<void> {
    try {
      await this.enter('sync');
    } catch (err) {
      this.node.pending = [];
      this.node.lostFlushes++;
      throw err;
    }
  }

  async truncate(length: number): Promise<void> {
    await this.enter('truncate');
    this.node.current.truncate(length);
    this.node.pending.push({ kind: 'truncate', length });
  }

  async size(): Promise<number> {
    await this.enter('size');
    return this.node.current.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.node.openHandles = Math.max(0, this.node.openHandles - 1);
  }
}
