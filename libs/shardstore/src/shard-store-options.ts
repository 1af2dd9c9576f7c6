import { InvalidArgumentError } from './errors.js';
import { MAX_BLOCK_SIZE_BYTES, MIN_BLOCK_SIZE_BYTES } from './format/record-header.js';
import type { GroupCommitOptions } from './engine/group-commit.js';
import type { IndexCommitOptions } from './engine/index-flusher.js';
import type { DiskIo } from './io/disk-io.js';
import type { FaultInjector } from './io/fault-injector.js';
import type { HddModelOptions } from './io/hdd-model.js';
import type { IndexStore } from './index/index-store.js';

/** 1 MiB: the cluster's default erasure-coding block, so a shard block is one CRC block. */
export const DEFAULT_BLOCK_SIZE_BYTES = 2 ** 20;
/** 1 GiB: few files per disk, cheap rollover, and compaction moves at most this much at once. */
export const DEFAULT_EXTENT_SIZE_BYTES = 2 ** 30;
/** No idle wait by default: a lone writer commits at once; under load batches form while fsyncs run. */
export const DEFAULT_GROUP_COMMIT_WINDOW_MS = 0;
/** Bounds one index transaction and the latency of its first waiter. */
export const DEFAULT_GROUP_COMMIT_MAX_BATCH = 256;
/** One batch at a time: see GroupCommitOptions.pipelineDepth for the measurement. */
export const DEFAULT_GROUP_COMMIT_PIPELINE_DEPTH = 1;
/**
 * Acknowledged changes reach the index at most this late (ms): LMDB's sync is
 * paid about ten times a second instead of once per batch, and a crash leaves
 * at most this much log for recovery to replay.
 */
export const DEFAULT_INDEX_COMMIT_INTERVAL_MS = 100;
/** Commit sooner once this many index keys wait (a put stages two): bounds memory and replay. */
export const DEFAULT_INDEX_MAX_STAGED_KEYS = 50_000;
/** Compact an extent once less than half of it is live (space amplification ≤ 2). */
export const DEFAULT_COMPACTION_LIVE_RATIO = 0.5;
/** Kept free for LMDB growth and compaction copies; writes beyond get DiskFullError. */
export const DEFAULT_RESERVE_FREE_BYTES = 64 * 2 ** 20;
/** `get` returns at most this much in one buffer; larger ranges use `getStream`. */
export const DEFAULT_MAX_BUFFERED_READ_BYTES = 64 * 2 ** 20;

export interface ShardStoreOptions {
  /** The disk's directory (its mount point or a directory on it). */
  dir: string;
  /** The cluster this disk belongs to; a disk of another cluster is refused. */
  clusterId: string;
  /** The disk UUID the caller expects; a directory holding another disk is refused. */
  expectDiskUuid?: string;
  /** A disk of another cluster: refuse (default), or wipe our files and format it as a new disk. */
  onForeignDisk?: 'fail' | 'reformat';
  /** File I/O; real `node:fs` by default. */
  io?: DiskIo;
  /** The index; LMDB in `<dir>/index` by default. The store closes it. */
  index?: IndexStore;
  blockSizeBytes?: number;
  extentSizeBytes?: number;
  groupCommit?: Partial<GroupCommitOptions>;
  /** When acknowledged changes are committed to the index (they are durable in the extent log before). */
  indexCommit?: Partial<IndexCommitOptions>;
  compaction?: { liveRatio?: number };
  reserveFreeBytes?: number;
  maxBufferedReadBytes?: number;
  /** Put a modelled spinning disk in front of `io`. */
  hdd?: HddModelOptions;
  /** Inject delays, failures and corruption between the engine (and HDD model) and `io`. */
  faults?: FaultInjector;
  /** Wall clock for record timestamps (ms); only recorded, never used for ordering. */
  now?: () => number;
}

