/** Base class of every error this library throws. */
export class ClusterError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A key segment (id, role, root) that would make an ambiguous or unsafe etcd key. */
export class KeyspaceError extends ClusterError {}

/** A value that is not valid JSON or does not match its schema (read from etcd, or about to be written). */
export class CodecError extends ClusterError {
  constructor(
    message: string,
    readonly key: string | undefined,
    options?: ErrorOptions,
  ) {
    super(key === undefined ? message : `${key}: ${message}`, options);
  }
}

/** etcd did not answer within a bounded time (e.g. Membership.register at startup). */
export class EtcdUnavailableError extends ClusterError {}

/** An access key id already exists with a different secret or account. */
export class AccessKeyConflictError extends ClusterError {}

/** The object was closed or stopped and cannot be used again. */
export class ClosedError extends ClusterError {}
