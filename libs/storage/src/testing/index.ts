export {
  describeStorageContract,
  newShardId,
  putStream,
  readShard,
  rpcFailure,
  type HeaderInit,
  type ReadResult,
  type StorageClient,
  type StorageContractTarget,
} from './storage-contract.js';
export {
  corruptStoredBytes,
  startInProcessStorage,
  type InProcessStorage,
  type InProcessStorageOptions,
} from './in-process-storage.js';
