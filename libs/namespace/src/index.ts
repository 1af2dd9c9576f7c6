export { namespaceConfigSchema } from './config.js';

// Errors and their gRPC statuses.
export { NamespaceError, isNamespaceError, type NamespaceErrorCode, type NamespaceErrorOptions } from './errors.js';
export { ERROR_DETAIL_KEY, namespaceErrorStatus, toNamespaceRpcError, type NamespaceStatus } from './error-status.js';

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

// Listing across partitions, and who owns a key.
export {
  mergeListMultipartUploadsPages,
  mergeListObjectVersionsPages,
  mergeListObjectsPages,
} from './listing/list-merge.js';
export { decodeContinuationToken, encodeContinuationToken, type ListPosition } from './listing/list-position.js';
export { homePartitionOfBucket, partitionOfKey } from './partitioning/partition-of.js';

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
