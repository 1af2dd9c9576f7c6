import * as path from 'node:path';
import { BufferPool } from './engine/buffer-pool.js';
import {
  BatchCommitter,
  lookupEntry,
  META_DISK_KEY,
  type CommitRequest,
  type CommitResult,
} from './engine/commit-batch.js';
import { compactExtents, type CompactionOptions, type CompactionReport } from './engine/compactor.js';
import { establishIdentity, EXTENTS_DIR, INDEX_DIR, type DiskIdentity } from './engine/disk-identity.js';
import type { Extent, ExtentSet } from './engine/extent-set.js';
import { GroupCommitter } from './engine/group-commit.js';
import { OpStats, type OpName, type OpSnapshot } from './engine/op-stats.js';
import { readRange, readRangeChunks, STREAM_READ_BLOCKS } from './engine/record-reader.js';
import {
  SINGLE_WRITE_MAX_BYTES,
  SourceError,
  writeRecordData,
  writeSmallRecord,
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
  encodeRecordHeader,
  MAX_DATA_LENGTH_BYTES,
  MAX_SHARD_ID_BYTES,
  recordHeaderLength,
} from './format/record-header.js';
import type { DiskIo } from './io/disk-io.js';
import { FaultInjectingIo } from './io/fault-injector.js';
import { HddModelIo, type HddStats } from './io/hdd-model.js';
import { NodeDiskIo } from './io/node-disk-io.js';
import type { IndexStore } from './index/index-store.js';
import { LmdbIndexStore } from './index/lmdb-index-store.js';
import { resolveConfig, type ResolvedConfig, type ShardStoreOptions } from './shard-store-options.js';

/** Pooled buffers kept per buffer size (32 × 1 MiB blocks, or 32 × 4 MiB read buffers, at the default). */
const POOL_MAX_RETAINED = 32;
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
}

export interface StreamOptions {
  /**
   * Reuse two pooled buffers in turn instead of fresh memory for each chunk:
   * much faster, but a chunk is valid only until the next one is asked for.
   * For consumers that finish with (or copy) a chunk before pulling the next.
   */
  reuseBuffers?: boolean;
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

function validateShardId(shardId: unknown): asserts shardId is string {
  if (typeof shardId !== 'string' || shardId.length === 0)
    throw new InvalidArgumentError('shard id must be a non-empty string');
  if (Buffer.byteLength(shardId, 'utf8') > MAX_SHARD_ID_BYTES)
    throw new InvalidArgumentError(`shard id longer than ${MAX_SHARD_ID_BYTES} bytes`);
  // A lone surrogate would not survive the UTF-8 round trip of the index key.
  if (Buffer.from(shardId, 'utf8').toString('utf8') !== shardId)
    throw new InvalidArgumentError('shard id is not well-formed Unicode');
}

/**
 * The storage engine of one disk: shards in append-only extent files, an
 * index in LMDB, group-committed durability, recovery, compaction. See
 * README.md for the on-disk format and the guarantees.
 */
export class ShardStore {
  private failure: DiskFailedError | undefined;
  private closing: Promise<void> | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly retiring = new Set<Promise<void>>();
  private readonly pools = new Map<number, BufferPool>();
  private readonly committer: GroupCommitter<CommitRequest, CommitResult>;
  private readonly space: SpaceGuard;
  private readonly opStats = new OpStats();
  private readonly compactionTotals = { runs: 0, extentsRemoved: 0, bytesCopied: 0, bytesReclaimed: 0 };
  private compacting: Promise<CompactionReport> | undefined;

