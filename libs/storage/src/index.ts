export { DiskConfigSchema, storageConfigSchema } from './config.js';
export type { DiskConfig, StorageConfig } from './config.js';
export { COMPACTION_EXTENTS_PER_PASS, CompactionLoop, type CompactionLoopOptions } from './compaction-loop.js';
export {
  ALL_DISKS,
  DiskFaults,
  DiskFaultsSchema,
  FAULT_TOGGLE_SIGNAL,
  FaultRuleSchema,
  IO_OP_KINDS,
  listenForFaultToggle,
  MAX_FAULT_DELAY_MS,
  type DiskFaultsConfig,
} from './disk-faults.js';
export { DiskInventory, type DiskInventoryOptions } from './disk-inventory.js';
export { DiskSet, type OpenDisksOptions } from './disk-set.js';
export { FixedDiskStates, protoDiskState, type DiskStateSnapshot, type DiskStateView } from './disk-state-view.js';
export { diskSpace, type DiskSpace } from './disk-usage.js';
export { storageError } from './error-detail.js';
export { HeatLoop, type HeatLoopOptions, type HeatLoopStats } from './heat-loop.js';
export { HeatSampler } from './heat-sampler.js';
export { HostedDisk } from './hosted-disk.js';
export { MAX_GET_CHUNK_BYTES } from './get-shard.js';
export { SHARDSTORE_FORMAT_VERSION } from './disk-info.js';
export { shardStoreStatus, toStorageRpcError } from './status-mapping.js';
export type { StorageOp } from './storage-op.js';
export type { NodeIdentity, StorageServiceDeps } from './storage-context.js';
export { createStorageService, DEFAULT_LIST_PAGE_SIZE, MAX_LIST_PAGE_SIZE } from './storage-service.js';
export { registerStorageMetrics, type StorageMetricsSources } from './storage-metrics.js';
