/**
 * What placement needs to know about one disk, as a plain value: the service
 * builds these from its watched etcd inventory and its latest usage samples;
 * the fleet simulator builds them from a synthetic topology. Nothing here
 * performs I/O.
 */

/** The disk lifecycle of common.proto's DiskState (and libs/cluster's DISK_STATES). */
export const DISK_STATES = ['joining', 'active', 'draining', 'failed', 'retired'] as const;
export type DiskState = (typeof DISK_STATES)[number];

/** Failure hierarchy: zone ⊃ rack ⊃ host. Labels are compared for equality only. */
export interface FailureDomain {
  zone: string;
  rack: string;
  host: string;
}

export interface DiskSnapshot extends FailureDomain {
  diskId: string;
  state: DiskState;
  capacityBytes: number;
  /** Bytes used on the disk's filesystem (the latest usage sample; 0 if none yet). */
  usedBytes: number;
  /**
   * Operator weight, multiplies capacity in the draw of candidates; 1 by
   * default, 0 stops new shards without draining (e.g. a disk under watch).
   */
  weight?: number;
  /** Whether the disk's storage node holds its membership lease; true by default. */
  leaseAlive?: boolean;
  /** The disk record's state epoch, echoed in allocations (AllocatedShard.disk_state_epoch). */
  stateEpoch?: number;
}
