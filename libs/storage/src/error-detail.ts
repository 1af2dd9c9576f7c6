import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { commonV1 } from '@platter/proto';
import { Metadata, RpcError, type Code } from '@platter/rpc';

/** Trailing metadata key of the ErrorDetail (proto/README.md, "Errors"); `-bin` makes grpc-js carry it as bytes. */
export const ERROR_DETAIL_KEY = 'platter-error-detail-bin';

/**
 * An RpcError that carries a binary ErrorDetail, so callers can tell apart
 * what one status code cannot (WRONG_DISK from DISK_NOT_WRITABLE). The
 * message is for logs; it never holds anything secret.
 */
export function storageError(
  code: Code,
  reason: commonV1.ErrorReason,
  message: string,
  resource: string,
  cause?: unknown,
): RpcError {
  const metadata = new Metadata();
  const detail = create(commonV1.ErrorDetailSchema, { reason, resource });
  metadata.set(ERROR_DETAIL_KEY, Buffer.from(toBinary(commonV1.ErrorDetailSchema, detail)));
  return new RpcError(code, message, { metadata, cause });
}

/** The ErrorDetail a failed call carried, if any (and if it decodes). */
export function readErrorDetail(error: RpcError): commonV1.ErrorDetail | undefined {
  const value = error.metadata.get(ERROR_DETAIL_KEY)[0];
  if (!(value instanceof Uint8Array)) return undefined;
  try {
    return fromBinary(commonV1.ErrorDetailSchema, value);
  } catch {
    return undefined;
  }
}
