import { Metadata } from '@grpc/grpc-js';
import { Code, codeName, isCode } from './code.js';

export interface RpcErrorOptions {
  /** Trailing metadata sent with (server) or received with (client) the status. */
  metadata?: Metadata;
  cause?: unknown;
}

/**
 * The one error type that crosses the RPC boundary. A handler throws it to
 * answer with a status; a client call rejects with it whatever went wrong on
 * the wire. Any other error thrown by a handler becomes INTERNAL with a
 * generic message (the real one is logged, never sent).
 */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  readonly code: Code;
  readonly metadata: Metadata;

  constructor(code: Code, message: string, options: RpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.metadata = options.metadata ?? new Metadata();
  }

  /** `NOT_FOUND: no such shard`, handy in logs. */
  override toString(): string {
    return `${this.name} ${codeName(this.code)}: ${this.message}`;
  }
}

interface StatusLike {
  code: unknown;
  details?: unknown;
  metadata?: unknown;
}

function isStatusLike(value: unknown): value is StatusLike {
  return typeof value === 'object' && value !== null && 'code' in value;
}

/**
 * Turns what grpc-js hands a client (a `ServiceError`: an Error with a numeric
 * `code`, `details` and `metadata`) into an RpcError. Anything without a valid
 * status code is a local failure and becomes INTERNAL.
 */
export function toRpcError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  if (isStatusLike(error) && isCode(error.code)) {
    const details =
      typeof error.details === 'string' ? error.details : error instanceof Error ? error.message : codeName(error.code);
    const metadata = error.metadata instanceof Metadata ? error.metadata : undefined;
    return new RpcError(error.code, details, { metadata, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RpcError(Code.INTERNAL, message, { cause: error });
}
