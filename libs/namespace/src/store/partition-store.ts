import { createHash } from 'node:crypto';
import { open, type Database, type RootDatabase } from 'lmdb';
import { namespaceV1 } from '@platter/proto';
import { asBuffer, compareBytes, readU64be, u64be } from '@platter/namespace-client';
import { decodeApplied, type AppliedMark } from '../encoding/records.js';
import { NamespaceError } from '../errors.js';
import { JOURNAL_FORMAT_VERSION, entryMark, type JournalEntry } from '../journal/journal-entry.js';
import { decodeJournalRow, encodeJournalRow } from '../journal/journal-row.js';
import { PairFrameCrc, pairFrameBytes } from './pair-frame.js';
import {
  LOCAL_JOURNAL_FLOOR_KEY,
  LOCAL_RESTORING_KEY,
  LOCAL_TABLES,
  META_APPLIED_KEY,
  REPLICATED_TABLES,
  isReplicatedTable,
  type Table,
} from './tables.js';

// Address space reserved for one partition replica. LMDB grows the file
// lazily, so this is a ceiling, not an allocation: about 64 million versions
// at ~1 KiB each (records, index and free pages) before the map is full.
const DEFAULT_MAP_SIZE_BYTES = 64 * 2 ** 30;
// Every table of tables.ts plus headroom for a later format.
const MAX_DBS = 16;
// LMDB's key limit with 4 KiB pages (lmdb-js refuses longer keys).
export const MAX_LMDB_KEY_BYTES = 1978;

export interface PartitionStoreOptions {
  /** Directory of this replica's data.mdb and lock.mdb. */
  path: string;
  mapSizeBytes?: number;
  /**
   * lmdb-js's overlappingSync: commits become visible before they are on
   * disk, and the next transaction may run while the previous one syncs.
   * Acknowledgements wait for `flushed` either way. Off by default so that
   * anything a reader can see is already durable.
   */
  overlappingSync?: boolean;
}

export interface RangeQuery {
  /** Inclusive start. */
  start?: Uint8Array;
  /** Exclusive end. */
  end?: Uint8Array;
  limit?: number;
  reverse?: boolean;
}

export interface Row {
  key: Buffer;
  value: Buffer;
}

/** How an entry sent to apply() was taken. */
export type ApplyOutcome = 'applied' | 'already-applied';

/**
 * One partition replica's LMDB environment: the replicated tables, the
 * journal, and the applied sequence, changed together in one transaction
 * per batch and acknowledged only after LMDB has flushed them.
 *
 * Reads are synchronous. Inside write() they read the open write transaction
 * (so a batch sees its own earlier writes); outside, the last commit.
 */
export class PartitionStore {
  private readonly dbs: Map<Table, Database<Buffer, Buffer>>;
  private closed = false;
  private writing = false;
  private failure: unknown;
  /** applied() as of the last commit; dropped whenever a write ends. */
  private committedMark: AppliedMark | undefined;
  /**
   * Inside write(): the open transaction's mark, kept as put() writes it, so
   * that applied() — asked once per entry — does not read its row back.
   */
  private writingMark: AppliedMark | undefined;

  private constructor(
    private readonly root: RootDatabase<Buffer, Buffer>,
    readonly path: string,
  ) {
    this.dbs = new Map(
      [...REPLICATED_TABLES, ...LOCAL_TABLES].map((name) => [
        name,
        root.openDB<Buffer, Buffer>({ name, encoding: 'binary', keyEncoding: 'binary' }),
      ]),
    );
  }

  static open(options: PartitionStoreOptions): PartitionStore {
    const root = open<Buffer, Buffer>({
      path: options.path,
      mapSize: options.mapSizeBytes ?? DEFAULT_MAP_SIZE_BYTES,
      maxDbs: MAX_DBS,
      encoding: 'binary',
      keyEncoding: 'binary',
      overlappingSync: options.overlappingSync ?? false,
    });
    const store = new PartitionStore(root, options.path);
    if (store.get('local', LOCAL_RESTORING_KEY) !== undefined) {
      void root.close();
      throw new NamespaceError(
        'UNSUPPORTED_FORMAT',
        'replica holds a half-restored snapshot: wipe it and transfer again',
        {
          resource: options.path,
        },
      );
    }
    return store;
  }

  // ---------------------------------------------------------------- reads

