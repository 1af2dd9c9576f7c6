/**
 * gRPC status codes, with the numbers the wire uses and the meanings from
 * https://grpc.github.io/grpc/core/md_doc_statuscodes.html. Pick the code for
 * what the caller should do next, not for where the failure happened.
 */
export const Code = {
  /** Not an error; returned on success. */
  OK: 0,
  /** The caller cancelled the operation. */
  CANCELLED: 1,
  /** An error with no better code, e.g. a status from a foreign error space. */
  UNKNOWN: 2,
  /** The request is malformed whatever the state of the system (bad name, bad range). */
  INVALID_ARGUMENT: 3,
  /** The deadline passed before the operation completed; it may or may not have taken effect. */
  DEADLINE_EXCEEDED: 4,
  /** The requested entity (bucket, object, shard) does not exist. */
  NOT_FOUND: 5,
  /** The entity the caller tried to create already exists. */
  ALREADY_EXISTS: 6,
  /** The caller is authenticated but not allowed to do this. */
  PERMISSION_DENIED: 7,
  /** A quota or a resource ran out (disk full, too many streams, message too large). */
  RESOURCE_EXHAUSTED: 8,
  /** The system is not in the state the operation needs (stale epoch, bucket not empty); retrying the same call will not help. */
  FAILED_PRECONDITION: 9,
  /** A concurrency conflict (compare-and-set lost, transaction aborted); retry at a higher level. */
  ABORTED: 10,
  /** Past the valid range (read past the end of a shard); unlike INVALID_ARGUMENT it depends on state. */
  OUT_OF_RANGE: 11,
  /** The method is not implemented or not supported by this server. */
  UNIMPLEMENTED: 12,
  /** An invariant was broken; something is badly wrong. Details are logged, not sent. */
  INTERNAL: 13,
  /** Transient: the service cannot be reached or is overloaded; safe to retry idempotent calls with backoff. */
  UNAVAILABLE: 14,
  /** Unrecoverable data loss or corruption. */
  DATA_LOSS: 15,
  /** The request has no valid credentials. */
  UNAUTHENTICATED: 16,
} as const;

export type Code = (typeof Code)[keyof typeof Code];

export type CodeName = keyof typeof Code;

const NAMES: readonly CodeName[] = Object.keys(Code) as CodeName[];

/** The constant name of a code (`'NOT_FOUND'`), used as the metrics label. */
export function codeName(code: Code): CodeName {
  return NAMES[code] ?? 'UNKNOWN';
}

/** Whether a number received from the wire is a status code we know. */
export function isCode(value: unknown): value is Code {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < NAMES.length;
}