export interface ResolvedConfig {
  blockSizeBytes: number;
  extentSizeBytes: number;
  groupCommit: GroupCommitOptions;
  indexCommit: IndexCommitOptions;
  liveRatio: number;
  reserveFreeBytes: number;
  maxBufferedReadBytes: number;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new InvalidArgumentError(message);
}

export function resolveConfig(o: ShardStoreOptions): ResolvedConfig {
  const c: ResolvedConfig = {
    blockSizeBytes: o.blockSizeBytes ?? DEFAULT_BLOCK_SIZE_BYTES,
    extentSizeBytes: o.extentSizeBytes ?? DEFAULT_EXTENT_SIZE_BYTES,
    groupCommit: {
      windowMs: o.groupCommit?.windowMs ?? DEFAULT_GROUP_COMMIT_WINDOW_MS,
      maxBatch: o.groupCommit?.maxBatch ?? DEFAULT_GROUP_COMMIT_MAX_BATCH,
      pipelineDepth: o.groupCommit?.pipelineDepth ?? DEFAULT_GROUP_COMMIT_PIPELINE_DEPTH,
    },
    indexCommit: {
      intervalMs: o.indexCommit?.intervalMs ?? DEFAULT_INDEX_COMMIT_INTERVAL_MS,
      maxStagedKeys: o.indexCommit?.maxStagedKeys ?? DEFAULT_INDEX_MAX_STAGED_KEYS,
    },
    liveRatio: o.compaction?.liveRatio ?? DEFAULT_COMPACTION_LIVE_RATIO,
    reserveFreeBytes: o.reserveFreeBytes ?? DEFAULT_RESERVE_FREE_BYTES,
    maxBufferedReadBytes: o.maxBufferedReadBytes ?? DEFAULT_MAX_BUFFERED_READ_BYTES,
  };
  check(typeof o.dir === 'string' && o.dir.length > 0, 'dir is required');
  check(typeof o.clusterId === 'string' && o.clusterId.length > 0, 'clusterId is required');
  check(
    Number.isInteger(c.blockSizeBytes) &&
      c.blockSizeBytes >= MIN_BLOCK_SIZE_BYTES &&
      c.blockSizeBytes <= MAX_BLOCK_SIZE_BYTES,
    `blockSizeBytes must be an integer in [${MIN_BLOCK_SIZE_BYTES}, ${MAX_BLOCK_SIZE_BYTES}]`,
  );
  check(
    Number.isSafeInteger(c.extentSizeBytes) && c.extentSizeBytes >= c.blockSizeBytes,
    'extentSizeBytes must be at least one block',
  );
  check(c.groupCommit.windowMs >= 0 && c.groupCommit.windowMs <= 1000, 'groupCommit.windowMs must be in [0, 1000]');
  check(Number.isInteger(c.groupCommit.maxBatch) && c.groupCommit.maxBatch >= 1, 'groupCommit.maxBatch must be ≥ 1');
  check(
    c.groupCommit.pipelineDepth === 1 || c.groupCommit.pipelineDepth === 2,
    'groupCommit.pipelineDepth must be 1 or 2',
  );
  check(
    Number.isFinite(c.indexCommit.intervalMs) && c.indexCommit.intervalMs >= 0 && c.indexCommit.intervalMs <= 60_000,
    'indexCommit.intervalMs must be in [0, 60000]',
  );
  check(
    Number.isInteger(c.indexCommit.maxStagedKeys) && c.indexCommit.maxStagedKeys >= 1,
    'indexCommit.maxStagedKeys must be ≥ 1',
  );
  check(c.liveRatio >= 0 && c.liveRatio <= 1, 'compaction.liveRatio must be in [0, 1]');
  check(c.reserveFreeBytes >= 0, 'reserveFreeBytes must be ≥ 0');
  check(c.maxBufferedReadBytes >= 1, 'maxBufferedReadBytes must be ≥ 1');
  return c;
}
