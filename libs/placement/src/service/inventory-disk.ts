import type { DiskLiveRecord, DiskRecord } from '@platter/cluster';

/**
 * One disk of the etcd inventory as the service sees it: its persistent
 * record (`disks/<id>`), the etcd version of that record, and its lease-bound
 * live record (`disks-live/<id>`) when a storage node serves it.
 *
 * The record's etcd version is its state epoch: storage nodes create the
 * record once (version 1) and never write it again, and every later write is
 * a state change by placement, so the version "starts at 1 when registered
 * and increases by one at every state change" exactly as placement.proto's
 * DiskRecord.state_epoch asks.
 */
export interface InventoryDisk {
  record: DiskRecord;
  /** etcd version of `disks/<id>`; 0 when not known yet. */
  stateEpoch: number;
  live: DiskLiveRecord | undefined;
}
