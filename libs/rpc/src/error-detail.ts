import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { commonV1 } from '@platter/proto';
import { Metadata } from '@grpc/grpc-js';
import type { Code } from './code.js';
import { RpcError } from './rpc-error.js';

// The ErrorDetail convention (proto/README.md, "Errors"): a failed call may
// carry a binary platter.common.v1.ErrorDetail in its trailers, so that
// callers tell apart what one status code cannot (STALE_EPOCH from
// NO_SUCH_KEY, WRONG_DISK from DISK_NOT_WRITABLE). Every service sets and
// reads it here, and nowhere else.

/** Trailing metadata key of the ErrorDetail; `-bin` makes grpc-js carry it as bytes. */
export const ERROR_DETAIL_KEY = 'platter-error-detail-bin';

export type ErrorDetailInit = MessageInitShape<typeof commonV1.ErrorDetailSchema>;

/** An RpcError carrying `detail`. The message is for logs; it never holds anything secret. */
export function rpcErrorWithDetail(code: Code, message: string, detail: ErrorDetailInit, cause?: unknown): RpcError {
  const metadata = new Metadata();
  const bytes = toBinary(commonV1.ErrorDetailSchema, create(commonV1.ErrorDetailSchema, detail));
  metadata.set(ERROR_DETAIL_KEY, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return new RpcError(code, message, { metadata, cause });
}

/** The ErrorDetail a failed call carried, if any (and if it decodes). */
export function readErrorDetail(error: unknown): commonV1.ErrorDetail | undefined {
  if (!(error instanceof RpcError)) return undefined;
  const value = error.metadata.get(ERROR_DETAIL_KEY)[0];
  if (!(value instanceof Uint8Array)) return undefined;
  try {
    return fromBinary(commonV1.ErrorDetailSchema, value);
  } catch {
    return undefined;
  }
}

/** The ErrorDetail reason of a failed call (UNSPECIFIED when it carried none). */
export function errorReason(error: unknown): commonV1.ErrorReason {
  return readErrorDetail(error)?.reason ?? commonV1.ErrorReason.UNSPECIFIED;
}
