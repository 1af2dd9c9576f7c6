import type { MessageInitShape } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { Code, INTERNAL_ERROR_MESSAGE, RpcError, isCode, readErrorDetail, rpcErrorWithDetail } from '@platter/rpc';

// Both ends of a Batch map an op's failure here, so that the op's caller gets
// the RpcError its unary call would have given: same code, message and
// ErrorDetail (errorReason, readErrorDetail and retry decisions see no
// difference).

// Most ops in one Batch (namespace.proto). It bounds one call's work and
// memory at the replica and its response size: 256 metadata-only GetObject
// answers (key ≤ 1 KiB, user metadata ≤ 2 KiB each) stay far below the 8 MiB
// message limit. Past a few dozen ops a batch saves little more per op.
export const MAX_BATCH_OPS = 256;
// Most bytes of GetObject answers in one Batch response: half the 8 MiB
// message limit (the rest covers the other answers). A full GetObject may
// carry up to 64 KiB of inline bytes or a layout of thousands of parts; the
// replica answers those past the budget with BATCH_RESPONSE_TOO_LARGE.
export const MAX_BATCH_RESPONSE_BYTES = 4 * 1024 * 1024;

export type BatchOpErrorInit = MessageInitShape<typeof namespaceV1.BatchOpErrorSchema>;

/**
 * The per-op error a Batch answers for what the op's unary handler threw. A
 * thrown RpcError keeps its code, message and ErrorDetail; anything else is
 * INTERNAL with the generic message, as the unary call would answer (the
 * caller logs the real error).
 */
export function batchOpErrorOf(error: unknown): BatchOpErrorInit {
  if (!(error instanceof RpcError)) return { code: Code.INTERNAL, message: INTERNAL_ERROR_MESSAGE };
  // OK is not a failure code; the unary server answers UNKNOWN for it too.
  const code = error.code === Code.OK ? Code.UNKNOWN : error.code;
  const detail = readErrorDetail(error);
  return detail === undefined ? { code, message: error.message } : { code, message: error.message, detail };
}

/** The RpcError the op's unary call would have rejected with. */
export function rpcErrorOfBatchOpError(error: namespaceV1.BatchOpError): RpcError {
  // A code this side does not know (or OK, which is no failure) is UNKNOWN, as grpc-js would make it.
  const code = isCode(error.code) && error.code !== Code.OK ? error.code : Code.UNKNOWN;
  return error.detail === undefined
    ? new RpcError(code, error.message)
    : rpcErrorWithDetail(code, error.message, error.detail);
}
