// One closed family of errors for the engine boundary. The storage service maps
// each `code` to a gRPC status with one exhaustive switch, so adding a code here
// is a contract change.

export type ShardStoreErrorCode =
  | 'SHARD_NOT_FOUND'
  | 'SHARD_EXISTS'
  | 'CORRUPTION'
  | 'DISK_FULL'
  | 'DISK_FAILED'
  | 'DISK_IO'
  | 'DISK_IDENTITY'
  | 'INVALID_ARGUMENT'
  | 'CLOSED';

export abstract class ShardStoreError extends Error {
  abstract readonly code: ShardStoreErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ShardNotFoundError extends ShardStoreError {
  readonly code = 'SHARD_NOT_FOUND' as const;
  constructor(readonly shardId: string) {
    super(`shard ${JSON.stringify(shardId)} not found`);
  }
}

/** A second put of an id with different content (identical content is idempotent). */
export class ShardExistsError extends ShardStoreError {
  readonly code = 'SHARD_EXISTS' as const;
  constructor(readonly shardId: string) {
    super(`shard ${JSON.stringify(shardId)} already exists with different content`);
  }
}

/** Stored bytes or metadata failed their checksum: never served, always reported. */
export class CorruptionError extends ShardStoreError {
  readonly code = 'CORRUPTION' as const;
  constructor(
    readonly shardId: string,
    readonly detail: string,
    readonly blocks: readonly number[] = [],
  ) {
    super(`shard ${JSON.stringify(shardId)} is corrupt: ${detail}`);
  }
}

/** No room for the write; nothing torn is left behind and reads keep working. */
export class DiskFullError extends ShardStoreError {
  readonly code = 'DISK_FULL' as const;
  constructor(message = 'disk is full', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A write-path I/O error (fsync, write, index commit). The engine stops using
 * the disk until it is reopened: after a failed fsync the kernel may have
 * dropped dirty pages, so retrying and assuming success would lie.
 */
export class DiskFailedError extends ShardStoreError {
  readonly code = 'DISK_FAILED' as const;
  constructor(message = 'disk has failed', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A read failed at the device; the shard may be fine elsewhere, the disk stays in service. */
export class DiskIoError extends ShardStoreError {
  readonly code = 'DISK_IO' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The directory holds another disk, another cluster's disk, or something that is not ours. */
export class DiskIdentityError extends ShardStoreError {
  readonly code = 'DISK_IDENTITY' as const;
}

export class InvalidArgumentError extends ShardStoreError {
  readonly code = 'INVALID_ARGUMENT' as const;
}

export class StoreClosedError extends ShardStoreError {
  readonly code = 'CLOSED' as const;
  constructor() {
    super('shard store is closed');
  }
}

/** Raised by the on-disk decoders; the engine turns it into CorruptionError where a shard is known. */
export class RecordFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordFormatError';
  }
}

/** Node-style errno code of an I/O error, if any. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function isNoSpace(err: unknown): boolean {
  const code = errnoOf(err);
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'MDB_MAP_FULL';
}
