export {
  asBuffer,
  compareBytes,
  fromBase64Url,
  immediateSuccessor,
  isWellFormedUtf16,
  maxBytes,
  prefixSuccessor,
  readU64be,
  toBase64Url,
  u32be,
  u64be,
  U64_MAX,
  utf8,
} from './bytes.js';
export {
  afterKey,
  afterMarker,
  afterPrefix,
  commonPrefixOf,
  decodeContinuationToken,
  encodeContinuationToken,
  LIST_START,
  type ListPosition,
} from './list-position.js';
export { mergeListMultipartUploadsPages, mergeListObjectVersionsPages, mergeListObjectsPages } from './list-merge.js';
export { homePartitionOfBucket, partitionOfKey } from './partition-of.js';
export {
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  DEFAULT_ROUTER_TIMEOUT_MS,
  NamespaceRouter,
  type NamespaceRouterOptions,
  type RouterRequest,
} from './namespace-router.js';
export {
  BatchCoalescer,
  MAX_BATCH_INLINE_BYTES,
  MAX_BATCHES_IN_FLIGHT,
  type BatchableMethod,
  type BatchCoalescerOptions,
  type BatchOpRequest,
  type BatchOpResponse,
  type SendBatch,
} from './batch-coalescer.js';
export {
  batchOpErrorOf,
  MAX_BATCH_OPS,
  MAX_BATCH_RESPONSE_BYTES,
  rpcErrorOfBatchOpError,
  type BatchOpErrorInit,
} from './batch-op-error.js';
