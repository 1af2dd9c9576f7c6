import { open, type Database, type RootDatabase } from 'lmdb';
import { LmdbCommitThread, type LmdbOpenOptions } from './lmdb-commit-thread.js';
import { INDEX_TABLES, type IndexOp, type IndexRangeOptions, type IndexStore, type IndexTable } from './index-store.js';

// Address space reserved for the index map; LMDB grows the file lazily, so this
// is only a ceiling (about 64 bytes of index per 4 KiB shard ≈ 1.6% of a disk).
const DEFAULT_MAP_SIZE_BYTES = 64 * 2 ** 30;
// Named tables plus headroom for a later format version.
const MAX_DBS = 8;

export interface LmdbIndexOptions {
  /** Directory for data.mdb / lock.mdb, on the same disk as the extents. */
  path: string;
  mapSizeBytes?: number;
}

const keyOf = (key: string): Buffer => Buffer.from(key, 'utf8');

/**
 * The index in LMDB. With lmdb-js's default `overlappingSync` a write resolves
 * when the transaction is visible, before it is flushed. We turn it off — a
 * commit then resolves once synced, and measured faster here for serial group
 * commits (≈1.5 ms against ≈2.5 ms per commit) — and still await `flushed`,
 * so that nothing is acknowledged before the disk has it whatever the option.
 */
export class LmdbIndexStore implements IndexStore {
  private readonly tables: Map<IndexTable, Database<Buffer, Buffer>>;

  private constructor(
    private readonly root: RootDatabase<Buffer, Buffer>,
    private readonly thread: LmdbCommitThread,
  ) {
    this.tables = new Map(
      INDEX_TABLES.map((t) => [t, root.openDB<Buffer, Buffer>({ name: t, encoding: 'binary', keyEncoding: 'binary' })]),
    );
  }

  static open(options: LmdbIndexOptions): LmdbIndexStore {
    const lmdbOptions: LmdbOpenOptions = {
      path: options.path,
      mapSize: options.mapSizeBytes ?? DEFAULT_MAP_SIZE_BYTES,
      maxDbs: MAX_DBS,
      encoding: 'binary',
      keyEncoding: 'binary',
      overlappingSync: false,
    };
    const root = open<Buffer, Buffer>(lmdbOptions);
    return new LmdbIndexStore(root, new LmdbCommitThread(lmdbOptions, INDEX_TABLES));
  }

  /** Commits go to the commit thread (once it runs; before, they run here). */
  get committingOnThread(): boolean {
    return this.thread.online;
  }

  get(table: IndexTable, key: string): Uint8Array | undefined {
    return this.db(table).get(keyOf(key));
  }

  range(table: IndexTable, options: IndexRangeOptions): Array<[string, Uint8Array]> {
    // The smallest key after `k` in byte order is `k` followed by a zero byte.
    const start =
      options.after !== undefined
        ? Buffer.concat([keyOf(options.after), Buffer.from([0])])
        : options.start !== undefined
          ? keyOf(options.start)
          : undefined;
    const end = options.end !== undefined ? keyOf(options.end) : undefined;
    const out: Array<[string, Uint8Array]> = [];
    for (const { key, value } of this.db(table).getRange({ start, end, limit: options.limit })) {
      out.push([key.toString('utf8'), value]);
    }
    return out;
  }

  async commit(ops: readonly IndexOp[]): Promise<void> {
    if (ops.length === 0) return;
    try {
      if (this.thread.online) {
        await this.thread.commit(ops);
        // This thread's read snapshot is renewed once per turn; the commit
        // came from another thread, so renew it now or the next read may not
        // see it (and the staged copy is about to go).
        this.root.resetReadTxn();
        return;
      }
      // Until the worker runs (or if it died): here, the same transaction.
      await this.root.transaction(() => {
        for (const op of ops) {
          const db = this.db(op.table);
          if (op.value === null) void db.remove(keyOf(op.key));
          else void db.put(keyOf(op.key), Buffer.from(op.value.buffer, op.value.byteOffset, op.value.byteLength));
        }
      });
      await this.root.flushed;
    } catch (err) {
      throw normalizeLmdbError(err);
    }
  }

  async close(): Promise<void> {
    await this.thread.close();
    await this.root.close();
  }

  private db(table: IndexTable): Database<Buffer, Buffer> {
    const db = this.tables.get(table);
    if (!db) throw new Error(`unknown index table ${table}`);
    return db;
  }
}

function normalizeLmdbError(err: unknown): unknown {
  if (err instanceof Error && !('code' in err)) {
    const m = /MDB_MAP_FULL|ENOSPC|No space left/.exec(err.message);
    if (m) Object.assign(err, { code: m[0] === 'MDB_MAP_FULL' ? 'MDB_MAP_FULL' : 'ENOSPC' });
  }
  return err;
}
