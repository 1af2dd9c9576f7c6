import { ioError } from '../io/disk-io.js';
import { INDEX_TABLES, type IndexOp, type IndexRangeOptions, type IndexStore, type IndexTable } from './index-store.js';

// Keys are held as "binary strings" (one char per UTF-8 byte), so that plain
// string comparison is UTF-8 byte order, the same order LMDB gives.
function toBin(key: string): string {
  return Buffer.from(key, 'utf8').toString('latin1');
}
function fromBin(bin: string): string {
  return Buffer.from(bin, 'latin1').toString('utf8');
}

type Tables = Map<IndexTable, Map<string, Uint8Array>>;

function emptyTables(): Tables {
  return new Map(INDEX_TABLES.map((t) => [t, new Map<string, Uint8Array>()]));
}

function cloneTables(src: Tables): Tables {
  return new Map([...src].map(([t, m]) => [t, new Map(m)]));
}

/**
 * Shared durable state of a simulated index across engine "processes": what
 * survives a crash is what the last completed commit made durable.
 */
export class MemoryIndexDisk {
  durable: Tables = emptyTables();
  failNextCommit: string | undefined;
  /** Bytes the index may hold in total; a commit past it fails with MDB_MAP_FULL. */
  capacityBytes = Number.MAX_SAFE_INTEGER;
  private generation = 0;
  private current: MemoryIndexStore | undefined;

  open(): MemoryIndexStore {
    this.current = new MemoryIndexStore(this, cloneTables(this.durable), this.generation);
    return this.current;
  }

  /** Power loss: open stores die; only durable commits remain. */
  crash(): void {
    this.generation++;
    this.failNextCommit = undefined;
  }

  isLive(generation: number): boolean {
    return generation === this.generation;
  }

  /** Flips bits in a stored value, as media corruption would. */
  corruptValue(table: IndexTable, key: string, byteIndex: number, xorMask = 0x01): void {
    const bin = toBin(key);
    const v = this.durable.get(table)!.get(bin);
    if (!v || byteIndex >= v.length) throw new Error(`corruptValue: ${table}/${key}@${byteIndex} out of range`);
    const copy = Uint8Array.from(v);
    copy[byteIndex]! ^= xorMask;
    this.durable.get(table)!.set(bin, copy);
    this.current?.replaceVisible(table, bin, copy);
  }

  /** Bytes the durable tables hold (keys and values), as the capacity check counts them. */
  usedBytes(): number {
    return sizeOf(this.durable);
  }

  keys(table: IndexTable): string[] {
    return [...this.durable.get(table)!.keys()].sort().map(fromBin);
  }
}

export class MemoryIndexStore implements IndexStore {
  private closed = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly disk: MemoryIndexDisk,
    private visible: Tables,
    private readonly generation: number,
  ) {}

  get(table: IndexTable, key: string): Uint8Array | undefined {
    this.check();
    return this.visible.get(table)!.get(toBin(key));
  }

  range(table: IndexTable, options: IndexRangeOptions): Array<[string, Uint8Array]> {
    this.check();
    const m = this.visible.get(table)!;
    const after = options.after !== undefined ? toBin(options.after) : undefined;
    const start = options.start !== undefined ? toBin(options.start) : undefined;
    const end = options.end !== undefined ? toBin(options.end) : undefined;
    const keys = [...m.keys()]
      .filter(
        (k) => (after !== undefined ? k > after : start === undefined || k >= start) && (end === undefined || k < end),
      )
      .sort();
    const limited = options.limit !== undefined ? keys.slice(0, options.limit) : keys;
    return limited.map((k) => [fromBin(k), m.get(k)!]);
  }

  commit(ops: readonly IndexOp[]): Promise<void> {
    const run = this.chain.then(async () => {
      this.check();
      // Like LMDB: the transaction is visible first, durable a moment later.
      const fault = this.disk.failNextCommit;
      if (fault) {
        this.disk.failNextCommit = undefined;
        await new Promise<void>((r) => setImmediate(r));
        throw ioError(fault, 'injected index commit fault');
      }
      const next = cloneTables(this.visible);
      for (const op of ops) {
        const t = next.get(op.table)!;
        if (op.value === null) t.delete(toBin(op.key));
        else t.set(toBin(op.key), Uint8Array.from(op.value));
      }
      if (sizeOf(next) > this.disk.capacityBytes) throw ioError('MDB_MAP_FULL', 'simulated index is full');
      this.visible = next;
      await new Promise<void>((r) => setImmediate(r));
      if (!this.disk.isLive(this.generation)) throw ioError('EIO', 'index crashed before flush');
      this.disk.durable = cloneTables(next);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.chain;
    this.closed = true;
  }

  replaceVisible(table: IndexTable, bin: string, value: Uint8Array): void {
    this.visible.get(table)!.set(bin, value);
  }

  private check(): void {
    if (this.closed) throw ioError('EBADF', 'index store is closed');
    if (!this.disk.isLive(this.generation)) throw ioError('EIO', 'index store from before a crash');
  }
}

function sizeOf(tables: Tables): number {
  let n = 0;
  for (const m of tables.values()) for (const [k, v] of m) n += k.length + v.length;
  return n;
}
