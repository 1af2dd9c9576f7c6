import * as path from 'node:path';
import { BufferPool, SizedBufferPool } from './engine/buffer-pool.js';
import {
  BatchCommitter,
  lookupEntry,
  type CommitRequest,
  type CommitResult,
  type LogRecord,
  type LookedUp,
} from './engine/commit-batch.js';
import { compactExtents, type CompactionOptions, type CompactionReport } from './engine/compactor.js';
import { establishIdentity, EXTENTS_DIR, INDEX_DIR, type DiskIdentity } from './engine/disk-identity.js';
import type { Extent, ExtentSet, Reservation } from './engine/extent-set.js';
import { GroupCommitter } from './engine/group-commit.js';
import { IndexFlusher, INDEX_FORMAT, META_DISK_KEY, META_FORMAT_KEY } from './engine/index-flusher.js';
import { KeyedLock } from './engine/keyed-lock.js';
import { OpStats, type OpName, type OpSnapshot } from './engine/op-stats.js';
import { readRange, readRangeChunks, STREAM_READ_BLOCKS, type ChunkMemory } from './engine/record-reader.js';
import {
  blockCrcsOf,
  SINGLE_WRITE_MAX_BYTES,
  SourceError,
  writeRecordData,
  type ShardSource,
} from './engine/record-writer.js';
import { recoverExtents, type RecoveryReport } from './engine/recovery.js';
import { SpaceGuard } from './engine/space-guard.js';
import { verifyRecord, type DamagedShard, type VerifyReport } from './engine/verifier.js';
import {
  CorruptionError,
  DiskFailedError,
  DiskFullError,
  DiskIdentityError,
  DiskIoError,
  InvalidArgumentError,
  isNoSpace,
  ShardExistsError,
  ShardNotFoundError,
  ShardStoreError,
  StoreClosedError,
} from './errors.js';
import type { ShardEntry } from './format/index-entry.js';
import {
  deleteRecordLength,
  encodeDeleteRecord,
  encodeShardRecordHeader,
  encodeShardRecordPrefix,
  MAX_DATA_LENGTH_BYTES,
  MAX_SHARD_ID_BYTES,
  recordHeaderLength,
  type RecordPlace,
} from './format/record-header.js';
import { encodeReplayMark, META_APPLIED_KEY } from './format/replay-mark.js';
import type { DiskIo, IoFile } from './io/disk-io.js';
import { FaultInjectingIo } from './io/fault-injector.js';
import { HddModelIo, type HddStats } from './io/hdd-model.js';
import { NodeDiskIo } from './io/node-disk-io.js';
import type { IndexStore } from './index/index-store.js';
import { LmdbIndexStore } from './index/lmdb-index-store.js';
import { StagedIndex } from './index/staged-index.js';
import { resolveConfig, type ResolvedConfig, type ShardStoreOptions } from './shard-store-options.js';

/** Pooled buffers kept per buffer size (32 × 1 MiB blocks or read buffers at the default). */
const POOL_MAX_RETAINED = 32;
/** Idle single-write record buffers kept per size class. */
const RECORD_POOL_RETAIN_BYTES = 2 * 2 ** 20;
/** Upper bound on one `list`/`verify` page. */
const MAX_PAGE = 10_000;
const DEFAULT_PAGE = 1_000;

export interface ShardInfo {
  shardId: string;
  state: 'live' | 'deleted';
  length: number;
  blockSize: number;
  /** CRC32C of each block, as stored. */
  blockCrcs: readonly number[];
  /** ms since the epoch: creation for a live shard, deletion for a tombstone. */
  time: number;
}

export type ListedShard = ShardInfo | { shardId: string; state: 'corrupt'; detail: string };

export interface ShardPage {
  shards: ListedShard[];
  /** Pass as `after` for the next page; absent at the end. */
  nextAfter?: string;
}

export interface ByteRange {
  offset?: number;
  length?: number;
}

export interface ShardReadStream {
  info: ShardInfo;
  offset: number;
  length: number;
  /** Verified bytes; consume to the end or call `return()` (a `for await` break does). */
  chunks: AsyncIterable<Buffer>;
  /**
   * With `lendBuffers`: takes back a chunk's memory for later reads. Call it
   * once nothing reads the chunk any more; a chunk never given back is left
   * to the garbage collector. Without `lendBuffers`, and for a second call, it does nothing.
   */
  release(chunk: Buffer): void;
}

