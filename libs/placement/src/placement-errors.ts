/**
 * The one closed error family of placement's core. Each class names the gRPC
 * status the service answers with and the ErrorReason of common.proto, so the
 * adapter is an exhaustive switch, not a guess.
 */
export abstract class PlacementError extends Error {
  abstract readonly grpcStatus: 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION' | 'RESOURCE_EXHAUSTED';
  abstract readonly reason: 'INSUFFICIENT_DISKS' | 'DISK_FULL' | undefined;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A malformed request: k or m of 0, shard indexes out of range or repeated, too many shards. */
export class InvalidAllocationError extends PlacementError {
  readonly grpcStatus = 'INVALID_ARGUMENT';
  readonly reason = undefined;
}

const RULE_TEXT = {
  MAX_M_PER_ZONE: 'the rule of at most m shards per zone (MAX_M_PER_ZONE)',
  ACTIVE_DISKS: 'the writable disks left (ACTIVE, lease alive, not excluded)',
  ONE_SHARD_PER_HOST: 'one shard per host, which a strict placement may not relax',
  FILL_LIMIT: 'the fill high-water mark, which a strict placement may not relax',
} as const;

/** What each zone could still take when an allocation failed. */
export interface ZoneCapacity {
  zone: string;
  /** Shards of the stripe already in the zone (occupied disks). */
  occupied: number;
  /** Writable disks left in the zone after exclusions. */
  eligibleDisks: number;
  /** min(m − occupied, eligibleDisks): what the zone could have taken. */
  canTake: number;
}

/**
 * No layout exists even with every allowed relaxation. `limitedBy` names the
 * rule that binds: MAX_M_PER_ZONE when enough writable disks exist but the
 * zones could not take them without breaking the zone rule, ACTIVE_DISKS when
 * there are simply too few writable disks. A strict placement (moves, which
 * may relax nothing) names the rule it would have had to relax instead.
 */
export class InsufficientDisksError extends PlacementError {
  readonly grpcStatus = 'FAILED_PRECONDITION';
  readonly reason = 'INSUFFICIENT_DISKS';

  constructor(
    readonly needed: number,
    readonly possible: number,
    readonly limitedBy: 'MAX_M_PER_ZONE' | 'ACTIVE_DISKS' | 'ONE_SHARD_PER_HOST' | 'FILL_LIMIT',
    readonly zones: readonly ZoneCapacity[],
  ) {
    const perZone = zones.map((z) => `${z.zone}: ${z.canTake} (${z.occupied} held, ${z.eligibleDisks} disks)`);
    super(
      `cannot place ${needed} shards: at most ${possible} fit under ${RULE_TEXT[limitedBy]}${perZone.length > 0 ? ` [${perZone.join('; ')}]` : ''}`,
    );
  }
}

/** Enough disks and zones, but too few with room for the shard's size hint. */
export class DiskFullError extends PlacementError {
  readonly grpcStatus = 'RESOURCE_EXHAUSTED';
  readonly reason = 'DISK_FULL';

  constructor(
    readonly needed: number,
    readonly placed: number,
    readonly sizeHintBytes: number,
  ) {
    super(`cannot place ${needed} shards of ${sizeHintBytes} bytes: only ${placed} fit on disks with room`);
  }
}
