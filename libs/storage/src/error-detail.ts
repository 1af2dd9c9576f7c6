import type { commonV1 } from '@platter/proto';
import { rpcErrorWithDetail, type Code, type RpcError } from '@platter/rpc';

/** A storage refusal: the status plus the ErrorDetail reason naming the shard or disk. */
export function storageError(
  code: Code,
  reason: commonV1.ErrorReason,
  message: string,
  resource: string,
  cause?: unknown,
): RpcError {
  return rpcErrorWithDetail(code, message, { reason, resource }, cause);
}
