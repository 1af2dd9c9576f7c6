import type { commonV1 } from '@platter/proto';
import type { HeatReading } from '@platter/heat';
import type { DiskSnapshot } from '../disk-snapshot.js';
import { FleetView } from '../fleet-view.js';
import { heatScore } from '../heat-score.js';
import type { InventoryDisk } from './inventory-disk.js';

/** Zone, rack or host label of a disk whose record carries none: such disks share one domain. */
const UNLABELLED = '-';

/**
 * What every RPC reads: the inventory (sorted by disk id), the FleetView
 * built from it, and the latest fresh heat sample of each disk. It performs
 * no I/O: the inventory watch and the heat poller push into it, and requests
 * only read it, so an allocation never waits on etcd or Redis.
 *
 * The view is rebuilt when the inventory changes (rare: a state change, a
 * new disk, a lease lost or regained) and updated in place when heat comes
 * in (about once a second). Usage (used bytes) comes with heat samples and
 * is kept when a sample goes stale: fill changes slowly, and the last value
 * is a better guess than none. Heat is not kept: stale heat is unknown.
 */
export class PlacementState {
  private current: FleetView = FleetView.build([]);
  private disks: InventoryDisk[] = [];
  private readonly byId = new Map<string, InventoryDisk>();
  private readonly samples = new Map<string, commonV1.DiskHeat>();
  private readonly usedBytes = new Map<string, number>();
  private rev = '0';
  private loaded = false;
  private heatAt: number | undefined;
  private gen = 0;

  /** False until the first inventory arrives: RPCs answer UNAVAILABLE until then. */
  get ready(): boolean {
    return this.loaded;
  }

  get view(): FleetView {
    return this.current;
  }

  /** The etcd revision the inventory reflects. */
  get inventoryRevision(): string {
    return this.rev;
  }

  /** Bumped by every inventory change and heat poll: what was computed from the view at one generation holds until the next. */
  get generation(): number {
    return this.gen;
  }

  /** When heat was last applied (ms, the caller's clock); undefined before the first poll. */
  get heatAppliedAt(): number | undefined {
    return this.heatAt;
  }

  /** Every disk of the inventory, sorted by disk id (the order of the view's indexes). */
  inventory(): readonly InventoryDisk[] {
    return this.disks;
  }

  disk(diskId: string): InventoryDisk | undefined {
    return this.byId.get(diskId);
  }

  /** The latest fresh heat sample of a disk; undefined when none is fresh. */
  heat(diskId: string): commonV1.DiskHeat | undefined {
    return this.samples.get(diskId);
  }

  /** Used bytes as last sampled; undefined when never sampled. */
  used(diskId: string): number | undefined {
    return this.usedBytes.get(diskId);
  }

  /** Replaces the inventory and rebuilds the view, keeping the heat and usage already known. */
  setInventory(disks: readonly InventoryDisk[], revision: string): void {
    const sorted = [...disks].sort((a, b) => compare(a.record.diskId, b.record.diskId));
    const snapshots = sorted.map((d) => this.snapshot(d));
    const scores = new Map<string, number>();
    for (const [id, sample] of this.samples) scores.set(id, heatScore(sample));
    this.current = FleetView.build(snapshots, scores);
    this.disks = sorted;
    this.byId.clear();
    for (const d of sorted) this.byId.set(d.record.diskId, d);
    for (const id of [...this.samples.keys()]) if (!this.byId.has(id)) this.samples.delete(id);
    this.rev = revision;
    this.loaded = true;
    this.gen++;
  }

  /**
   * Applies one poll of heat: a fresh sample sets the disk's score and usage;
   * anything else makes its heat unknown (never cold). Then refreshes the
   * view's fleet means.
   */
  applyHeat(readings: ReadonlyMap<string, HeatReading>, nowMs: number): void {
    const view = this.current;
    for (const [id, reading] of readings) {
      const i = view.indexOf(id);
      if (i === undefined) continue;
      if (reading.status !== 'fresh') {
        this.samples.delete(id);
        view.setHeat(i, undefined);
        continue;
      }
      this.samples.set(id, reading.heat);
      view.setHeat(i, heatScore(reading.heat));
      const usage = reading.heat.usage;
      if (usage !== undefined) {
        const used = Number(usage.usedBytes);
        this.usedBytes.set(id, used);
        view.setUsedBytes(i, used);
      }
    }
    view.expireReservations(nowMs);
    view.refreshAggregates();
    this.heatAt = nowMs;
    this.gen++;
  }

  private snapshot(d: InventoryDisk): DiskSnapshot {
    const r = d.record;
    return {
      diskId: r.diskId,
      zone: r.labels.zone ?? UNLABELLED,
      rack: r.labels.rack ?? UNLABELLED,
      host: r.labels.host ?? UNLABELLED,
      state: r.state,
      capacityBytes: r.capacityBytes,
      usedBytes: this.usedBytes.get(r.diskId) ?? 0,
      leaseAlive: d.live !== undefined,
      stateEpoch: d.stateEpoch,
    };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
