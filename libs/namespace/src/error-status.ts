import { commonV1 } from '@platter/proto';
import { Code, rpcErrorWithDetail, type RpcError } from '@platter/rpc';
import type { NamespaceError, NamespaceErrorCode } from './errors.js';

const R = commonV1.ErrorReason;

export interface NamespaceStatus {
  code: Code;
  reason: commonV1.ErrorReason;
}

/** The gRPC status and ErrorDetail reason of each namespace error (namespace.proto, common.proto). */
export function namespaceErrorStatus(code: NamespaceErrorCode): NamespaceStatus {
  switch (code) {
    case 'INVALID_ARGUMENT':
    case 'WRITE_ID_REUSED':
      return { code: Code.INVALID_ARGUMENT, reason: R.UNSPECIFIED };
    case 'NO_SUCH_BUCKET':
      return { code: Code.NOT_FOUND, reason: R.NO_SUCH_BUCKET };
    case 'NO_SUCH_KEY':
      return { code: Code.NOT_FOUND, reason: R.NO_SUCH_KEY };
    case 'NO_SUCH_VERSION':
      return { code: Code.NOT_FOUND, reason: R.NO_SUCH_VERSION };
    case 'NO_SUCH_UPLOAD':
      return { code: Code.NOT_FOUND, reason: R.NO_SUCH_UPLOAD };
    case 'BUCKET_ALREADY_EXISTS':
      return { code: Code.ALREADY_EXISTS, reason: R.BUCKET_ALREADY_EXISTS };
    case 'BUCKET_ALREADY_OWNED_BY_YOU':
      return { code: Code.ALREADY_EXISTS, reason: R.BUCKET_ALREADY_OWNED_BY_YOU };
    case 'BUCKET_NOT_EMPTY':
      return { code: Code.FAILED_PRECONDITION, reason: R.BUCKET_NOT_EMPTY };
    case 'PRECONDITION_FAILED':
      return { code: Code.FAILED_PRECONDITION, reason: R.PRECONDITION_FAILED };
    case 'CONDITIONAL_REQUEST_CONFLICT':
      // common.proto has no reason for it yet; ABORTED alone says "re-read, then decide".
      return { code: Code.ABORTED, reason: R.UNSPECIFIED };
    case 'INVALID_PART':
      return { code: Code.INVALID_ARGUMENT, reason: R.INVALID_PART };
    case 'INVALID_PART_ORDER':
      return { code: Code.INVALID_ARGUMENT, reason: R.INVALID_PART_ORDER };
    case 'ENTITY_TOO_SMALL':
      return { code: Code.INVALID_ARGUMENT, reason: R.ENTITY_TOO_SMALL };
    case 'BAD_DIGEST':
      return { code: Code.INVALID_ARGUMENT, reason: R.BAD_DIGEST };
    case 'LOCATION_CHANGED':
      return { code: Code.ABORTED, reason: R.LOCATION_CHANGED };
    case 'STALE_EPOCH':
      return { code: Code.FAILED_PRECONDITION, reason: R.STALE_EPOCH };
    case 'RECEIVER_BEHIND':
      return { code: Code.UNAVAILABLE, reason: R.RECEIVER_BEHIND };
    case 'SEQUENCE_GAP':
    case 'JOURNAL_TRUNCATED':
      return { code: Code.FAILED_PRECONDITION, reason: R.SEQUENCE_GAP };
    case 'UNSUPPORTED_FORMAT':
      return { code: Code.FAILED_PRECONDITION, reason: R.UNSUPPORTED_FORMAT };
    case 'DIVERGED':
      return { code: Code.INTERNAL, reason: R.UNSPECIFIED };
    case 'STORE_FULL':
      return { code: Code.RESOURCE_EXHAUSTED, reason: R.UNSPECIFIED };
    case 'STORE_CLOSED':
      return { code: Code.UNAVAILABLE, reason: R.UNSPECIFIED };
    case 'WRONG_ROLE':
      return { code: Code.FAILED_PRECONDITION, reason: R.WRONG_ROLE };
    case 'WRONG_PARTITION':
      return { code: Code.FAILED_PRECONDITION, reason: R.WRONG_PARTITION };
    case 'NOT_SERVING':
      return { code: Code.UNAVAILABLE, reason: R.UNSPECIFIED };
  }
}

/** The RpcError a handler throws for a namespace error, with its ErrorDetail in the trailers. */
export function toNamespaceRpcError(error: NamespaceError): RpcError {
  const status = namespaceErrorStatus(error.code);
  // DIVERGED is a bug: its message stays in the logs, not on the wire.
  const message = status.code === Code.INTERNAL ? 'internal error' : error.message;
  return rpcErrorWithDetail(
    status.code,
    message,
    {
      reason: status.reason,
      resource: error.resource,
      currentEpoch: error.currentEpoch,
      currentSequence: error.currentSequence,
    },
    error,
  );
}
