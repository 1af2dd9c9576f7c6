export {
  allocatorOptionsFromConfig,
  placementConfigSchema,
  rebalancePolicyFromConfig,
  type PlacementConfig,
} from './config.js';
export { DISK_STATES, type DiskSnapshot, type DiskState, type FailureDomain } from './disk-snapshot.js';
export { RELAXATION_ORDER, SPREAD_RULES, type SpreadRule } from './spread-rule.js';
export {
  DiskFullError,
  InsufficientDisksError,
  InvalidAllocationError,
  PlacementError,
  type ZoneCapacity,
} from './placement-errors.js';
export { createRng, type Rng } from './rng.js';
export { syntheticFleet, type FleetShape } from './synthetic-fleet.js';
export { AliasTable } from './alias-table.js';
export { FleetView, type DomainIndex } from './fleet-view.js';
export { heatScore, HDD_SATURATION, type DiskSaturation, type HeatSample } from './heat-score.js';
export { DEFAULT_SCORE_WEIGHTS, diskScore, type ScoreWeights } from './disk-score.js';
export {
  Allocator,
  DEFAULT_BACKGROUND_CHOICES,
  DEFAULT_CHOICES,
  DEFAULT_FILL_HIGH_WATER,
  DEFAULT_RESERVATION_TTL_MS,
  type AllocateRequest,
  type AllocatedShard,
  type Allocation,
  type AllocatorOptions,
  type IoClass,
  type PlacementSpec,
} from './allocator.js';
export { layoutViolations, maxShardsPerHost, type LayoutViolation } from './layout-check.js';
export { ByteRateLimiter } from './byte-rate-limiter.js';
export {
  DEFAULT_REBALANCE_POLICY,
  RebalancePlanner,
  type Move,
  type MoveCandidate,
  type RebalancePlan,
  type RebalancePlannerOptions,
  type RebalancePolicy,
  type RebalanceReason,
  type RebalanceSource,
  type ShardRef,
  type UnderSpreadStripe,
} from './rebalance-planner.js';
export { isAllowedTransition, needsEmptyDisk } from './disk-transitions.js';

// The service: I/O (etcd, Redis, gRPC) lives under service/ only.
export type { InventoryDisk } from './service/inventory-disk.js';
export { PlacementState } from './service/placement-state.js';
export { InventoryWatch, type InventoryWatchOptions } from './service/inventory-watch.js';
export { HeatPoller, type HeatPollerOptions } from './service/heat-poller.js';
export {
  DiskNotEmptyError,
  DiskStateError,
  InvalidDiskStateRequestError,
  InvalidTransitionError,
  NoSuchDiskError,
  StaleEpochError,
} from './service/disk-state-errors.js';
export {
  EtcdDiskStateStore,
  type DiskStateChange,
  type DiskStateResult,
  type DiskStateStore,
  type EtcdDiskStateStoreOptions,
} from './service/disk-state-store.js';
export { placementRpcError } from './service/error-detail.js';
export { allocationFailureReason, inventoryUnavailable, toPlacementRpcError } from './service/status-mapping.js';
export { fleetStats, overMean, spread, type FleetStats, type Spread } from './service/fleet-stats.js';
export { PlacementMetrics, type AllocationResult } from './service/placement-metrics.js';
export { createPlacementService, type PlacementServiceDeps } from './service/placement-service.js';
export {
  decodeMoveTask,
  encodeMoveTask,
  MOVE_STREAM_SUFFIX,
  MOVE_TASK_VERSION,
  moveStreamKey,
  RedisMoveTaskSink,
  type MoveTask,
  type MoveTaskSink,
} from './service/move-stream.js';
export { RebalanceLoop, type RebalanceLoopOptions, type RoundResult } from './service/rebalance-loop.js';
export { PlacementRuntime, REBALANCER_ELECTION, type PlacementRuntimeOptions } from './service/placement-runtime.js';
