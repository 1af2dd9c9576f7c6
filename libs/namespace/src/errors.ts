/**
 * The namespace's one closed error type. The state machine returns these (it
 * never throws them for a refused request); namespaceErrorStatus turns each
 * code into the gRPC status and ErrorDetail reason the contract promises, with
 * one exhaustive switch, so a new code does not compile until it is mapped.
 */
export type NamespaceErrorCode =
  // The request breaks a rule of the contract; the same request fails again.
  | 'INVALID_ARGUMENT'
  // A write_id was reused for a different kind of mutation.
  | 'WRITE_ID_REUSED'
  | 'NO_SUCH_BUCKET'
  | 'NO_SUCH_KEY'
  | 'NO_SUCH_VERSION'
  | 'NO_SUCH_UPLOAD'
  | 'BUCKET_ALREADY_EXISTS'
  | 'BUCKET_ALREADY_OWNED_BY_YOU'
  | 'BUCKET_NOT_EMPTY'
  | 'PRECONDITION_FAILED'
  // Never produced by the state machine: the head evaluates conditions one at
  // a time, so two conditional writes cannot conflict (the loser gets
  // PRECONDITION_FAILED). Reserved for the service, e.g. a conditional write
  // whose outcome is unknown after a chain reconfiguration (S3 409: retry).
  | 'CONDITIONAL_REQUEST_CONFLICT'
  | 'INVALID_PART'
  | 'INVALID_PART_ORDER'
  // Only when the state machine is given a minimum part size (the frontend
  // normally checks it before completing).
  | 'ENTITY_TOO_SMALL'
  | 'BAD_DIGEST'
  | 'LOCATION_CHANGED'
  // Fencing and replication.
  | 'STALE_EPOCH'
  | 'RECEIVER_BEHIND'
  | 'SEQUENCE_GAP'
  // The journal no longer holds the entries asked for: state transfer instead.
  | 'JOURNAL_TRUNCATED'
  | 'UNSUPPORTED_FORMAT'
  // This replica holds a different entry at a sequence it was sent: a bug or
  // a replica that must be rebuilt, never papered over.
  | 'DIVERGED'
  | 'STORE_FULL'
  | 'STORE_CLOSED'
  // Routing (the chain service): this replica is not the head (for a write),
  // the tail (for a read) or the sender's neighbour (for Forward/Ack).
  | 'WRONG_ROLE'
  // This process does not host the partition, or the key is not in it.
  | 'WRONG_PARTITION'
  // This replica may not serve now: its membership lease is lost, or it is
  // between configurations. Retry with backoff (elsewhere, after a refresh).
  | 'NOT_SERVING';

export interface NamespaceErrorOptions {
  /** What the error is about (bucket, key, upload id, disk id), for logs and S3 error bodies. */
  resource?: string;
  /** For STALE_EPOCH and RECEIVER_BEHIND: this replica's epoch. */
  currentEpoch?: bigint;
  /** For SEQUENCE_GAP and JOURNAL_TRUNCATED: this replica's applied sequence or journal floor. */
  currentSequence?: bigint;
  cause?: unknown;
}

export class NamespaceError extends Error {
  override readonly name = 'NamespaceError';
  readonly code: NamespaceErrorCode;
  readonly resource: string;
  readonly currentEpoch: bigint;
  readonly currentSequence: bigint;

  constructor(code: NamespaceErrorCode, message: string, options: NamespaceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.resource = options.resource ?? '';
    this.currentEpoch = options.currentEpoch ?? 0n;
    this.currentSequence = options.currentSequence ?? 0n;
  }
}

export function isNamespaceError(value: unknown): value is NamespaceError {
  return value instanceof NamespaceError;
}

export function invalidArgument(message: string, resource?: string): NamespaceError {
  return new NamespaceError('INVALID_ARGUMENT', message, { resource });
}
