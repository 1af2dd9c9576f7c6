export { ShardStore } from './shard-store.js';
export type {
  ByteRange,
  ListedShard,
  PutOptions,
  ShardInfo,
  ShardPage,
  ShardReadStream,
  StoreStats,
  StreamOptions,
} from './shard-store.js';
export {
  DEFAULT_BLOCK_SIZE_BYTES,
  DEFAULT_COMPACTION_LIVE_RATIO,
  DEFAULT_EXTENT_SIZE_BYTES,
  DEFAULT_GROUP_COMMIT_MAX_BATCH,
  DEFAULT_GROUP_COMMIT_PIPELINE_DEPTH,
  DEFAULT_GROUP_COMMIT_WINDOW_MS,
  DEFAULT_INDEX_COMMIT_INTERVAL_MS,
  DEFAULT_INDEX_MAX_STAGED_KEYS,
  DEFAULT_MAX_BUFFERED_READ_BYTES,
  DEFAULT_RESERVE_FREE_BYTES,
} from './shard-store-options.js';
export type { ResolvedConfig, ShardStoreOptions } from './shard-store-options.js';
export {
  CorruptionError,
  DiskFailedError,
  DiskFullError,
  DiskIdentityError,
  DiskIoError,
  InvalidArgumentError,
  RecordFormatError,
  ShardExistsError,
  ShardNotFoundError,
  ShardStoreError,
  StoreClosedError,
} from './errors.js';
export type { ShardStoreErrorCode } from './errors.js';
export type { DiskIdentity } from './engine/disk-identity.js';
export type { CompactionOptions, CompactionReport } from './engine/compactor.js';
export type { DamageKind, DamagedShard, VerifyReport } from './engine/verifier.js';
export type { RecoveryReport } from './engine/recovery.js';
export type { GroupCommitOptions } from './engine/group-commit.js';
export type { IndexCommitOptions } from './engine/index-flusher.js';
export { INDEX_FORMAT as SHARDSTORE_FORMAT } from './engine/index-flusher.js';
export type { OpName, OpSnapshot } from './engine/op-stats.js';
export { LATENCY_BUCKETS_SECONDS } from './engine/op-stats.js';
export type { ShardSource } from './engine/record-writer.js';
export type { DiskIo, IoFile, IoOpKind } from './io/disk-io.js';
export { NodeDiskIo } from './io/node-disk-io.js';
export { SimDiskIo } from './io/sim-disk-io.js';
export type { CrashMode, FailNextOptions, SimDiskOptions } from './io/sim-disk-io.js';
export { HddModelIo } from './io/hdd-model.js';
export type { HddModelOptions, HddStats } from './io/hdd-model.js';
export { FaultInjectingIo, FaultInjector } from './io/fault-injector.js';
export type { FaultRule } from './io/fault-injector.js';
export type { IndexOp, IndexRangeOptions, IndexStore, IndexTable } from './index/index-store.js';
export { LmdbIndexStore } from './index/lmdb-index-store.js';
export type { LmdbIndexOptions } from './index/lmdb-index-store.js';
export { MemoryIndexDisk, MemoryIndexStore } from './index/memory-index-store.js';
export { crc32c } from '@platter/isal';
