import type { DiskSnapshot } from './disk-snapshot.js';

/** A regular fleet shape: zones × racks per zone × hosts per rack × disks per host. */
export interface FleetShape {
  zones: number;
  racksPerZone: number;
  hostsPerRack: number;
  disksPerHost: number;
  capacityBytes: number;
}

/**
 * Disk snapshots of a regular, empty, all-ACTIVE fleet, named
 * z<zone>-r<rack>-h<host>-d<disk> with zone, rack and host labels to match.
 * For tests, benchmarks and the fleet simulator; `prefix` keeps the names
 * of a later addition (a new rack) distinct.
 */
export function syntheticFleet(shape: FleetShape, prefix = ''): DiskSnapshot[] {
  const out: DiskSnapshot[] = [];
  for (let z = 0; z < shape.zones; z++)
    for (let r = 0; r < shape.racksPerZone; r++)
      for (let h = 0; h < shape.hostsPerRack; h++)
        for (let d = 0; d < shape.disksPerHost; d++) {
          const zone = `z${z}`;
          const rack = `${prefix}${zone}-r${r}`;
          const host = `${rack}-h${h}`;
          out.push({
            diskId: `${host}-d${d}`,
            zone,
            rack,
            host,
            state: 'active',
            capacityBytes: shape.capacityBytes,
            usedBytes: 0,
            stateEpoch: 1,
          });
        }
  return out;
}
