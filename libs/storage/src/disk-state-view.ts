import { commonV1 } from '@platter/proto';
import type { DiskState } from '@platter/cluster';

/** A disk's inventory state as this node last saw it, with that record's state epoch (0 = unknown). */
export interface DiskStateSnapshot {
  state: commonV1.DiskState;
  stateEpoch: bigint;
}

/** Where the service learns each disk's inventory state (a watch on etcd in production). Reads are local. */
export interface DiskStateView {
  stateOf(diskId: string): DiskStateSnapshot;
}

const PROTO_STATE: Record<DiskState, commonV1.DiskState> = {
  joining: commonV1.DiskState.JOINING,
  active: commonV1.DiskState.ACTIVE,
  draining: commonV1.DiskState.DRAINING,
  failed: commonV1.DiskState.FAILED,
  retired: commonV1.DiskState.RETIRED,
};

/** The contract's enum for an inventory state; UNSPECIFIED when there is no record. */
export function protoDiskState(state: DiskState | undefined): commonV1.DiskState {
  return state === undefined ? commonV1.DiskState.UNSPECIFIED : PROTO_STATE[state];
}

/** A view whose states are set by hand: tests, benchmarks, and a node run without etcd. */
export class FixedDiskStates implements DiskStateView {
  private readonly states = new Map<string, DiskStateSnapshot>();

  constructor(private readonly fallback: commonV1.DiskState = commonV1.DiskState.ACTIVE) {}

  set(diskId: string, state: commonV1.DiskState, stateEpoch = 0n): void {
    this.states.set(diskId, { state, stateEpoch });
  }

  stateOf(diskId: string): DiskStateSnapshot {
    return this.states.get(diskId) ?? { state: this.fallback, stateEpoch: 0n };
  }
}
