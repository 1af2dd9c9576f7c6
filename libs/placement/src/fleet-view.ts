import { AliasTable } from './alias-table.js';
import { DISK_STATES, type DiskSnapshot, type DiskState } from './disk-snapshot.js';
import { selectQuantile } from './quantile.js';

/**
 * The quantile of fresh heat that a disk without a fresh sample is assumed to
 * have: stale or missing heat is unknown, never cold — a disk that stopped
 * publishing may be the busiest one — so it scores like the hotter disks.
 */
const UNKNOWN_HEAT_QUANTILE = 0.9;
/**
 * Lower bound of an unknown disk's heat relative to the fleet mean: even in a
 * fleet whose heat is flat, an unknown disk loses against a known one of
 * equal fill.
 */
const UNKNOWN_HEAT_MIN_RELATIVE = 1.25;
/** Below this mean heat (score units) the fleet is idle and relative heat is measured against it instead. */
const MIN_REFERENCE_HEAT = 0.01;
/** Below this mean fill ratio the fleet is empty and relative fill is measured against it instead. */
const MIN_REFERENCE_FILL = 0.01;

/** A host or zone the fleet knows, with the disks under it. */
export interface DomainIndex {
  readonly names: readonly string[];
  /** disks[i] = view indexes of the disks under names[i]. */
  readonly disks: readonly Int32Array[];
}

/**
 * Placement's view of the fleet: the disk inventory with failure domains,
 * states, capacity and weight, plus usage and heat, held in flat arrays with
 * indexes by zone and host so an allocation never scans the whole fleet.
 *
 * The topology (disks, domains, states, weights) is fixed at build time:
 * rebuild the view when the inventory changes (a state change, a new disk).
 * Usage and heat change in place (`setUsedBytes`, `setHeat`), followed by
 * `refreshAggregates()` once per batch of updates. A disk's index is its
 * position in the snapshot array it was built from.
 */
export class FleetView {
  readonly size: number;
  readonly diskIds: readonly string[];
  readonly zones: DomainIndex;
  /** Hosts keyed by zone and host label, so the hierarchy stays a tree even if two zones reuse a host name. */
  readonly hosts: DomainIndex & { readonly zoneOf: Int32Array; readonly labels: readonly string[] };
  readonly racks: readonly string[];
  readonly zoneOf: Int32Array;
  readonly hostOf: Int32Array;
  readonly rackOf: Int32Array;
  /** Index into DISK_STATES. */
  readonly stateOf: Uint8Array;
  /** 1 when the disk takes new shards: ACTIVE, lease alive, weight and capacity above 0. */
  readonly writable: Uint8Array;
  readonly capacityBytes: Float64Array;
  readonly usedBytes: Float64Array;
  /** Bytes promised to recent allocations and not yet seen in usage. */
  readonly reservedBytes: Float64Array;
  /** Heat score per disk; NaN when unknown. */
  readonly heat: Float64Array;
  readonly weight: Float64Array;
  readonly stateEpoch: Float64Array;
  /** Writable disks per zone. */
  readonly zoneWritable: Int32Array;
  /** Writable disks drawn with probability ∝ capacity × weight. */
  readonly draw: AliasTable;

  /** Mean fill ratio ((used + reserved) / capacity) over ACTIVE disks, as of the last refresh. */
  meanFill = 0;
  /** Mean heat over ACTIVE disks with a fresh sample, as of the last refresh; NaN if none. */
  meanHeat = Number.NaN;
  /** ACTIVE disks without a fresh heat sample, as of the last refresh. */
  unknownHeatDisks = 0;
  /** What relative heat (heat / reference) an unknown disk scores; see UNKNOWN_HEAT_QUANTILE. */
  unknownRelativeHeat = UNKNOWN_HEAT_MIN_RELATIVE;
  /** Denominators of relative heat and fill. */
  heatReference = MIN_REFERENCE_HEAT;
  fillReference = MIN_REFERENCE_FILL;

  private readonly index: ReadonlyMap<string, number>;
  private readonly hostsByLabel: ReadonlyMap<string, readonly number[]>;
  private readonly scratch: Float64Array;
  // Reservations in expiry order (allocations reserve with a fixed TTL, so appends stay sorted).
  private resDisk = new Int32Array(64);
  private resBytes = new Float64Array(64);
  private resUntil = new Float64Array(64);
  private resHead = 0;
  private resTail = 0;