  private constructor(
    readonly identity: DiskIdentity,
    private readonly io: DiskIo,
    private readonly index: IndexStore,
    private readonly extents: ExtentSet,
    private readonly config: ResolvedConfig,
    readonly recovery: RecoveryReport,
    private sequence: number,
    private readonly now: () => number,
    private readonly hdd: HddModelIo | undefined,
    dir: string,
  ) {
    this.space = new SpaceGuard(io, dir, config.reserveFreeBytes);
    const batches = new BatchCommitter({
      index: this.index,
      extents: this.extents,
      stats: this.opStats,
      isFailed: () => this.failure !== undefined,
      fail: (reason, cause) => this.fail(reason, cause),
      sequence: () => this.sequence,
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
    try {
      const disk = index.get('meta', META_DISK_KEY);
      if (disk === undefined) {
        // A fresh index beside old extents means the index was lost: refuse
        // rather than serve an empty disk that should hold data.
        if ((await io.readdir(extentsDir)).length > 0)
          throw new DiskFailedError(`${options.dir}: the index is missing but extents exist`);
        await index.commit([{ table: 'meta', key: META_DISK_KEY, value: Buffer.from(identity.diskUuid, 'utf8') }]);
      } else if (Buffer.from(disk).toString('utf8') !== identity.diskUuid) {
        throw new DiskIdentityError(
          `${options.dir}: the index belongs to disk ${Buffer.from(disk).toString('utf8')}, not ${identity.diskUuid}`,
        );
      }
      const { extents, report, sequence } = await recoverExtents(io, index, extentsDir, config.extentSizeBytes);
      return new ShardStore(
        identity,
        io,
        index,
        extents,
        config,
        report,
        sequence,
        options.now ?? Date.now,
        hdd,
        options.dir,
      );
    } catch (err) {
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
      async () => {
        validateShardId(shardId);
        const length = data instanceof Uint8Array ? data.byteLength : options.expectedLength;
        if (length === undefined) throw new InvalidArgumentError('a streamed put needs expectedLength');
        if (!Number.isSafeInteger(length) || length < 0 || length > MAX_DATA_LENGTH_BYTES)
          throw new InvalidArgumentError(`bad shard length ${length}`);
        if (options.expectedLength !== undefined && options.expectedLength !== length) {
          throw new InvalidArgumentError(`data is ${length} bytes, expectedLength says ${options.expectedLength}`);
        }
        const cur = this.lookup(shardId);
        if (cur && 'corrupt' in cur) throw new CorruptionError(shardId, `index entry: ${cur.corrupt}`);
        // Refuse early what the commit would refuse anyway, before writing bytes.
        if (cur?.entry.state === 'live' && cur.entry.dataLength !== length) throw new ShardExistsError(shardId);

        const blockSize = this.config.blockSizeBytes;
        const headerLength = recordHeaderLength(Buffer.byteLength(shardId, 'utf8'), length, blockSize);
        const sequence = this.sequence++;
        const createdAt = this.now();
        const headerOf = (crcs: number[]): Buffer =>
          encodeRecordHeader({ shardId, blockSize, dataLength: length, sequence, createdAt, blockCrcs: crcs });
        const res = await this.writeRecord(
          headerLength + length,
          async (file, offset) => {
            if (data instanceof Uint8Array && length <= SINGLE_WRITE_MAX_BYTES)
              return writeSmallRecord(file, offset, data, blockSize, headerOf);
            const crcs = await writeRecordData(
              file,
              offset + headerLength,
              data,
              length,
              blockSize,
              this.poolFor(blockSize),
            );
            const header = headerOf(crcs);
            await file.write(header, 0, header.length, offset);
            return crcs;
          },
          (extent, offset, crcs) => ({
            kind: 'put',
            shardId,
            extent,
            entry: {
              state: 'live',
              extentId: extent.id,
              recordOffset: offset,
              headerLength,
              blockSize,
              dataLength: length,
              sequence,
              time: createdAt,
              blockCrcs: crcs,
            },
          }),
        );
        if (res.kind !== 'put') throw new Error('unexpected commit result');
        return infoOf(shardId, res.entry);
      },
    );
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
    const pool = options.reuseBuffers ? this.poolFor(STREAM_READ_BLOCKS * entry.blockSize) : undefined;
    return {
      info: infoOf(shardId, entry),
      offset,
      length,
      chunks: this.streamChunks(shardId, entry, offset, length, pool),
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

  /** Tombstones a live shard; durable when it resolves. */
  delete(shardId: string): Promise<void> {
    return this.run('delete', true, undefined, async () => {
      validateShardId(shardId);
      await this.committer.submit({ kind: 'delete', shardId, time: this.now() });
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
      const ids: Array<[string, NonNullable<ReturnType<typeof lookupEntry>>]> = [];
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
          index: this.index,
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
      await Promise.allSettled([...this.inflight]);
      await this.committer.drain();
      await Promise.allSettled([...this.retiring]);
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
    const p = this.opStats.time(op, fn, bytesOf);
    this.inflight.add(p);
    try {
      return await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  private checkUsable(_writes: boolean): void {
    if (this.closing) throw new StoreClosedError();
    // A failed disk serves nothing: its state after a failed fsync is unknown.
    if (this.failure) throw new DiskFailedError(this.failure.message, { cause: this.failure });
  }

  private fail(reason: string, cause: unknown): DiskFailedError {
    this.failure ??= new DiskFailedError(`disk failed: ${reason}`, { cause });
    return new DiskFailedError(this.failure.message, { cause });
  }

  private lookup(shardId: string): ReturnType<typeof lookupEntry> {
    try {
      return lookupEntry(this.index, shardId);
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

  private async fileOf(extent: Extent): Promise<import('./io/disk-io.js').IoFile> {
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
    pool: BufferPool | undefined,
  ): AsyncGenerator<Buffer> {
    this.checkUsable(false);
    // Looked up again: compaction may have moved the record since getStream.
    const { entry, extent } = this.locate(shardId);
    try {
      if (entry.dataLength !== expected.dataLength || entry.blockCrcs.some((c, i) => c !== expected.blockCrcs[i]))
        throw new ShardNotFoundError(shardId);
      const t0 = process.hrtime.bigint();
      yield* readRangeChunks(await this.fileOf(extent), shardId, entry, offset, length, pool);
      this.opStats.observe('get', t0, true, length);
    } finally {
      extent.unpin();
    }
  }

  private scan(
    after: string | undefined,
    limit: number,
    take: (shardId: string, found: NonNullable<ReturnType<typeof lookupEntry>>) => boolean,
  ): string | undefined {
    let cursor = after;
    let taken = 0;
    for (;;) {
      const want = limit - taken;
      const rows = this.index.range('shards', cursor === undefined ? { limit: want } : { after: cursor, limit: want });
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

  private async verifyOne(
    shardId: string,
    found: NonNullable<ReturnType<typeof lookupEntry>>,
  ): Promise<DamagedShard | undefined> {
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
   * The shared write path of put and compaction: check space, reserve, write,
   * then wait for the group commit. A write error other than a full disk
   * fails the disk; the reserved bytes become dead space either way.
   */
  private async writeRecord(
    recordLength: number,
    write: (file: import('./io/disk-io.js').IoFile, offset: number) => Promise<number[]>,
    request: (extent: Extent, offset: number, crcs: number[]) => CommitRequest,
  ): Promise<CommitResult> {
    try {
      await this.space.ensure(recordLength);
    } catch (err) {
      if (err instanceof ShardStoreError) throw err;
      throw new DiskIoError('cannot read free space', { cause: err });
    }
    let reserved: { extent: Extent; offset: number };
    try {
      reserved = await this.extents.reserve(recordLength);
    } catch (err) {
      throw this.writeFailure(err, 'creating an extent failed');
    }
    const { extent, offset } = reserved;
    try {
      let crcs: number[];
      try {
        crcs = await write(await this.extents.fileOf(extent), offset);
      } catch (err) {
        throw this.writeFailure(err, 'extent write failed');
      }
      return await this.committer.submit(request(extent, offset, crcs));
    } finally {
      extent.inflight--;
    }
  }

  private writeFailure(err: unknown, reason: string): unknown {
    if (err instanceof SourceError) return err.original;
    if (err instanceof ShardStoreError) return err;
    if (isNoSpace(err)) return new DiskFullError('disk is full', { cause: err });
    return this.fail(reason, err);
  }

  private async copyRecord(shardId: string, entry: ShardEntry, from: Extent): Promise<boolean> {
    this.checkUsable(true);
    const recordLength = entry.headerLength + entry.dataLength;
    from.pins++;
    try {
      const source = readRangeChunks(await this.fileOf(from), shardId, entry, 0, entry.dataLength);
      const res = await this.writeRecord(
        recordLength,
        async (file, offset) => {
          const crcs = await writeRecordData(
            file,
            offset + entry.headerLength,
            source,
            entry.dataLength,
            entry.blockSize,
            this.poolFor(entry.blockSize),
          );
          const header = encodeRecordHeader({
            shardId,
            blockSize: entry.blockSize,
            dataLength: entry.dataLength,
            sequence: entry.sequence,
            createdAt: entry.time,
            blockCrcs: crcs,
          });
          await file.write(header, 0, header.length, offset);
          return crcs;
        },
        (extent, offset) => ({
          kind: 'move',
          shardId,
          fromExtentId: from.id,
          fromOffset: entry.recordOffset,
          extent,
          entry: { ...entry, extentId: extent.id, recordOffset: offset },
        }),
      );
      return res.kind === 'move' && res.applied;
    } finally {
      from.unpin();
    }
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
