import type { DiskState } from '../disk-snapshot.js';

/**
 * The closed error family of the service's own decisions (SetDiskState and
 * availability); the core's PlacementError family covers allocation. The
 * status mapping switches exhaustively over `kind`.
 */
export abstract class DiskStateError extends Error {
  abstract readonly kind: 'NO_SUCH_DISK' | 'INVALID_TRANSITION' | 'DISK_NOT_EMPTY' | 'STALE_EPOCH' | 'INVALID_REQUEST';

  constructor(
    message: string,
    readonly diskId: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** NOT_FOUND (NO_SUCH_DISK). */
export class NoSuchDiskError extends DiskStateError {
  readonly kind = 'NO_SUCH_DISK';
  constructor(diskId: string) {
    super(`no disk ${JSON.stringify(diskId)} in the inventory`, diskId);
  }
}

/** FAILED_PRECONDITION (INVALID_TRANSITION): the lifecycle does not allow this change. */
export class InvalidTransitionError extends DiskStateError {
  readonly kind = 'INVALID_TRANSITION';
  constructor(
    diskId: string,
    readonly from: DiskState,
    readonly to: DiskState,
  ) {
    super(`disk ${diskId} cannot go from ${from} to ${to}`, diskId);
  }
}

/** FAILED_PRECONDITION (DISK_NOT_EMPTY): a draining disk still holds live shards (or none can tell). */
export class DiskNotEmptyError extends DiskStateError {
  readonly kind = 'DISK_NOT_EMPTY';
  constructor(
    diskId: string,
    readonly liveBytes: number | undefined,
  ) {
    super(
      liveBytes === undefined
        ? `disk ${diskId} has no fresh usage sample, so it cannot be shown empty; retire it once its node reports 0 live bytes, or fail it`
        : `disk ${diskId} still holds ${liveBytes} live bytes; drain it first`,
      diskId,
    );
  }
}

/** FAILED_PRECONDITION (STALE_EPOCH): the caller saw another state epoch than the current one. */
export class StaleEpochError extends DiskStateError {
  readonly kind = 'STALE_EPOCH';
  constructor(
    diskId: string,
    readonly expected: number,
    readonly current: number,
  ) {
    super(`disk ${diskId} is at state epoch ${current}, not ${expected}`, diskId);
  }
}

/** INVALID_ARGUMENT: a malformed SetDiskState request (no reason, an unknown or unspecified state). */
export class InvalidDiskStateRequestError extends DiskStateError {
  readonly kind = 'INVALID_REQUEST';
}
