import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { placementV1 } from '@platter/proto';
import { DISK_STATES } from '../disk-snapshot.js';
import { fleetStats, type FleetStats } from './fleet-stats.js';
import type { InventoryDisk } from './inventory-disk.js';
import type { PlacementState } from './placement-state.js';
import { protoDiskState } from './proto-mapping.js';

/** GetFleetHeat's answer before paging: the aggregates and every disk's row index, hottest first. */
export interface FleetHeatSummary {
  aggregates: MessageInitShape<typeof placementV1.FleetAggregatesSchema>;
  /** View indexes with their heat, hottest first; unknown heat sorts first (it may be the hottest). */
  rows: { i: number; heat: number }[];
  stats: FleetStats;
}

/**
 * One pass and a sort over the view, for one zone or ('') the whole fleet.
 * O(disks log disks): callers keep it for the heat poll it was computed at.
 */
export function summarizeFleetHeat(state: PlacementState, zone: string): FleetHeatSummary {
  const view = state.view;
  const disks = state.inventory();
  const inZone = (i: number): boolean => zone === '' || view.zoneName(i) === zone;
  const counts = new Map<string, number>(DISK_STATES.map((s) => [s, 0]));
  const hosts = new Set<number>();
  const zones = new Set<number>();
  let withoutHeat = 0;
  let capacity = 0n;
  let used = 0n;
  let live = 0n;
  const rows: { i: number; heat: number }[] = [];
  for (let i = 0; i < view.size; i++) {
    if (!inZone(i)) continue;
    const d = disks[i] as InventoryDisk;
    const s = d.record.state;
    counts.set(s, (counts.get(s) ?? 0) + 1);
    hosts.add(view.hostOf[i] as number);
    zones.add(view.zoneOf[i] as number);
    const h = view.heat[i] as number;
    if (s === 'active' || s === 'draining') {
      const sample = state.heat(d.record.diskId);
      if (sample === undefined) withoutHeat++;
      capacity += BigInt(Math.round(view.capacityBytes[i] as number));
      used += BigInt(Math.round(view.usedBytes[i] as number));
      live += sample?.usage?.liveBytes ?? 0n;
    }
    rows.push({ i, heat: h === h ? h : Number.POSITIVE_INFINITY });
  }
  rows.sort((a, b) => b.heat - a.heat || a.i - b.i);
  const stats = fleetStats(view, inZone);
  return {
    rows,
    stats,
    aggregates: {
      disksByState: DISK_STATES.map((s) => ({ state: protoDiskState(s), disks: counts.get(s) ?? 0 })),
      hosts: hosts.size,
      zones: zones.size,
      disksWithoutHeat: withoutHeat,
      capacityBytes: capacity,
      usedBytes: used,
      liveBytes: live,
      fillMean: stats.fill.mean,
      fillMin: stats.fill.min,
      fillMax: stats.fill.max,
      fillStddev: stats.fill.stddev,
      heatMean: stats.heat.mean,
      heatP50: stats.heat.p50,
      heatP99: stats.heat.p99,
      heatMax: stats.heat.max,
      heatCv: stats.heat.mean > 0 ? stats.heat.stddev / stats.heat.mean : 0,
      computedAt: timestampFromMs(Date.now()),
    },
  };
}
