import { Code, RpcError } from '@platter/rpc';
import { commonV1 } from '@platter/proto';
import { ShardStoreError } from '@platter/shardstore';
import { storageError } from './error-detail.js';
import type { StorageOp } from './storage-op.js';

const R = commonV1.ErrorReason;

/**
 * The one place where engine errors become gRPC statuses (storage.proto's
 * error list). The switch is exhaustive over ShardStoreErrorCode: a new engine
 * error does not compile until it is mapped here.
 */
export function shardStoreStatus(
  err: ShardStoreError,
  op: StorageOp,
  diskId: string,
  shardId: string | undefined,
): RpcError {
  const shard = shardId ?? diskId;
  switch (err.code) {
    case 'SHARD_NOT_FOUND':
      return storageError(Code.NOT_FOUND, R.NO_SUCH_SHARD, 'no such shard on this disk', shard, err);
    case 'SHARD_EXISTS':
      return storageError(
        Code.ALREADY_EXISTS,
        R.SHARD_CONFLICT,
        'a shard with this id but other bytes exists',
        shard,
        err,
      );
    case 'CORRUPTION':
      return storageError(Code.DATA_LOSS, R.CHECKSUM_MISMATCH, 'stored bytes failed their CRC32C', shard, err);
    case 'DISK_FULL':
      return storageError(Code.RESOURCE_EXHAUSTED, R.DISK_FULL, 'the disk is full', diskId, err);
    case 'DISK_FAILED':
      // A failed disk takes nothing until it is reopened: for a write that is
      // the disk's state (do not retry here); a read should go elsewhere now.
      return op === 'put'
        ? storageError(
            Code.FAILED_PRECONDITION,
            R.DISK_NOT_WRITABLE,
            'the disk has failed and takes no writes',
            diskId,
            err,
          )
        : new RpcError(Code.UNAVAILABLE, 'the disk has failed', { cause: err });
    case 'DISK_IO':
      // The device failed this read; the shard may be fine elsewhere.
      return new RpcError(Code.UNAVAILABLE, 'the disk failed to read', { cause: err });
    case 'DISK_IDENTITY':
      return storageError(
        Code.FAILED_PRECONDITION,
        R.WRONG_DISK,
        'the disk does not hold what was expected',
        diskId,
        err,
      );
    case 'INVALID_ARGUMENT':
      return new RpcError(Code.INVALID_ARGUMENT, err.message, { cause: err });
    case 'CLOSED':
      // Shutting down: the caller retries on another node or after restart.
      return new RpcError(Code.UNAVAILABLE, 'the storage node is shutting down', { cause: err });
  }
}

/**
 * What a handler throws for any failure: RpcErrors as they are, engine errors
 * mapped above, anything else unchanged (libs/rpc answers INTERNAL and logs it).
 */
export function toStorageRpcError(err: unknown, op: StorageOp, diskId: string, shardId?: string): unknown {
  if (err instanceof RpcError) return err;
  if (err instanceof ShardStoreError) return shardStoreStatus(err, op, diskId, shardId);
  return err;
}

/** NOT_FOUND (NO_SUCH_SHARD): also what a tombstoned id reads as. */
export function noSuchShard(shardId: string): RpcError {
  return storageError(Code.NOT_FOUND, R.NO_SUCH_SHARD, 'no such shard on this disk', shardId);
}
