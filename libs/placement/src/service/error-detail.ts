import { rpcErrorWithDetail, type Code, type ErrorDetailInit, type RpcError } from '@platter/rpc';

/** A placement refusal: the status plus the ErrorDetail reason naming the disk or rule. */
export function placementRpcError(code: Code, message: string, detail: ErrorDetailInit, cause?: unknown): RpcError {
  return rpcErrorWithDetail(code, message, detail, cause);
}