  get(table: Table, key: Uint8Array): Buffer | undefined {
    this.assertOpen();
    return this.db(table).get(asBuffer(key));
  }

  /** Rows in key order (or reverse), lazily: stop iterating to stop reading. */
  range(table: Table, query: RangeQuery = {}): Iterable<Row> {
    this.assertOpen();
    const start = query.start === undefined ? undefined : asBuffer(query.start);
    const end = query.end === undefined ? undefined : asBuffer(query.end);
    return this.db(table).getRange({
      start: query.reverse ? end : start,
      end: query.reverse ? start : end,
      limit: query.limit,
      reverse: query.reverse,
      // A reverse range starts at `end` inclusively; ours are exclusive.
      exclusiveStart: query.reverse === true && end !== undefined,
      inclusiveEnd: query.reverse === true && start !== undefined,
    }) as Iterable<Row>;
  }

  /** The first row in [start, end), if any. */
  first(table: Table, start: Uint8Array, end: Uint8Array | undefined): Row | undefined {
    for (const row of this.range(table, { start, end, limit: 1 })) return row;
    return undefined;
  }

  /**
   * Inside write(), the open transaction's mark; outside, the last commit's,
   * read once per commit: every Forward, read and link turn asks for it.
   */
  applied(): AppliedMark {
    if (this.writing) return (this.writingMark ??= decodeApplied(this.get('meta', META_APPLIED_KEY)));
    return (this.committedMark ??= decodeApplied(this.get('meta', META_APPLIED_KEY)));
  }

  /** Entries at or below this sequence are no longer in the journal. */
  journalFloor(): bigint {
    const raw = this.get('local', LOCAL_JOURNAL_FLOOR_KEY);
    return raw === undefined ? 0n : readU64be(raw);
  }

  /**
   * Journal entries from `fromSequence` on (at most `maxEntries`), for a
   * successor that is behind. Fails with JOURNAL_TRUNCATED when they are gone:
   * that successor needs a state transfer.
   */
  readJournal(fromSequence: bigint, maxEntries: number): JournalEntry[] {
    return this.readJournalRows(fromSequence, maxEntries).map(decodeJournalRow);
  }

