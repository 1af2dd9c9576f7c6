import type { IndexOp, IndexRangeOptions, IndexStore, IndexTable } from './index-store.js';

// Index changes that are durable in the extent log but not yet in the index.
// A group commit stages its changes here as soon as its extent fdatasync is
// done (that is when its writers are answered), so reads, lists and later
// decisions see them at once; the flusher commits them to the index later, in
// bulk, and then forgets the staged values that commit covered. Losing this
// overlay in a crash loses nothing: recovery replays the same records.

/** The read side of an index: what decisions and reads need. */
export interface IndexReader {
  get(table: IndexTable, key: string): Uint8Array | undefined;
  range(table: IndexTable, options: IndexRangeOptions): Array<[string, Uint8Array]>;
}

interface Staged {
  value: Uint8Array | null;
  /** The stage() call that set it; a flush forgets only what it covered. */
  version: number;
}

/** Keys compare as their UTF-8 bytes (LMDB's order): as latin1 strings of those bytes, plain `<` does that. */
function binary(key: string): string {
  return Buffer.from(key, 'utf8').toString('latin1');
}

export class StagedIndex implements IndexReader {
  private readonly tables = new Map<IndexTable, Map<string, Staged>>();
  private version = 0;
  private count = 0;

  constructor(readonly durable: IndexStore) {}

  /** Staged keys, all tables. */
  get size(): number {
    return this.count;
  }

  /** Makes `ops` visible to readers now (in order: a later op on a key wins). */
  stage(ops: readonly IndexOp[]): void {
    const version = ++this.version;
    for (const op of ops) {
      let t = this.tables.get(op.table);
      if (!t) this.tables.set(op.table, (t = new Map()));
      if (!t.has(op.key)) this.count++;
      t.set(op.key, { value: op.value, version });
    }
  }

  /** Everything staged, as ops for one index transaction, and the version that covers them. */
  snapshot(): { ops: IndexOp[]; version: number } {
    const ops: IndexOp[] = [];
    for (const [table, t] of this.tables)
      for (const [key, s] of t)
        ops.push(s.value === null ? { table, key, value: null } : { table, key, value: s.value });
    return { ops, version: this.version };
  }

  /** The index now holds what `snapshot` returned at `version`: forget values not staged again since. */
  settle(version: number): void {
    for (const t of this.tables.values()) {
      for (const [key, s] of t) {
        if (s.version > version) continue;
        t.delete(key);
        this.count--;
      }
    }
  }

  get(table: IndexTable, key: string): Uint8Array | undefined {
    const s = this.tables.get(table)?.get(key);
    if (s) return s.value ?? undefined;
    return this.durable.get(table, key);
  }

  /** The durable range with the staged values laid over it, in byte order, honouring `limit`. */
  range(table: IndexTable, options: IndexRangeOptions): Array<[string, Uint8Array]> {
    const t = this.tables.get(table);
    if (!t || t.size === 0) return this.durable.range(table, options);
    const lower =
      options.after !== undefined
        ? { bin: binary(options.after), inclusive: false }
        : options.start !== undefined
          ? { bin: binary(options.start), inclusive: true }
          : undefined;
    const upper = options.end !== undefined ? binary(options.end) : undefined;
    const staged: Array<[string, string, Staged]> = [];
    for (const [key, s] of t) {
      const bin = binary(key);
      if (lower && (lower.inclusive ? bin < lower.bin : bin <= lower.bin)) continue;
      if (upper !== undefined && bin >= upper) continue;
      staged.push([bin, key, s]);
    }
    if (staged.length === 0) return this.durable.range(table, options);
    staged.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

    const limit = options.limit ?? Infinity;
    const out: Array<[string, Uint8Array]> = [];
    let si = 0;
    const takeStaged = (): void => {
      const s = staged[si++]!;
      if (s[2].value !== null) out.push([s[1], s[2].value]);
    };
    let page: IndexRangeOptions = options;
    for (;;) {
      // Staged deletions may hide durable rows: ask for enough to fill the page anyway.
      const want = limit === Infinity ? undefined : limit - out.length + (staged.length - si);
      const rows = this.durable.range(table, { ...page, limit: want });
      for (const [key, value] of rows) {
        const bin = binary(key);
        while (si < staged.length && staged[si]![0] < bin && out.length < limit) takeStaged();
        if (out.length >= limit) return out;
        if (si < staged.length && staged[si]![0] === bin) takeStaged();
        else out.push([key, value]);
        if (out.length >= limit) return out;
      }
      if (want === undefined || rows.length < want) break;
      page = { after: rows[rows.length - 1]![0], end: options.end };
    }
    while (si < staged.length && out.length < limit) takeStaged();
    return out;
  }
}
