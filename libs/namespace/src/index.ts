export { namespaceConfigSchema, namespaceDataDir } from './config.js';

// Errors and their gRPC statuses.
export { NamespaceError, isNamespaceError, type NamespaceErrorCode, type NamespaceErrorOptions } from './errors.js';
export { namespaceErrorStatus, toNamespaceRpcError, type NamespaceStatus } from './error-status.js';

// One partition replica's storage.
export {
  MAX_LMDB_KEY_BYTES,
  PartitionStore,
  type ApplyOutcome,
  type PartitionStoreOptions,
  type RangeQuery,
  type Row,
} from './store/partition-store.js';
export { LOCAL_TABLES, REPLICATED_TABLES, type LocalTable, type ReplicatedTable, type Table } from './store/tables.js';
export {
  JOURNAL_FORMAT_VERSION,
  entryMark,
  makeJournalEntry,
  type JournalEntry,
  type KvMutation,
} from './journal/journal-entry.js';
export { NULL_VERSION_ID } from './encoding/ids.js';

// The state machine.
export {
  DEFAULT_INLINE_THRESHOLD_BYTES,
  DEFAULT_MAX_BATCH,
  PartitionStateMachine,
  type ApplyResult,
  type Committed,
  type PartitionStateMachineOptions,
} from './state/partition-state-machine.js';
export {
  OP_CODES,
  op,
  type NamespaceOp,
  type OpOf,
  type OpRequest,
  type OpResponse,
  type OpType,
} from './state/ops.js';
export type { Prepared } from './state/prepare.js';
export type { StateMachineLimits } from './state/prepare-scope.js';
export { checkChainEpoch } from './state/epoch-fence.js';
export { GroupCommitter } from './state/group-committer.js';
export { DEFAULT_LIST_SCAN_BUDGET_ROWS } from './state/list-objects.js';

// The linearizability checker (pure; used by fault tests of the whole system too).
export {
  DEFAULT_MAX_EXPLORED_STATES,
  checkRegisterHistory,
  registerModel,
  searchLinearization,
  type KeyedOperation,
  type RegisterCheckOptions,
  type RegisterCheckResult,
  type RegisterInput,
  type RegisterOutput,
  type RegisterValue,
  type SearchResult,
  type SequentialModel,
  type TimedOperation,
} from './linearizability/index.js';

// Configuration.
export type { NamespaceConfig } from './config.js';

// Chain replication: one process's replicas, the protocol, the elected manager.
export { chainPosition, inChain, isHead, isTail, type ChainPosition } from './chain/chain-view.js';
export {
  ChainReplica,
  DEFAULT_JOURNAL_RETAIN_ENTRIES,
  DEFAULT_WRITE_ID_RETENTION_MS,
  type ChainReplicaOptions,
  type WriteOutcome,
} from './chain/chain-replica.js';
export { ReplicaHost, type ReplicaHostOptions } from './chain/replica-host.js';
export { MemberPeerDirectory, type PeerDirectory, type ReplicaClient } from './chain/peer-directory.js';
export { FORWARD_BATCH_MAX_ENTRIES } from './chain/successor-link.js';
export {
  DEFAULT_REPLICATION_FACTOR,
  chainLoad,
  initialChains,
  planPromotion,
  planRepair,
} from './chain/chain-planner.js';
export { CHAIN_MANAGER_ELECTION, ChainManager, type ChainManagerOptions } from './chain/chain-manager.js';

// The gRPC services and their metrics.
export { createNamespaceService, type NamespaceServiceOptions } from './service/namespace-service.js';
export { createReplicaService } from './service/replica-service.js';
export type { ReplicaLookup } from './service/routing-checks.js';
export { registerNamespaceMetrics, type NamespaceMetrics } from './service/namespace-metrics.js';