  /** As readJournal, the rows as stored (journal-row.ts): what a link forwards. */
  readJournalRows(fromSequence: bigint, maxEntries: number): Buffer[] {
    const floor = this.journalFloor();
    if (fromSequence <= floor) {
      throw new NamespaceError('JOURNAL_TRUNCATED', `journal starts after ${floor}`, { currentSequence: floor });
    }
    const out: Buffer[] = [];
    // lmdb-js copies every value a range yields, so the rows are ours to keep.
    for (const row of this.range('journal', { start: u64be(fromSequence), limit: maxEntries })) out.push(row.value);
    return out;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Runs `fn` in one LMDB write transaction, commits, and resolves only once
   * the commit is flushed to disk (lmdb-js resolves writes when they are
   * visible, which with overlappingSync is before they are durable). If `fn`
   * throws, everything it wrote is rolled back and the error is rethrown.
   */
  async write<T>(fn: () => T): Promise<T> {
    this.assertOpen();
    if (this.failure !== undefined) {
      throw new NamespaceError('STORE_CLOSED', 'an earlier commit failed: reopen the replica', {
        resource: this.path,
        cause: this.failure,
      });
    }
    type Outcome = { ok: true; value: T } | { ok: false; error: unknown };
    let outcome = { ok: false, error: new Error('transaction did not run') } as Outcome;
    try {
      await this.root.transaction(() => {
        this.writing = true;
        // lmdb-js may run several queued callbacks in one transaction: each reads the mark afresh.
        this.writingMark = undefined;
        try {
          // A child transaction, so that a throw rolls back (lmdb-js would
          // commit whatever an outer callback wrote before throwing).
          outcome = { ok: true, value: this.root.transactionSync(fn) };
        } catch (error) {
          outcome = { ok: false, error };
        } finally {
          this.writing = false;
          this.writingMark = undefined;
        }
      });
      await this.root.flushed;
      this.committedMark = undefined;
    } catch (error) {
      this.committedMark = undefined;
      const mapped = storeError(error);
      // A commit or flush that failed for another reason than a full map
      // leaves us unsure what is on disk (after a failed fsync the kernel may
      // have dropped the pages): take no more writes until reopened.
      if (!(mapped instanceof NamespaceError && mapped.code === 'STORE_FULL')) this.failure = mapped;
      throw mapped;
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** Inside write(): set one key. */
  put(table: Table, key: Uint8Array, value: Uint8Array): void {
    this.assertWriting();
    this.db(table).putSync(asBuffer(key), asBuffer(value));
    if (isAppliedKey(table, key)) this.writingMark = markOrUnread(value);
  }

  /** Inside write(): remove one key (no error when absent). */
  remove(table: Table, key: Uint8Array): void {
    this.assertWriting();
    this.db(table).removeSync(asBuffer(key));
    if (isAppliedKey(table, key)) this.writingMark = undefined;
  }

  /**
   * Inside write(): applies one journal entry verbatim — its mutations, its
   * journal row and (as its last mutation) the applied mark. Idempotent by
   * sequence: an entry already applied is skipped after checking that it is
   * the one we have (a different one means the replicas diverged).
   * `row`, when the caller holds it, is the entry's journal row (the entry
   * was decoded from it), stored as it is instead of encoding the entry again.
   */
  applyEntry(entry: JournalEntry, row?: Buffer): ApplyOutcome {
    this.assertWriting();
    const applied = this.applied();
    const encoded = row ?? encodeJournalRow(entry);
    if (entry.sequence <= applied.sequence) {
      const ours = this.get('journal', u64be(entry.sequence));
      if (ours !== undefined && !ours.equals(asBuffer(encoded))) {
        throw new NamespaceError('DIVERGED', `entry ${entry.sequence} differs from ours`, {
          currentSequence: applied.sequence,
        });
      }
      return 'already-applied';
    }
    if (entry.sequence !== applied.sequence + 1n) {
      throw new NamespaceError('SEQUENCE_GAP', `entry ${entry.sequence} after ${applied.sequence}`, {
        currentSequence: applied.sequence,
      });
    }
    if (entry.formatVersion !== JOURNAL_FORMAT_VERSION) {
      throw new NamespaceError('UNSUPPORTED_FORMAT', `journal format ${entry.formatVersion}`);
    }
    const mark = entryMark(entry);
    if (mark === undefined) throw new NamespaceError('UNSUPPORTED_FORMAT', 'entry without its applied mark');
    if (mark.epoch < applied.epoch) {
      throw new NamespaceError('STALE_EPOCH', `entry from epoch ${mark.epoch} after epoch ${applied.epoch}`, {
        currentEpoch: applied.epoch,
      });
    }
    for (const m of entry.mutations) {
      if (!isReplicatedTable(m.database)) throw new NamespaceError('UNSUPPORTED_FORMAT', `table ${m.database}`);
      if (m.kind !== namespaceV1.MutationKind.PUT && m.kind !== namespaceV1.MutationKind.DELETE) {
        throw new NamespaceError('UNSUPPORTED_FORMAT', `mutation kind ${m.kind}`);
      }
    }
    for (const m of entry.mutations) {
      if (m.kind === namespaceV1.MutationKind.PUT) this.put(m.database as Table, m.key, m.value);
      else this.remove(m.database as Table, m.key);
    }
    this.put('journal', u64be(entry.sequence), encoded);
    return 'applied';
  }

  /**
   * Drops journal entries up to `throughSequence` (never past the applied
   * one). Local housekeeping, not journaled: each replica truncates once its
   * successors no longer need the entries. Returns how many were removed.
   */
  async truncateJournal(throughSequence: bigint, maxEntries = Number.MAX_SAFE_INTEGER): Promise<number> {
    return this.write(() => {
      const applied = this.applied().sequence;
      const through = throughSequence < applied ? throughSequence : applied;
      let floor = this.journalFloor();
      if (through <= floor) return 0;
      let removed = 0;
      for (const row of this.range('journal', { end: u64be(through + 1n), limit: maxEntries })) {
        this.remove('journal', row.key);
        floor = readU64be(row.key);
        removed++;
      }
      if (removed < maxEntries) floor = through;
      this.put('local', LOCAL_JOURNAL_FLOOR_KEY, u64be(floor));
      return removed;
    });
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * A consistent copy of the replicated tables as StreamSnapshotResponse
   * messages (header, batches of about `maxBatchBytes`, trailer with count and
   * CRC32C), read from one LMDB read transaction. Stop iterating to abandon.
   *
   * With `journal`, the journal rows this replica still holds go last (and
   * `journal` is listed in the header): for a chain member re-seeded in place,
   * whose own successor may stand below the snapshot and must be caught up
   * (or told to re-seed) from that journal.
   */
  *snapshot(maxBatchBytes = 1 << 20, opts: { journal?: boolean } = {}): Generator<namespaceV1.StreamSnapshotResponse> {
    this.assertOpen();
    const txn = this.root.useReadTransaction();
    const tables: Table[] = opts.journal === true ? [...REPLICATED_TABLES, 'journal'] : [...REPLICATED_TABLES];
    try {
      const mark = decodeApplied(this.db('meta').get(META_APPLIED_KEY, { transaction: txn }));
      let approximatePairs = 0n;
      for (const name of REPLICATED_TABLES) approximatePairs += BigInt(this.tableStats(name).entryCount);
      yield {
        $typeName: 'platter.namespace.v1.StreamSnapshotResponse',
        part: {
          case: 'header',
          value: {
            $typeName: 'platter.namespace.v1.SnapshotHeader',
            sequence: mark.sequence,
            formatVersion: JOURNAL_FORMAT_VERSION,
            databases: tables,
            approximatePairs,
            approximateBytes: 0n,
          },
        },
      };
      const frame = new PairFrameCrc();
      let pairs: namespaceV1.KvPair[] = [];
      let bytes = 0;
      for (const name of tables) {
        for (const row of this.db(name).getRange({ transaction: txn }) as Iterable<Row>) {
          frame.add(name, row.key, row.value);
          pairs.push({ $typeName: 'platter.namespace.v1.KvPair', database: name, key: row.key, value: row.value });
          bytes += row.key.length + row.value.length + name.length;
          if (bytes >= maxBatchBytes) {
            yield batchMessage(pairs);
            pairs = [];
            bytes = 0;
          }
        }
      }
      if (pairs.length > 0) yield batchMessage(pairs);
      yield {
        $typeName: 'platter.namespace.v1.StreamSnapshotResponse',
        part: {
          case: 'trailer',
          value: {
            $typeName: 'platter.namespace.v1.SnapshotTrailer',
            pairCount: frame.count,
            contentCrc32c: frame.crc,
          },
        },
      };
    } finally {
      txn.done();
    }
  }

  /**
   * Fills this empty replica from a snapshot stream (what a joining tail does
   * before catching up from the journal). Checks the trailer's count and
   * CRC32C; until it completes the replica is marked as restoring and refuses
   * to open. Afterwards the journal starts right after the snapshot, or, when
   * the stream carries journal rows, at the first of them (they must run
   * without a gap up to the snapshot's sequence).
   */
  async restore(
    messages: Iterable<namespaceV1.StreamSnapshotResponse> | AsyncIterable<namespaceV1.StreamSnapshotResponse>,
  ): Promise<AppliedMark> {
    this.assertOpen();
    if (this.applied().sequence !== 0n || !this.isEmpty()) {
      throw new NamespaceError('INVALID_ARGUMENT', 'restore needs an empty replica', { resource: this.path });
    }
    await this.write(() => this.put('local', LOCAL_RESTORING_KEY, Buffer.from([1])));
    const frame = new PairFrameCrc();
    let header: namespaceV1.SnapshotHeader | undefined;
    let trailer: namespaceV1.SnapshotTrailer | undefined;
    let withJournal = false;
    const journal = { first: undefined as bigint | undefined, last: 0n, count: 0n };
    for await (const message of messages) {
      const part = message.part;
      if (trailer !== undefined) throw snapshotError('message after the trailer');
      if (part.case === 'header') {
        if (header !== undefined) throw snapshotError('second header');
        if (part.value.formatVersion !== JOURNAL_FORMAT_VERSION) {
          throw new NamespaceError('UNSUPPORTED_FORMAT', `snapshot format ${part.value.formatVersion}`);
        }
        header = part.value;
        withJournal = header.databases.includes('journal');
      } else if (part.case === 'batch') {
        if (header === undefined) throw snapshotError('batch before the header');
        const batch = part.value.pairs;
        for (const pair of batch) {
          if (withJournal && pair.database === 'journal') {
            if (pair.key.length !== 8) throw snapshotError('bad journal key');
            const sequence = readU64be(asBuffer(pair.key));
            journal.first ??= sequence;
            journal.last = sequence;
            journal.count++;
          } else if (!isReplicatedTable(pair.database)) {
            throw new NamespaceError('UNSUPPORTED_FORMAT', `table ${pair.database}`);
          }
          frame.add(pair.database, pair.key, pair.value);
        }
        await this.write(() => {
          for (const pair of batch) this.put(pair.database as Table, pair.key, pair.value);
        });
      } else if (part.case === 'trailer') {
        trailer = part.value;
      } else {
        throw snapshotError('empty message');
      }
    }
    if (header === undefined || trailer === undefined) throw snapshotError('stream ended early');
    if (trailer.pairCount !== frame.count || trailer.contentCrc32c !== frame.crc) {
      throw snapshotError('count or CRC32C does not match the trailer');
    }
    const sequence = header.sequence;
    let floor = sequence;
    if (journal.first !== undefined) {
      // Rows come in key order from one read transaction: first..last with none missing, ending at the snapshot.
      if (journal.last !== sequence || journal.count !== journal.last - journal.first + 1n) {
        throw snapshotError(
          `journal rows ${journal.first}..${journal.last} (${journal.count}) do not end at ${sequence}`,
        );
      }
      floor = journal.first - 1n;
    }
    return this.write(() => {
      const mark = this.applied();
      if (mark.sequence !== sequence)
        throw snapshotError(`snapshot applied mark ${mark.sequence} ≠ header ${sequence}`);
      this.put('local', LOCAL_JOURNAL_FLOOR_KEY, u64be(floor));
      this.remove('local', LOCAL_RESTORING_KEY);
      return mark;
    });
  }

  // ---------------------------------------------------------------- checks

  /** SHA-256 over every replicated pair in order: equal digests mean byte-identical replicas. */
  digest(): string {
    this.assertOpen();
    const hash = createHash('sha256');
    const txn = this.root.useReadTransaction();
    try {
      for (const name of REPLICATED_TABLES) {
        for (const row of this.db(name).getRange({ transaction: txn }) as Iterable<Row>) {
          hash.update(pairFrameBytes(name, row.key, row.value));
        }
      }
    } finally {
      txn.done();
    }
    return hash.digest('hex');
  }

  tableStats(table: Table): { entryCount: number } {
    const stats = this.db(table).getStats() as { entryCount?: number };
    return { entryCount: stats.entryCount ?? 0 };
  }

  isEmpty(): boolean {
    return REPLICATED_TABLES.every((name) => this.first(name, Buffer.alloc(0), undefined) === undefined);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.close();
  }

  private db(table: Table): Database<Buffer, Buffer> {
    const db = this.dbs.get(table);
    if (db === undefined) throw new Error(`unknown table ${table}`);
    return db;
  }

  private assertOpen(): void {
    if (this.closed) throw new NamespaceError('STORE_CLOSED', 'partition store is closed', { resource: this.path });
  }

  private assertWriting(): void {
    this.assertOpen();
    if (!this.writing) throw new Error('store writes must run inside write()');
  }
}

const isAppliedKey = (table: Table, key: Uint8Array): boolean =>
  table === 'meta' && compareBytes(key, META_APPLIED_KEY) === 0;

/** The mark as written; a malformed one (a damaged snapshot) is left for applied() to read back and refuse. */
function markOrUnread(value: Uint8Array): AppliedMark | undefined {
  try {
    return decodeApplied(value);
  } catch {
    return undefined;
  }
}

function batchMessage(pairs: namespaceV1.KvPair[]): namespaceV1.StreamSnapshotResponse {
  return {
    $typeName: 'platter.namespace.v1.StreamSnapshotResponse',
    part: { case: 'batch', value: { $typeName: 'platter.namespace.v1.SnapshotBatch', pairs } },
  };
}

function snapshotError(message: string): NamespaceError {
  return new NamespaceError('INVALID_ARGUMENT', `bad snapshot stream: ${message}`);
}

function storeError(error: unknown): unknown {
  if (error instanceof NamespaceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/MDB_MAP_FULL|ENOSPC|No space left/.test(message)) {
    return new NamespaceError('STORE_FULL', 'partition store is full', { cause: error });
  }
  return error;
}
