// The engine's metadata lives in an ordered key-value store with a few named
// tables. Two implementations share these semantics: LMDB on the disk itself
// (lmdb-index-store.ts) and an in-memory one for model tests
// (memory-index-store.ts). Keys are strings compared by their UTF-8 bytes.

export type IndexTable = 'shards' | 'extents' | 'locations' | 'meta';

export const INDEX_TABLES: readonly IndexTable[] = ['shards', 'extents', 'locations', 'meta'];

export type IndexOp =
  { table: IndexTable; key: string; value: Uint8Array } | { table: IndexTable; key: string; value: null };

export interface IndexRangeOptions {
  /** Exclusive lower bound. */
  after?: string;
  /** Inclusive lower bound; ignored when `after` is given. */
  start?: string;
  /** Exclusive upper bound. */
  end?: string;
  limit?: number;
}

export interface IndexStore {
  /** Latest committed value (synchronous so that a lookup and an extent pin happen in one turn). */
  get(table: IndexTable, key: string): Uint8Array | undefined;
  range(table: IndexTable, options: IndexRangeOptions): Array<[string, Uint8Array]>;
  /** Applies `ops` atomically; resolves only once they are durable. */
  commit(ops: readonly IndexOp[]): Promise<void>;
  close(): Promise<void>;
}
