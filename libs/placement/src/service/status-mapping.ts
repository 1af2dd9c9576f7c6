import { commonV1 } from '@platter/proto';
import { Code, RpcError, codeName } from '@platter/rpc';
import { DiskFullError, InsufficientDisksError, InvalidAllocationError, PlacementError } from '../placement-errors.js';
import { DiskStateError, StaleEpochError } from './disk-state-errors.js';
import { placementRpcError } from './error-detail.js';

const R = commonV1.ErrorReason;

/** The metric label of an allocation failure: the rule that bound, or the error kind. */
export function allocationFailureReason(err: unknown): string {
  if (err instanceof InsufficientDisksError) return err.limitedBy;
  if (err instanceof DiskFullError) return 'DISK_FULL';
  if (err instanceof InvalidAllocationError) return 'INVALID_ARGUMENT';
  if (err instanceof RpcError) return codeName(err.code);
  return 'INTERNAL';
}

function coreStatus(err: PlacementError): RpcError {
  if (err instanceof InsufficientDisksError)
    // The message names the rule that binds and what each zone could take; resource names the rule.
    return placementRpcError(
      Code.FAILED_PRECONDITION,
      err.message,
      { reason: R.INSUFFICIENT_DISKS, resource: err.limitedBy },
      err,
    );
  if (err instanceof DiskFullError)
    return placementRpcError(
      Code.RESOURCE_EXHAUSTED,
      err.message,
      { reason: R.DISK_FULL, resource: 'size_hint_bytes' },
      err,
    );
  if (err instanceof InvalidAllocationError) return new RpcError(Code.INVALID_ARGUMENT, err.message, { cause: err });
  // A PlacementError subclass added to the core without a mapping here: its own status, no detail.
  return new RpcError(Code[err.grpcStatus], err.message, { cause: err });
}

function stateStatus(err: DiskStateError): RpcError {
  const resource = err.diskId;
  switch (err.kind) {
    case 'NO_SUCH_DISK':
      return placementRpcError(Code.NOT_FOUND, err.message, { reason: R.NO_SUCH_DISK, resource }, err);
    case 'INVALID_TRANSITION':
      return placementRpcError(Code.FAILED_PRECONDITION, err.message, { reason: R.INVALID_TRANSITION, resource }, err);
    case 'DISK_NOT_EMPTY':
      return placementRpcError(Code.FAILED_PRECONDITION, err.message, { reason: R.DISK_NOT_EMPTY, resource }, err);
    case 'STALE_EPOCH': {
      const current = err instanceof StaleEpochError ? BigInt(err.current) : 0n;
      return placementRpcError(
        Code.FAILED_PRECONDITION,
        err.message,
        { reason: R.STALE_EPOCH, resource, currentEpoch: current },
        err,
      );
    }
    case 'INVALID_REQUEST':
      return new RpcError(Code.INVALID_ARGUMENT, err.message, { cause: err });
  }
}

/**
 * The one place where placement's errors become gRPC statuses
 * (placement.proto's error list): RpcErrors pass as they are, core and
 * state errors are mapped, anything else is left for libs/rpc to answer
 * INTERNAL (and log).
 */
export function toPlacementRpcError(err: unknown): unknown {
  if (err instanceof RpcError) return err;
  if (err instanceof PlacementError) return coreStatus(err);
  if (err instanceof DiskStateError) return stateStatus(err);
  return err;
}

/** UNAVAILABLE until the first inventory view is loaded (etcd unreachable since start). */
export function inventoryUnavailable(): RpcError {
  return new RpcError(Code.UNAVAILABLE, 'no inventory view yet: etcd has not answered since start');
}