  private constructor(disks: readonly DiskSnapshot[]) {
    const n = disks.length;
    this.size = n;
    const ids: string[] = [];
    const index = new Map<string, number>();
    const zoneNames: string[] = [];
    const zoneIndex = new Map<string, number>();
    const hostNames: string[] = [];
    const hostLabels: string[] = [];
    const hostIndex = new Map<string, number>();
    const hostZone: number[] = [];
    const rackNames: string[] = [];
    const rackIndex = new Map<string, number>();
    this.zoneOf = new Int32Array(n);
    this.hostOf = new Int32Array(n);
    this.rackOf = new Int32Array(n);
    this.stateOf = new Uint8Array(n);
    this.writable = new Uint8Array(n);
    this.capacityBytes = new Float64Array(n);
    this.usedBytes = new Float64Array(n);
    this.reservedBytes = new Float64Array(n);
    this.heat = new Float64Array(n).fill(Number.NaN);
    this.weight = new Float64Array(n);
    this.stateEpoch = new Float64Array(n);
    const drawWeight = new Float64Array(n);
    const drawItems = new Int32Array(n);

    for (let i = 0; i < n; i++) {
      const d = disks[i] as DiskSnapshot;
      if (index.has(d.diskId)) throw new RangeError(`disk ${d.diskId} appears twice in the inventory`);
      const stateIdx = DISK_STATES.indexOf(d.state);
      if (stateIdx < 0) throw new RangeError(`disk ${d.diskId} has unknown state ${String(d.state)}`);
      if (!(d.capacityBytes >= 0) || !(d.usedBytes >= 0))
        throw new RangeError(`disk ${d.diskId} has a negative or non-numeric capacity or usage`);
      const weight = d.weight ?? 1;
      if (!(weight >= 0) || !Number.isFinite(weight)) throw new RangeError(`disk ${d.diskId} has weight ${weight}`);
      ids.push(d.diskId);
      index.set(d.diskId, i);
      let z = zoneIndex.get(d.zone);
      if (z === undefined) {
        z = zoneNames.length;
        zoneNames.push(d.zone);
        zoneIndex.set(d.zone, z);
      }
      const hostKey = `${d.zone}\u0000${d.host}`;
      let h = hostIndex.get(hostKey);
      if (h === undefined) {
        h = hostNames.length;
        hostNames.push(hostKey);
        hostLabels.push(d.host);
        hostIndex.set(hostKey, h);
        hostZone.push(z);
      }
      const rackKey = `${d.zone}\u0000${d.rack}`;
      let r = rackIndex.get(rackKey);
      if (r === undefined) {
        r = rackNames.length;
        rackNames.push(d.rack);
        rackIndex.set(rackKey, r);
      }
      this.zoneOf[i] = z;
      this.hostOf[i] = h;
      this.rackOf[i] = r;
      this.stateOf[i] = stateIdx;
      this.capacityBytes[i] = d.capacityBytes;
      this.usedBytes[i] = d.usedBytes;
      this.weight[i] = weight;
      this.stateEpoch[i] = d.stateEpoch ?? 0;
      const writable = d.state === 'active' && (d.leaseAlive ?? true) && weight > 0 && d.capacityBytes > 0;
      this.writable[i] = writable ? 1 : 0;
      drawItems[i] = i;
      drawWeight[i] = writable ? d.capacityBytes * weight : 0;
    }

    this.diskIds = ids;
    this.index = index;
    this.racks = rackNames;
    const zoneDisks = groupBy(n, zoneNames.length, this.zoneOf);
    this.zones = { names: zoneNames, disks: zoneDisks };
    const hostDisks = groupBy(n, hostNames.length, this.hostOf);
    this.hosts = { names: hostNames, labels: hostLabels, disks: hostDisks, zoneOf: Int32Array.from(hostZone) };
    const byLabel = new Map<string, number[]>();
    hostLabels.forEach((label, h) => {
      const list = byLabel.get(label);
      if (list === undefined) byLabel.set(label, [h]);
      else list.push(h);
    });
    this.hostsByLabel = byLabel;
    this.zoneWritable = new Int32Array(zoneNames.length);
    for (let i = 0; i < n; i++) {
      const z = this.zoneOf[i] as number;
      if (this.writable[i] === 1) this.zoneWritable[z] = (this.zoneWritable[z] as number) + 1;
    }
    this.draw = new AliasTable(drawItems, drawWeight);
    this.scratch = new Float64Array(n);
  }

  /**
   * A view of `disks` (order defines the indexes), with heat scores from
   * `heat` for the disks that have a fresh sample; every other disk's heat is
   * unknown.
   */
  static build(disks: readonly DiskSnapshot[], heat?: ReadonlyMap<string, number>): FleetView {
    const view = new FleetView(disks);
    if (heat !== undefined) for (const [id, h] of heat) view.setHeatById(id, h);
    view.refreshAggregates();
    return view;
  }

  indexOf(diskId: string): number | undefined {
    return this.index.get(diskId);
  }

  /** Host indexes carrying a host label (normally one; more if zones reuse a label). */
  hostsLabelled(label: string): readonly number[] {
    return this.hostsByLabel.get(label) ?? [];
  }

  state(i: number): DiskState {
    return DISK_STATES[this.stateOf[i] as number] as DiskState;
  }

  zoneName(i: number): string {
    return this.zones.names[this.zoneOf[i] as number] as string;
  }

  hostLabel(i: number): string {
    return this.hosts.labels[this.hostOf[i] as number] as string;
  }

  rackName(i: number): string {
    return this.racks[this.rackOf[i] as number] as string;
  }

  setUsedBytes(i: number, bytes: number): void {
    this.usedBytes[i] = bytes > 0 ? bytes : 0;
  }

