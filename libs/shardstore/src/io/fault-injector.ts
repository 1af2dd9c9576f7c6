import { ioError, type DiskIo, type IoFile, type IoOpKind } from './disk-io.js';

// Reproducible faults in front of any disk: delay (stragglers), fail (EIO,
// ENOSPC, …) and corrupt (a flipped bit on the way in or out), each for chosen
// operations and paths, a number of times or with a probability from a seed.

export interface FaultRule {
  /** Operations the rule applies to; all when omitted. */
  ops?: readonly IoOpKind[];
  /** Only paths containing this string. */
  pathIncludes?: string;
  /** Added latency, ms. */
  delayMs?: number;
  /** Fail with this errno code instead of doing the operation. */
  fail?: string;
  /** Flip one bit of the bytes read or written. */
  corrupt?: boolean;
  /** How many times the rule fires before it retires; unlimited when omitted. */
  times?: number;
  /** Chance of firing per matching operation (default 1). */
  probability?: number;
}

export class FaultInjector {
  private readonly rules = new Map<number, FaultRule & { fired: number }>();
  private nextId = 1;
  private rng: number;
  fired = 0;

  constructor(seed = 1) {
    this.rng = seed >>> 0 || 1;
  }

  add(rule: FaultRule): number {
    const id = this.nextId++;
    this.rules.set(id, { ...rule, fired: 0 });
    return id;
  }

  remove(id: number): void {
    this.rules.delete(id);
  }

  clear(): void {
    this.rules.clear();
  }

  /** The combined effect of every rule that fires for this operation. */
  decide(op: IoOpKind, file: string): { delayMs: number; fail?: string; corrupt: boolean } {
    const out: { delayMs: number; fail?: string; corrupt: boolean } = { delayMs: 0, corrupt: false };
    for (const [id, r] of this.rules) {
      if (r.ops && !r.ops.includes(op)) continue;
      if (r.pathIncludes !== undefined && !file.includes(r.pathIncludes)) continue;
      if (r.probability !== undefined && this.random() >= r.probability) continue;
      r.fired++;
      this.fired++;
      if (r.times !== undefined && r.fired >= r.times) this.rules.delete(id);
      out.delayMs += r.delayMs ?? 0;
      if (r.fail && !out.fail) out.fail = r.fail;
      if (r.corrupt) out.corrupt = true;
    }
    return out;
  }

  /** Flips one pseudo-random bit of `bytes` in place. */
  flipBit(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    const bit = Math.floor(this.random() * bytes.byteLength * 8);
    bytes[bit >> 3]! ^= 1 << (bit & 7);
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

async function apply(faults: FaultInjector, op: IoOpKind, file: string): Promise<{ corrupt: boolean }> {
  const d = faults.decide(op, file);
  if (d.delayMs > 0) await new Promise((r) => setTimeout(r, d.delayMs));
  if (d.fail) throw ioError(d.fail, `injected ${op} fault on ${file}`);
  return { corrupt: d.corrupt };
}

export class FaultInjectingIo implements DiskIo {
  constructor(
    private readonly inner: DiskIo,
    readonly faults: FaultInjector,
  ) {}

  async open(file: string, mode: 'read' | 'write' | 'create'): Promise<IoFile> {
    await apply(this.faults, 'open', file);
    return new FaultyFile(this.faults, await this.inner.open(file, mode));
  }
  async readdir(dir: string): Promise<string[]> {
    await apply(this.faults, 'readdir', dir);
    return this.inner.readdir(dir);
  }
  async exists(file: string): Promise<boolean> {
    await apply(this.faults, 'size', file);
    return this.inner.exists(file);
  }
  async mkdir(dir: string): Promise<void> {
    await apply(this.faults, 'mkdir', dir);
    return this.inner.mkdir(dir);
  }
  async unlink(file: string): Promise<void> {
    await apply(this.faults, 'unlink', file);
    return this.inner.unlink(file);
  }
  async rename(from: string, to: string): Promise<void> {
    await apply(this.faults, 'rename', from);
    return this.inner.rename(from, to);
  }
  async syncDir(dir: string): Promise<void> {
    await apply(this.faults, 'syncdir', dir);
    return this.inner.syncDir(dir);
  }
  async freeBytes(dir: string): Promise<number> {
    await apply(this.faults, 'statfs', dir);
    return this.inner.freeBytes(dir);
  }
  async readFile(file: string): Promise<Uint8Array> {
    const { corrupt } = await apply(this.faults, 'read', file);
    const bytes = await this.inner.readFile(file);
    if (corrupt) this.faults.flipBit(bytes);
    return bytes;
  }
}

class FaultyFile implements IoFile {
  constructor(
    private readonly faults: FaultInjector,
    private readonly inner: IoFile,
  ) {}
  get path(): string {
    return this.inner.path;
  }
  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    const { corrupt } = await apply(this.faults, 'read', this.path);
    const n = await this.inner.read(buffer, offset, length, position);
    if (corrupt) this.faults.flipBit(buffer.subarray(offset, offset + n));
    return n;
  }
  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    const bytes = await this.written(buffer, offset, length);
    return this.inner.write(bytes, 0, length, position);
  }
  /** A write and a flush in one: rules for either fire (a failed flush fails it too). */
  async writeDurable(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    const bytes = await this.written(buffer, offset, length);
    await apply(this.faults, 'sync', this.path);
    return this.inner.writeDurable(bytes, 0, length, position);
  }
  /** The bytes a write rule lets through: as given, or a copy with one bit flipped. */
  private async written(buffer: Uint8Array, offset: number, length: number): Promise<Uint8Array> {
    const { corrupt } = await apply(this.faults, 'write', this.path);
    const bytes = buffer.subarray(offset, offset + length);
    if (!corrupt) return bytes;
    const copy = Buffer.from(bytes);
    this.faults.flipBit(copy);
    return copy;
  }
  async datasync(): Promise<void> {
    await apply(this.faults, 'sync', this.path);
    return this.inner.datasync();
  }
  async truncate(length: number): Promise<void> {
    await apply(this.faults, 'truncate', this.path);
    return this.inner.truncate(length);
  }
  async size(): Promise<number> {
    await apply(this.faults, 'size', this.path);
    return this.inner.size();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