export interface StreamOptions {
  /**
   * Reuse two pooled buffers in turn instead of fresh memory for each chunk:
   * much faster, but a chunk is valid only until the next one is asked for.
   * For consumers that finish with (or copy) a chunk before pulling the next.
   */
  reuseBuffers?: boolean;
  /**
   * Read each chunk into a pooled buffer of its own, lent to the consumer
   * until it calls `release`: for consumers that queue chunks (a gRPC stream
   * copies one into its frame only when it sends it).
   */
  lendBuffers?: boolean;
}

export interface PutOptions {
  /** Required for streamed data: the record header holds the length up front. */
  expectedLength?: number;
}

export interface StoreStats {
  diskUuid: string;
  clusterId: string;
  failed: boolean;
  bytes: { live: number; dead: number; free: number };
  extentCount: number;
  liveShards: number;
  groupCommit: { batches: number; requests: number };
  /** Index commits (each one LMDB transaction, off the acknowledgement path) and changes waiting for the next. */
  index: { commits: number; stagedKeys: number };
  compaction: { runs: number; extentsRemoved: number; bytesCopied: number; bytesReclaimed: number };
  recovery: RecoveryReport;
  ops: Partial<Record<OpName, OpSnapshot>>;
  hdd?: HddStats;
}

function infoOf(shardId: string, e: ShardEntry): ShardInfo {
  return {
    shardId,
    state: e.state,
    length: e.dataLength,
    blockSize: e.blockSize,
    blockCrcs: e.blockCrcs,
    time: e.time,
  };
}

const LONE_SURROGATE = /\p{Surrogate}/u;

function validateShardId(shardId: unknown): asserts shardId is string {
  if (typeof shardId !== 'string' || shardId.length === 0)
    throw new InvalidArgumentError('shard id must be a non-empty string');
  if (Buffer.byteLength(shardId, 'utf8') > MAX_SHARD_ID_BYTES)
    throw new InvalidArgumentError(`shard id longer than ${MAX_SHARD_ID_BYTES} bytes`);
  // A lone surrogate would not survive the UTF-8 round trip of the index key
  // (with the u flag a proper pair is one code point, never a surrogate).
  if (LONE_SURROGATE.test(shardId)) throw new InvalidArgumentError('shard id is not well-formed Unicode');
}

/**
 * The storage engine of one disk: shards in append-only extent files, an
 * index in LMDB, group-committed durability, recovery, compaction. See
 * README.md for the on-disk format and the guarantees.
 */
export class ShardStore {
  private failure: DiskFailedError | undefined;
  private closing: Promise<void> | undefined;
  /** Operations under run() not yet answered: close() waits until there are none. */
  private running = 0;
  private whenIdle: (() => void) | undefined;
  private readonly retiring = new Set<Promise<void>>();
  private readonly pools = new Map<number, BufferPool>();
  private readonly recordBuffers = new SizedBufferPool(RECORD_POOL_RETAIN_BYTES);
  private readonly committer: GroupCommitter<CommitRequest, CommitResult>;
  private readonly flusher: IndexFlusher;
  /** One put, delete or compaction copy per shard id at a time: see engine/keyed-lock.ts. */
  private readonly locks = new KeyedLock();
  private readonly space: SpaceGuard;
  private readonly opStats = new OpStats();
  private readonly compactionTotals = { runs: 0, extentsRemoved: 0, bytesCopied: 0, bytesReclaimed: 0 };
  private compacting: Promise<CompactionReport> | undefined;

  private constructor(
    readonly identity: DiskIdentity,
    private readonly io: DiskIo,
    private readonly index: IndexStore,
    /** The index as readers see it: LMDB plus the changes acknowledged since its last commit. */
    private readonly staged: StagedIndex,
    private readonly extents: ExtentSet,
    private readonly config: ResolvedConfig,
    readonly recovery: RecoveryReport,
    private sequence: number,
    private readonly now: () => number,
    private readonly hdd: HddModelIo | undefined,
    dir: string,
  ) {
    this.space = new SpaceGuard(io, dir, config.reserveFreeBytes);
    this.extents.onDurableWrite = (startedNs, ok, bytes) => this.opStats.observe('durableWrite', startedNs, ok, bytes);
    this.flusher = new IndexFlusher(
      {
        staged: this.staged,
        index: this.index,
        extents: this.extents,
        stats: this.opStats,
        sequence: () => this.sequence,
        isFailed: () => this.failure !== undefined,
        fail: (reason, cause) => this.fail(reason, cause),
      },
      config.indexCommit,
    );
    const batches = new BatchCommitter({
      staged: this.staged,
      extents: this.extents,
      stats: this.opStats,
      isFailed: () => this.failure !== undefined,
      fail: (reason, cause) => this.fail(reason, cause),
      noteStaged: () => this.flusher.noteStaged(),
      flushIndex: () => this.flusher.flushNow(),
      onExtentDropped: (e) => this.retire(e),
    });
    this.committer = new GroupCommitter(config.groupCommit, (reqs, release) => batches.run(reqs, release));
  }