  addUsedBytes(i: number, delta: number): void {
    const v = (this.usedBytes[i] as number) + delta;
    this.usedBytes[i] = v > 0 ? v : 0;
  }

  /** Sets a disk's heat score; undefined (or a non-finite value) means unknown. */
  setHeat(i: number, heat: number | undefined): void {
    this.heat[i] = heat !== undefined && Number.isFinite(heat) && heat >= 0 ? heat : Number.NaN;
  }

  setHeatById(diskId: string, heat: number | undefined): boolean {
    const i = this.index.get(diskId);
    if (i === undefined) return false;
    this.setHeat(i, heat);
    return true;
  }

  /** (used + reserved) / capacity; 1 for a disk without capacity. */
  fillRatio(i: number): number {
    const cap = this.capacityBytes[i] as number;
    return cap > 0 ? ((this.usedBytes[i] as number) + (this.reservedBytes[i] as number)) / cap : 1;
  }

  /** Heat relative to the fleet reference, with unknown heat scored as described at UNKNOWN_HEAT_QUANTILE. */
  relativeHeat(i: number): number {
    const h = this.heat[i] as number;
    return h === h ? h / this.heatReference : this.unknownRelativeHeat;
  }

  relativeFill(i: number): number {
    return this.fillRatio(i) / this.fillReference;
  }

  /**
   * Recomputes fleet means and the score references from the current usage
   * and heat: O(disks), meant to run once per heat refresh (about a second),
   * never per allocation.
   */
  refreshAggregates(): void {
    const active = DISK_STATES.indexOf('active');
    let fillSum = 0;
    let activeCount = 0;
    let heatSum = 0;
    let known = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.stateOf[i] !== active) continue;
      activeCount++;
      fillSum += this.fillRatio(i);
      const h = this.heat[i] as number;
      if (h === h) {
        heatSum += h;
        this.scratch[known++] = h;
      }
    }
    this.meanFill = activeCount > 0 ? fillSum / activeCount : 0;
    this.meanHeat = known > 0 ? heatSum / known : Number.NaN;
    this.unknownHeatDisks = activeCount - known;
    this.fillReference = Math.max(this.meanFill, MIN_REFERENCE_FILL);
    this.heatReference = known > 0 ? Math.max(this.meanHeat, MIN_REFERENCE_HEAT) : MIN_REFERENCE_HEAT;
    const hot = known > 0 ? selectQuantile(this.scratch, known, UNKNOWN_HEAT_QUANTILE) / this.heatReference : 0;
    this.unknownRelativeHeat = Math.max(hot, UNKNOWN_HEAT_MIN_RELATIVE);
  }

  /**
   * Holds `bytes` on disk i until `untilMs` so that concurrent allocations see
   * it as used before the disk's next usage sample. Reservations must be
   * made with non-decreasing `untilMs` (one TTL for all).
   */
  reserve(i: number, bytes: number, untilMs: number): void {
    if (!(bytes > 0)) return;
    if (this.resTail === this.resDisk.length) this.compactReservations();
    this.resDisk[this.resTail] = i;
    this.resBytes[this.resTail] = bytes;
    this.resUntil[this.resTail] = untilMs;
    this.resTail++;
    this.reservedBytes[i] = (this.reservedBytes[i] as number) + bytes;
  }

  /** Releases every reservation that expired at or before `nowMs`. Amortized O(1) per reservation. */
  expireReservations(nowMs: number): void {
    while (this.resHead < this.resTail && (this.resUntil[this.resHead] as number) <= nowMs) {
      const i = this.resDisk[this.resHead] as number;
      const v = (this.reservedBytes[i] as number) - (this.resBytes[this.resHead] as number);
      this.reservedBytes[i] = v > 1e-6 ? v : 0;
      this.resHead++;
    }
    if (this.resHead === this.resTail) this.resHead = this.resTail = 0;
  }

  private compactReservations(): void {
    const live = this.resTail - this.resHead;
    const cap = live * 2 > this.resDisk.length ? this.resDisk.length * 2 : this.resDisk.length;
    const disk = new Int32Array(cap);
    const bytes = new Float64Array(cap);
    const until = new Float64Array(cap);
    disk.set(this.resDisk.subarray(this.resHead, this.resTail));
    bytes.set(this.resBytes.subarray(this.resHead, this.resTail));
    until.set(this.resUntil.subarray(this.resHead, this.resTail));
    this.resDisk = disk;
    this.resBytes = bytes;
    this.resUntil = until;
    this.resHead = 0;
    this.resTail = live;
  }
}

function groupBy(n: number, groups: number, of: Int32Array): Int32Array[] {
  const counts = new Int32Array(groups);
  for (let i = 0; i < n; i++) {
    const g = of[i] as number;
    counts[g] = (counts[g] as number) + 1;
  }
  const out = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(groups);
  for (let i = 0; i < n; i++) {
    const g = of[i] as number;
    const at = fill[g] as number;
    (out[g] as Int32Array)[at] = i;
    fill[g] = at + 1;
  }
  return out;
}