  /** Opens (formatting an empty directory, recovering after a crash) the disk at `options.dir`. */
  static async open(options: ShardStoreOptions): Promise<ShardStore> {
    try {
      return await ShardStore.openUnchecked(options);
    } catch (err) {
      if (err instanceof ShardStoreError) throw err;
      // An I/O error while opening: typed, so the caller can mark the disk and retry later.
      throw new DiskFailedError(`${options.dir}: open failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }

  private static async openUnchecked(options: ShardStoreOptions): Promise<ShardStore> {
    const config = resolveConfig(options);
    let io: DiskIo = options.io ?? new NodeDiskIo();
    if (options.faults) io = new FaultInjectingIo(io, options.faults);
    const hdd = options.hdd ? new HddModelIo(io, options.hdd) : undefined;
    if (hdd) io = hdd;

    const identity = await establishIdentity(io, options.dir, {
      clusterId: options.clusterId,
      expectDiskUuid: options.expectDiskUuid,
      onForeignDisk: options.onForeignDisk,
    });
    const extentsDir = path.join(options.dir, EXTENTS_DIR);
    let index: IndexStore;
    try {
      index = options.index ?? LmdbIndexStore.open({ path: path.join(options.dir, INDEX_DIR) });
    } catch (err) {
      throw new DiskFailedError(`${options.dir}: cannot open the index`, { cause: err });
    }
    let extents: ExtentSet | undefined;
    try {
      const disk = index.get('meta', META_DISK_KEY);
      if (disk === undefined) {
        // A fresh index beside old extents means the index was lost: refuse
        // rather than serve an empty disk that should hold data.
        if ((await io.readdir(extentsDir)).length > 0)
          throw new DiskFailedError(`${options.dir}: the index is missing but extents exist`);
        await index.commit([
          { table: 'meta', key: META_DISK_KEY, value: Buffer.from(identity.diskUuid, 'utf8') },
          { table: 'meta', key: META_FORMAT_KEY, value: Buffer.from(INDEX_FORMAT, 'utf8') },
          // The log starts at the beginning of the first extent.
          {
            table: 'meta',
            key: META_APPLIED_KEY,
            value: encodeReplayMark({ from: { extentId: 0, offset: 0 }, pending: [] }),
          },
        ]);
      } else if (Buffer.from(disk).toString('utf8') !== identity.diskUuid) {
        throw new DiskIdentityError(
          `${options.dir}: the index belongs to disk ${Buffer.from(disk).toString('utf8')}, not ${identity.diskUuid}`,
        );
      }
      const format = index.get('meta', META_FORMAT_KEY);
      const formatName = format === undefined ? 'platter-shardstore/1' : Buffer.from(format).toString('utf8');
      if (formatName !== INDEX_FORMAT)
        throw new DiskIdentityError(
          `${options.dir}: on-disk format ${formatName} is not ${INDEX_FORMAT}, which this engine reads`,
        );
      const staged = new StagedIndex(index);
      const recovered = await recoverExtents(io, staged, extentsDir, config.extentSizeBytes);
      extents = recovered.extents;
      const store = new ShardStore(
        identity,
        io,
        index,
        staged,
        extents,
        config,
        recovered.report,
        recovered.sequence,
        options.now ?? Date.now,
        hdd,
        options.dir,
      );
      // Make what recovery rolled forward durable, and move the replay mark to the end of the log.
      await store.flusher.flushNow();
      return store;
    } catch (err) {
      await extents?.closeAll();
      await index.close().catch(() => undefined);
      throw err;
    }
  }

  /** True once a write-path I/O error took the disk out of service (until reopened). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Stores a shard. Resolves only when its bytes and index entry are durable.
   * A stream needs `expectedLength` and is written block by block as it
   * arrives, never buffered whole. A second put of an id with the same bytes
   * succeeds without writing; with other bytes it fails with ShardExistsError.
   */
  put(shardId: string, data: ShardSource, options: PutOptions = {}): Promise<ShardInfo> {
    return this.run(
      'put',
      true,
      (i) => i.length,
      // Not async: an async function returning the lock's promise would adopt it, two more turns per put.
      () => {
        validateShardId(shardId);
        const length = data instanceof Uint8Array ? data.byteLength : options.expectedLength;
        if (length === undefined) throw new InvalidArgumentError('a streamed put needs expectedLength');
        if (!Number.isSafeInteger(length) || length < 0 || length > MAX_DATA_LENGTH_BYTES)
          throw new InvalidArgumentError(`bad shard length ${length}`);
        if (options.expectedLength !== undefined && options.expectedLength !== length) {
          throw new InvalidArgumentError(`data is ${length} bytes, expectedLength says ${options.expectedLength}`);
        }
        return this.locks.run(shardId, () => this.putLocked(shardId, data, length));
      },
    );
  }

  private async putLocked(shardId: string, data: ShardSource, length: number): Promise<ShardInfo> {
    const cur = this.lookup(shardId);
    if (cur && 'corrupt' in cur) throw new CorruptionError(shardId, `index entry: ${cur.corrupt}`);
    // Refuse early what the commit would refuse anyway, before writing bytes.
    if (cur?.entry.state === 'live' && cur.entry.dataLength !== length) throw new ShardExistsError(shardId);

    const blockSize = this.config.blockSizeBytes;
    const headerLength = recordHeaderLength(Buffer.byteLength(shardId, 'utf8'), length, blockSize);
    const createdAt = this.now();
    // An object literal per record, not a spread of shared fields: the spread
    // alone cost ~3 µs of a 4 KiB put here.
    const header = (extentId: number, offset: number, sequence: number, blockCrcs: readonly number[]) => ({
      kind: 'put' as const,
      shardId,
      blockSize,
      dataLength: length,
      createdAt,
      extentId,
      offset,
      sequence,
      blockCrcs,
    });
    // A small buffer goes out in one write, header and all; anything else
    // writes its prefix first, then its data as it comes, then the header.
    const oneWrite = data instanceof Uint8Array && length <= SINGLE_WRITE_MAX_BYTES ? data : undefined;
    let crcs = oneWrite ? blockCrcsOf(oneWrite, blockSize) : [];
    let pooled: Buffer | undefined;
    const res = await this.appendRecord(
      headerLength + length,
      false,
      (extentId, offset, sequence) => {
        if (!oneWrite) return encodeShardRecordPrefix(header(extentId, offset, sequence, []));
        const buf = (pooled = this.recordBuffers.take(headerLength + length));
        encodeShardRecordHeader(header(extentId, offset, sequence, crcs), buf);
        buf.set(oneWrite, headerLength);
        return buf.subarray(0, headerLength + length);
      },
      () => {
        if (pooled) this.recordBuffers.give(pooled);
      },
      oneWrite
        ? undefined
        : async (file, slot) => {
            crcs = await writeRecordData(
              file,
              slot.offset + headerLength,
              data,
              length,
              blockSize,
              this.poolFor(blockSize),
            );
            const bytes = encodeShardRecordHeader(header(slot.extent.id, slot.offset, slot.sequence, crcs));
            await file.write(bytes, 0, bytes.length, slot.offset);
          },
      (slot, record) => ({
        kind: 'put',
        shardId,
        record,
        slot,
        notLive: cur === undefined || cur.entry.state !== 'live',
        entry: {
          state: 'live',
          extentId: slot.extent.id,
          recordOffset: slot.offset,
          headerLength,
          blockSize,
          dataLength: length,
          sequence: slot.sequence,
          time: createdAt,
          blockCrcs: crcs,
        },
      }),
    );
    if (res.kind !== 'put') throw new Error('unexpected commit result');
    return infoOf(shardId, res.entry);
  }

  /** Bytes [offset, offset+length) of a shard (default: all), every block verified. */
  get(shardId: string, range: ByteRange = {}): Promise<Buffer> {
    return this.run(
      'get',
      false,
      (b) => b.length,
      async () => {
        validateShardId(shardId);
        const { entry, extent } = this.locate(shardId);
        try {
          const { offset, length } = this.rangeOf(entry, range);
          if (length > this.config.maxBufferedReadBytes)
            throw new InvalidArgumentError(`range of ${length} bytes is too large for get; use getStream`);
          return await readRange(await this.fileOf(extent), shardId, entry, offset, length);
        } finally {
          extent.unpin();
        }
      },
    );
  }

  /**
   * Streams a range a few blocks per I/O. Not-found and bad ranges fail here;
   * damage found while streaming fails the iteration, before any bad byte.
   */
  async getStream(shardId: string, range: ByteRange = {}, options: StreamOptions = {}): Promise<ShardReadStream> {
    this.checkUsable(false);
    validateShardId(shardId);
    const { entry, extent } = this.locate(shardId);
    extent.unpin();
    const { offset, length } = this.rangeOf(entry, range);
    const pool = this.poolFor(STREAM_READ_BLOCKS * entry.blockSize);
    const lent = new WeakMap<Buffer, Buffer>();
    const memory: ChunkMemory | undefined = options.reuseBuffers
      ? { pool, mode: 'ring' }
      : options.lendBuffers
        ? { pool, mode: 'lend', onLend: (chunk, pooled) => lent.set(chunk, pooled) }
        : undefined;
    return {
      info: infoOf(shardId, entry),
      offset,
      length,
      chunks: this.streamChunks(shardId, entry, offset, length, memory),
      release: (chunk) => {
        const pooled = lent.get(chunk);
        if (pooled === undefined) return;
        lent.delete(chunk);
        pool.give(pooled);
      },
    };
  }

  async stat(shardId: string): Promise<ShardInfo> {
    return this.run('stat', false, undefined, async () => {
      validateShardId(shardId);
      const found = this.lookup(shardId);
      if (!found) throw new ShardNotFoundError(shardId);
      if ('corrupt' in found) throw new CorruptionError(shardId, `index entry: ${found.corrupt}`);
      return infoOf(shardId, found.entry);
    });
  }

  /** Tombstones a live shard (a delete record in the log); durable when it resolves. */
  delete(shardId: string): Promise<void> {
    return this.run('delete', true, undefined, async () => {
      validateShardId(shardId);
      await this.locks.run(shardId, async () => {
        const cur = this.lookup(shardId);
        // Nothing to delete: refused without writing (the commit would refuse it too).
        if (!cur || ('entry' in cur && cur.entry.state !== 'live')) throw new ShardNotFoundError(shardId);
        const time = this.now();
        await this.appendRecord(
          deleteRecordLength(Buffer.byteLength(shardId, 'utf8')),
          // A delete frees space: it may use the reserve, so that a full disk can still be emptied.
          true,
          (extentId, offset, sequence) => encodeDeleteRecord({ extentId, offset, sequence, shardId, deletedAt: time }),
          undefined,
          undefined,
          (slot, record) => ({ kind: 'delete', shardId, time, sequence: slot.sequence, record, slot }),
        );
      });
    });
  }

  /** A page of shards in id order (UTF-8 byte order); damaged index entries appear as 'corrupt'. */
  list(options: { after?: string; limit?: number; includeDeleted?: boolean } = {}): Promise<ShardPage> {
    return this.run('list', false, undefined, async () => {
      const limit = this.pageLimit(options.limit);
      const shards: ListedShard[] = [];
      const next = this.scan(options.after, limit, (shardId, found) => {
        if ('corrupt' in found) shards.push({ shardId, state: 'corrupt', detail: found.corrupt });
        else if (found.entry.state === 'live' || options.includeDeleted) shards.push(infoOf(shardId, found.entry));
        else return false;
        return true;
      });
      return next === undefined ? { shards } : { shards, nextAfter: next };
    });
  }

  /**
   * Reads and checks whole shards (header, every block, index entry): one
   * shard, or a page of them in id order for a scrubber to walk the disk.
   */
  verify(options: { shardId?: string; after?: string; limit?: number } = {}): Promise<VerifyReport> {
    return this.run('verify', false, undefined, async () => {
      if (options.shardId !== undefined) {
        validateShardId(options.shardId);
        const found = this.lookup(options.shardId);
        if (!found || ('entry' in found && found.entry.state !== 'live')) throw new ShardNotFoundError(options.shardId);
        const d = await this.verifyOne(options.shardId, found);
        return { checked: 1, damaged: d ? [d] : [] };
      }
      const limit = this.pageLimit(options.limit);
      const ids: Array<[string, NonNullable<LookedUp>]> = [];
      const next = this.scan(options.after, limit, (shardId, found) => {
        if ('entry' in found && found.entry.state !== 'live') return false;
        ids.push([shardId, found]);
        return true;
      });
      const damaged: DamagedShard[] = [];
      for (const [shardId, found] of ids) {
        const d = await this.verifyOne(shardId, found);
        if (d) damaged.push(d);
      }
      return next === undefined ? { checked: ids.length, damaged } : { checked: ids.length, damaged, nextAfter: next };
    });
  }

  /** Copies live records out of sealed extents under the live ratio, then removes those extents. */
  compact(options: CompactionOptions = {}): Promise<CompactionReport> {
    // One compaction at a time; a second caller shares the running one.
    this.compacting ??= this.run('compact', true, undefined, async () => {
      const report = await compactExtents(
        {
          extents: this.extents,
          index: this.staged,
          copyRecord: (shardId, entry, from) => this.copyRecord(shardId, entry, from),
          dropExtent: async (extent) => {
            await this.committer.submit({ kind: 'drop-extent', extent });
          },
        },
        this.config.liveRatio,
        options,
      );
      const t = this.compactionTotals;
      t.runs++;
      t.extentsRemoved += report.extentsRemoved;
      t.bytesCopied += report.bytesCopied;
      t.bytesReclaimed += report.bytesReclaimed;
      await Promise.all(this.retiring);
      return report;
    }).finally(() => {
      this.compacting = undefined;
    });
    return this.compacting;
  }

  async stats(): Promise<StoreStats> {
    let live = 0;
    let used = 0;
    let liveShards = 0;
    const all = this.extents.all();
    for (const e of all) {
      live += e.meta.liveBytes;
      liveShards += e.meta.liveCount;
      used += Math.max(e.meta.committedEnd, e.reservedEnd);
    }
    const free = await this.space.freeBytes().catch(() => Number.NaN);
    const s: StoreStats = {
      diskUuid: this.identity.diskUuid,
      clusterId: this.identity.clusterId,
      failed: this.failed,
      bytes: { live, dead: Math.max(0, used - live), free },
      extentCount: all.length,
      liveShards,
      groupCommit: { batches: this.committer.batches, requests: this.committer.requests },
      index: { commits: this.flusher.commits, stagedKeys: this.staged.size },
      compaction: { ...this.compactionTotals },
      recovery: this.recovery,
      ops: this.opStats.snapshot(),
    };
    if (this.hdd) s.hdd = { ...this.hdd.stats };
    return s;
  }

  /** Waits for operations in flight, then closes files and the index. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.running > 0) await new Promise<void>((resolve) => (this.whenIdle = resolve));
      await this.committer.drain();
      await Promise.allSettled([...this.retiring]);
      // What fails to commit here is in the log: the next open replays it.
      await this.flusher.close().catch(() => undefined);
      await this.extents.closeAll();
      await this.index.close();
    })();
    return this.closing;
  }

  // --- internals ------------------------------------------------------------

  private async run<T>(
    op: OpName,
    writes: boolean,
    bytesOf: ((r: T) => number) | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    this.checkUsable(writes);
    // Timed here rather than through OpStats.time: one async frame less per operation.
    const t0 = process.hrtime.bigint();
    this.running++;
    try {
      const r = await fn();
      this.opStats.observe(op, t0, true, bytesOf ? bytesOf(r) : 0);
      return r;
    } catch (err) {
      this.opStats.observe(op, t0, false);
      throw err;
    } finally {
      if (--this.running === 0) this.whenIdle?.();
    }
  }

  private checkUsable(_writes: boolean): void {
    if (this.closing) throw new StoreClosedError();
    // A failed disk serves nothing: its state after a failed fsync is unknown.
    if (this.failure) throw new DiskFailedError(this.failure.message, { cause: this.failure });
  }

  private fail(reason: string, cause: unknown): DiskFailedError {
    if (!this.failure) {
      this.failure = new DiskFailedError(`disk failed: ${reason}`, { cause });
      this.extents.frozen = true;
      void this.flusher.fence();
    }
    return new DiskFailedError(this.failure.message, { cause });
  }

  private lookup(shardId: string): LookedUp {
    try {
      return lookupEntry(this.staged, shardId);
    } catch (err) {
      throw new DiskIoError('index read failed', { cause: err });
    }
  }

  /** Looks up a live shard and pins its extent, in one synchronous step so compaction cannot remove it in between. */
  private locate(shardId: string): { entry: ShardEntry; extent: Extent } {
    const found = this.lookup(shardId);
    if (!found) throw new ShardNotFoundError(shardId);
    if ('corrupt' in found) throw new CorruptionError(shardId, `index entry: ${found.corrupt}`);
    if (found.entry.state !== 'live') throw new ShardNotFoundError(shardId);
    const extent = this.extents.pin(found.entry.extentId);
    if (!extent) throw new CorruptionError(shardId, `extent ${found.entry.extentId} is missing`);
    if (extent.lost) {
      extent.unpin();
      throw new CorruptionError(shardId, `extent ${extent.id} file is missing`);
    }
    return { entry: found.entry, extent };
  }

  private rangeOf(entry: ShardEntry, range: ByteRange): { offset: number; length: number } {
    const offset = range.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > entry.dataLength)
      throw new InvalidArgumentError(`offset ${offset} outside 0..${entry.dataLength}`);
    const length = range.length ?? entry.dataLength - offset;
    if (!Number.isSafeInteger(length) || length < 0 || offset + length > entry.dataLength) {
      throw new InvalidArgumentError(`range ${offset}+${length} outside a shard of ${entry.dataLength} bytes`);
    }
    return { offset, length };
  }

  private async fileOf(extent: Extent): Promise<IoFile> {
    try {
      return await this.extents.fileOf(extent);
    } catch (err) {
      throw new DiskIoError(`cannot open extent ${extent.id}`, { cause: err });
    }
  }

  private async *streamChunks(
    shardId: string,
    expected: ShardEntry,
    offset: number,
    length: number,
    memory: ChunkMemory | undefined,
  ): AsyncGenerator<Buffer> {
    this.checkUsable(false);
    // Looked up again: compaction may have moved the record since getStream.
    const { entry, extent } = this.locate(shardId);
    try {
      if (entry.dataLength !== expected.dataLength || entry.blockCrcs.some((c, i) => c !== expected.blockCrcs[i]))
        throw new ShardNotFoundError(shardId);
      const t0 = process.hrtime.bigint();
      yield* readRangeChunks(await this.fileOf(extent), shardId, entry, offset, length, memory);
      this.opStats.observe('get', t0, true, length);
    } finally {
      extent.unpin();
    }
  }

  private scan(
    after: string | undefined,
    limit: number,
    take: (shardId: string, found: NonNullable<LookedUp>) => boolean,
  ): string | undefined {
    let cursor = after;
    let taken = 0;
    for (;;) {
      const want = limit - taken;
      const rows = this.staged.range('shards', cursor === undefined ? { limit: want } : { after: cursor, limit: want });
      for (const [key] of rows) {
        cursor = key;
        const found = this.lookup(key);
        if (found && take(key, found)) taken++;
      }
      if (rows.length < want) return undefined;
      if (taken >= limit) return cursor;
    }
  }

  private pageLimit(limit: number | undefined): number {
    const l = limit ?? DEFAULT_PAGE;
    if (!Number.isInteger(l) || l < 1 || l > MAX_PAGE)
      throw new InvalidArgumentError(`limit must be in 1..${MAX_PAGE}`);
    return l;
  }

  private async verifyOne(shardId: string, found: NonNullable<LookedUp>): Promise<DamagedShard | undefined> {
    if ('corrupt' in found) return { shardId, kind: 'index', blocks: [], detail: found.corrupt };
    let located: { entry: ShardEntry; extent: Extent };
    try {
      located = this.locate(shardId);
    } catch (err) {
      if (err instanceof ShardNotFoundError) return undefined; // deleted meanwhile
      if (err instanceof CorruptionError) return { shardId, kind: 'missing', blocks: [], detail: err.detail };
      throw err;
    }
    try {
      return await verifyRecord(await this.fileOf(located.extent), shardId, located.entry);
    } catch (err) {
      if (err instanceof DiskIoError) return { shardId, kind: 'io', blocks: [], detail: err.message };
      throw err;
    } finally {
      located.extent.unpin();
    }
  }

  private poolFor(blockSize: number): BufferPool {
    let p = this.pools.get(blockSize);
    if (!p) this.pools.set(blockSize, (p = new BufferPool(blockSize, POOL_MAX_RETAINED)));
    return p;
  }

  /**
   * The shared write path of put, delete and compaction: check space, reserve
   * at the end of the log (which starts `first`, the record's first write),
   * write the rest, then wait for the group commit. A write error other than
   * a full disk fails the disk; the reserved bytes become dead space either way.
   */
  private async appendRecord(
    recordLength: number,
    mayUseReserve: boolean,
    first: (extentId: number, offset: number, sequence: number) => Buffer,
    /** Called once the first write is over (its buffer may be reused). */
    firstDone: (() => void) | undefined,
    rest: ((file: IoFile, slot: Reservation) => Promise<void>) | undefined,
    request: (slot: Reservation, record: LogRecord) => CommitRequest,
  ): Promise<CommitResult> {
    if (this.flusher.full) {
      // The index had no room for what is staged: try again now (space may be back), refuse if still full.
      try {
        await this.flusher.flushNow();
      } catch (err) {
        if (err instanceof DiskFullError) throw new DiskFullError(err.message, { cause: err });
        throw err;
      }
    }
    try {
      // Awaited only when free space must be read again: a put's path stays short.
      if (!this.space.tryGrant(recordLength, mayUseReserve)) await this.space.ensure(recordLength, mayUseReserve);
    } catch (err) {
      if (err instanceof ShardStoreError) throw err;
      throw new DiskIoError('cannot read free space', { cause: err });
    }
    let slot: Reservation;
    try {
      const nextSequence = () => this.sequence++;
      slot =
        this.extents.tryReserve(recordLength, nextSequence, first) ??
        (await this.extents.reserve(recordLength, nextSequence, first));
    } catch (err) {
      throw this.writeFailure(err, 'creating an extent failed');
    }
    try {
      try {
        try {
          await slot.first;
        } finally {
          firstDone?.();
        }
        if (rest) await rest(await this.extents.fileOf(slot.extent), slot);
      } catch (err) {
        throw this.writeFailure(err, 'extent write failed');
      }
      return await this.committer.submit(
        request(slot, { extent: slot.extent, offset: slot.offset, length: recordLength, durable: rest === undefined }),
      );
    } finally {
      // Staged with its batch by now, or given up: either way no longer pending.
      this.extents.settle(slot);
      slot.extent.inflight--;
    }
  }

  private writeFailure(err: unknown, reason: string): unknown {
    if (err instanceof SourceError) return err.original;
    if (err instanceof ShardStoreError) return err;
    if (isNoSpace(err)) return new DiskFullError('disk is full', { cause: err });
    return this.fail(reason, err);
  }

  /** Copies a live record out of `from` (a move record); false when the shard changed meanwhile. */
  private copyRecord(shardId: string, entry: ShardEntry, from: Extent): Promise<boolean> {
    return this.locks.run(shardId, async () => {
      this.checkUsable(true);
      const cur = this.lookup(shardId);
      if (
        !cur ||
        !('entry' in cur) ||
        cur.entry.state !== 'live' ||
        cur.entry.extentId !== from.id ||
        cur.entry.recordOffset !== entry.recordOffset
      )
        return false;
      const movedFrom: RecordPlace = { extentId: from.id, offset: entry.recordOffset };
      const fields = {
        kind: 'move' as const,
        shardId,
        blockSize: entry.blockSize,
        dataLength: entry.dataLength,
        createdAt: entry.time,
        movedFrom,
      };
      let crcs: number[] = [];
      from.pins++;
      try {
        const source = readRangeChunks(await this.fileOf(from), shardId, entry, 0, entry.dataLength);
        const res = await this.appendRecord(
          entry.headerLength + entry.dataLength,
          false,
          (extentId, offset, sequence) => encodeShardRecordPrefix({ ...fields, extentId, offset, sequence }),
          undefined,
          async (file, slot) => {
            crcs = await writeRecordData(
              file,
              slot.offset + entry.headerLength,
              source,
              entry.dataLength,
              entry.blockSize,
              this.poolFor(entry.blockSize),
            );
            const header = encodeShardRecordHeader({
              ...fields,
              extentId: slot.extent.id,
              offset: slot.offset,
              sequence: slot.sequence,
              blockCrcs: crcs,
            });
            await file.write(header, 0, header.length, slot.offset);
          },
          (slot, record) => ({
            kind: 'move',
            shardId,
            from: movedFrom,
            record,
            slot,
            entry: {
              ...entry,
              extentId: slot.extent.id,
              recordOffset: slot.offset,
              sequence: slot.sequence,
              blockCrcs: crcs,
            },
          }),
        );
        return res.kind === 'move' && res.applied;
      } finally {
        from.unpin();
      }
    });
  }

  private retire(extent: Extent): void {
    const p = this.extents.retire(extent).catch(() => {
      // The index no longer names it: a leftover file is an orphan that the
      // next open deletes.
    });
    this.retiring.add(p);
    void p.finally(() => this.retiring.delete(p));
  }
}
