import { DEFAULT_SCORE_WEIGHTS, diskScore, type ScoreWeights } from './disk-score.js';
import type { FleetView } from './fleet-view.js';
import {
  DiskFullError,
  InsufficientDisksError,
  InvalidAllocationError,
  type ZoneCapacity,
} from './placement-errors.js';
import type { Rng } from './rng.js';
import type { SpreadRule } from './spread-rule.js';

/** common.proto IoClass without its prefix. Unspecified is foreground. */
export type IoClass = 'foreground' | 'repair' | 'rebalance' | 'scrub';

/** AllocateStripeRequest of placement.proto, as plain values. */
export interface AllocateRequest {
  dataShards: number;
  parityShards: number;
  /** Expected bytes per shard; 0 or absent when unknown. */
  sizeHintBytes?: number;
  /** Shard indexes that need a disk; absent or empty means 0..k+m−1. */
  shardIndexes?: readonly number[];
  /** Disks holding the stripe's other shards: never chosen, counted by the host and zone rules. */
  occupiedDiskIds?: readonly string[];
  excludeDiskIds?: readonly string[];
  /** Host labels never to choose. */
  excludeHosts?: readonly string[];
  ioClass?: IoClass;
}

/** The same request with disks and hosts as view indexes (what the simulator and the planner use). */
export interface PlacementSpec {
  dataShards: number;
  parityShards: number;
  sizeHintBytes?: number;
  shardIndexes?: readonly number[];
  occupied?: ArrayLike<number>;
  excludeDisks?: ArrayLike<number>;
  /** Host indexes (FleetView.hosts). */
  excludeHosts?: ArrayLike<number>;
  ioClass?: IoClass;
  /**
   * Refuse any relaxation (throw instead): for moves, which must never make a
   * stripe's spread worse than the rules.
   */
  strict?: boolean;
}

export interface AllocatedShard {
  shardIndex: number;
  diskId: string;
  /** Index of the disk in the view the allocation was made against (valid for that view only). */
  diskIndex: number;
  /** The disk's state epoch the choice was made against. */
  diskStateEpoch: number;
}

/** AllocateStripeResponse without the allocation id (the service mints that). */
export interface Allocation {
  /** One per requested shard index, in index order. */
  shards: AllocatedShard[];
  /** True when a relaxable rule was relaxed: the writer must enqueue the stripe for re-spreading. */
  underSpread: boolean;
  relaxedRules: SpreadRule[];
}

export interface AllocatorOptions {
  rng: Rng;
  /**
   * Candidates compared per shard for foreground writes: 2 is power of two
   * choices, 1 is plain (capacity-weighted) random placement.
   */
  choices?: number;
  /** Candidates per shard for repair, rebalance and scrub writes: more choices favour empty, cool disks more. */
  backgroundChoices?: number;
  /** Fill ratio above which a disk is not chosen unless nothing else fits (the FILL_LIMIT rule). */
  fillHighWater?: number;
  score?: Partial<ScoreWeights>;
  /** How long a size hint stays reserved on a chosen disk, ms; 0 disables reservations. */
  reservationTtlMs?: number;
}

export const DEFAULT_CHOICES = 2;
export const DEFAULT_BACKGROUND_CHOICES = 3;
/** Fill ratio: above 90% a disk has little room left for compaction and its own index. */
export const DEFAULT_FILL_HIGH_WATER = 0.9;
/** ms: a few heat/usage refreshes (about 1 s each), long enough for the write to show in usage. */
export const DEFAULT_RESERVATION_TTL_MS = 5_000;
/** A stripe is at most this wide (libs/cluster caps k+m at 64 too). */
const MAX_STRIPE_WIDTH = 64;
/**
 * Random draws per shard before listing the valid disks instead: at fleet
 * scale nearly every draw is valid and the list is never built; on a tiny
 * fleet the list is short.
 */
const MAX_DRAWS_PER_SLOT = 16;
/** Level of a candidate disk: 2 × (shards already on its host) + 1 if above the fill high-water mark. */
const STRICT_LEVEL = 0;

/**
 * Chooses disks for the shards of a stripe. Pure apart from its scratch
 * space and the reservations it records in the view; one Allocator serves
 * any number of views, one call at a time.
 *
 * For each requested shard, in index order: draw `choices` candidates at
 * random (∝ capacity × weight) among the disks that satisfy every rule given
 * the shards placed so far, keep the lowest score (diskScore). Only when no
 * disk satisfies them all does it relax, in order: FILL_LIMIT (a disk above
 * the high-water mark), then ONE_SHARD_PER_HOST (a further disk of a host
 * already used, fewest shards per host first). It never relaxes
 * MAX_M_PER_ZONE, never puts two shards on one disk, never picks a disk
 * that is not ACTIVE with a live lease, excluded or occupied, or lacks room.
 *
 * Because zone ⊃ host ⊃ disk caps form a laminar matroid, shard-by-shard
 * greedy choice never paints itself into a corner: it fails only when no
 * valid layout exists, and relaxes ONE_SHARD_PER_HOST only when no layout
 * with one shard per host exists.
 */
export class Allocator {
  private readonly rng: Rng;
  private readonly choices: number;
  private readonly backgroundChoices: number;
  private readonly fillHighWater: number;
  private readonly weights: ScoreWeights;
  private readonly reservationTtlMs: number;

  // Per-call scratch, reset by bumping `gen` instead of clearing.
  private gen = 0;
  private diskMark = new Uint32Array(0);
  private hostMark = new Uint32Array(0);
  private hostCount = new Uint16Array(0);
  private hostExcluded = new Uint32Array(0);
  private zoneCount = new Int32Array(0);
  private zoneAvail = new Int32Array(0);
  private listDisks = new Int32Array(0);
  private listWeight = new Float64Array(0);
  private readonly candidates: number[] = [];

  constructor(options: AllocatorOptions) {
    this.rng = options.rng;
    this.choices = positiveInt(options.choices ?? DEFAULT_CHOICES, 'choices');
    this.backgroundChoices = positiveInt(options.backgroundChoices ?? DEFAULT_BACKGROUND_CHOICES, 'backgroundChoices');
    this.fillHighWater = options.fillHighWater ?? DEFAULT_FILL_HIGH_WATER;
    if (!(this.fillHighWater > 0 && this.fillHighWater <= 1))
      throw new RangeError(`fillHighWater must be in (0, 1], got ${this.fillHighWater}`);
    this.weights = { ...DEFAULT_SCORE_WEIGHTS, ...options.score };
    this.reservationTtlMs = options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
  }

  /**
   * The AllocateStripe RPC in core form. `nowMs` (monotonic or wall, used
   * only to expire size-hint reservations) defaults to no reservation.
   * Throws InvalidAllocationError, InsufficientDisksError or DiskFullError.
   */
  allocate(view: FleetView, request: AllocateRequest, nowMs?: number): Allocation {
    const occupied = idsToIndexes(view, request.occupiedDiskIds);
    const excludeDisks = idsToIndexes(view, request.excludeDiskIds);
    const excludeHosts: number[] = [];
    for (const label of request.excludeHosts ?? []) excludeHosts.push(...view.hostsLabelled(label));
    const spec: PlacementSpec = {
      dataShards: request.dataShards,
      parityShards: request.parityShards,
      occupied,
      excludeDisks,
      excludeHosts,
    };
    if (request.sizeHintBytes !== undefined) spec.sizeHintBytes = request.sizeHintBytes;
    if (request.shardIndexes !== undefined) spec.shardIndexes = request.shardIndexes;
    if (request.ioClass !== undefined) spec.ioClass = request.ioClass;
    return this.place(view, spec, nowMs);
  }

  /** allocate() with view indexes instead of ids. */
  place(view: FleetView, spec: PlacementSpec, nowMs?: number): Allocation {
    const k = spec.dataShards;
    const m = spec.parityShards;
    if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 1 || k + m > MAX_STRIPE_WIDTH)
      throw new InvalidAllocationError(`need 1 ≤ k, 1 ≤ m, k + m ≤ ${MAX_STRIPE_WIDTH}; got k=${k}, m=${m}`);
    const width = k + m;
    const slots = shardSlots(spec.shardIndexes, width);
    const sizeHint = spec.sizeHintBytes ?? 0;
    if (!(sizeHint >= 0) || !Number.isFinite(sizeHint))
      throw new InvalidAllocationError(`size hint must be a non-negative number, got ${sizeHint}`);
    const choices = spec.ioClass === undefined || spec.ioClass === 'foreground' ? this.choices : this.backgroundChoices;

    this.prepare(view);
    const gen = this.gen;
    const diskMark = this.diskMark;
    const hostMark = this.hostMark;
    const hostCount = this.hostCount;
    const zoneCount = this.zoneCount;
    const zoneAvail = this.zoneAvail;
    const zones = view.zones.names.length;
    zoneCount.fill(0, 0, zones);
    zoneAvail.set(view.zoneWritable.subarray(0, zones));

    // Occupied shards count toward their host and zone and are never chosen.
    let occupiedCount = 0;
    const occupied = spec.occupied ?? [];
    for (let j = 0; j < occupied.length; j++) {
      const d = occupied[j] as number;
      if (d < 0 || d >= view.size || diskMark[d] === gen) continue;
      occupiedCount++;
      this.takeDisk(view, d);
      const h = view.hostOf[d] as number;
      if (hostMark[h] !== gen) {
        hostMark[h] = gen;
        hostCount[h] = 0;
      }
      hostCount[h] = (hostCount[h] as number) + 1;
      const z = view.zoneOf[d] as number;
      zoneCount[z] = (zoneCount[z] as number) + 1;
    }
    if (occupiedCount + slots.length > width)
      throw new InvalidAllocationError(
        `${slots.length} shards requested with ${occupiedCount} already placed exceed the stripe width ${width}`,
      );
    const excludeDisks = spec.excludeDisks ?? [];
    for (let j = 0; j < excludeDisks.length; j++) {
      const d = excludeDisks[j] as number;
      if (d >= 0 && d < view.size && diskMark[d] !== gen) this.takeDisk(view, d);
    }
    const excludeHosts = spec.excludeHosts ?? [];
    for (let j = 0; j < excludeHosts.length; j++) {
      const h = excludeHosts[j] as number;
      if (h < 0 || h >= view.hosts.names.length) continue;
      this.hostExcluded[h] = gen;
      const disks = view.hosts.disks[h] as Int32Array;
      for (let q = 0; q < disks.length; q++) {
        const d = disks[q] as number;
        if (diskMark[d] !== gen) this.takeDisk(view, d);
      }
    }

    // Feasibility ignoring room: Σ over zones of min(m − held, writable disks left).
    let possible = 0;
    let eligible = 0;
    for (let z = 0; z < zones; z++) {
      const avail = zoneAvail[z] as number;
      eligible += avail;
      possible += Math.max(0, Math.min(m - (zoneCount[z] as number), avail));
    }
    if (possible < slots.length) {
      const detail: ZoneCapacity[] = view.zones.names.map((zone, z) => ({
        zone,
        occupied: zoneCount[z] as number,
        eligibleDisks: zoneAvail[z] as number,
        canTake: Math.max(0, Math.min(m - (zoneCount[z] as number), zoneAvail[z] as number)),
      }));
      throw new InsufficientDisksError(
        slots.length,
        possible,
        eligible >= slots.length ? 'MAX_M_PER_ZONE' : 'ACTIVE_DISKS',
        detail,
      );
    }

    if (nowMs !== undefined) view.expireReservations(nowMs);
    const shards: AllocatedShard[] = [];
    let relaxFill = false;
    let relaxHost = false;
    for (const shardIndex of slots) {
      const pick = this.pickSlot(view, m, sizeHint, choices);
      if (pick < 0) throw new DiskFullError(slots.length, shards.length, sizeHint);
      const level = this.levelOf(view, pick, sizeHint);
      if (level & 1) relaxFill = true;
      if (level >= 2) relaxHost = true;
      if (spec.strict === true && level !== STRICT_LEVEL)
        throw new InsufficientDisksError(
          slots.length,
          shards.length,
          level >= 2 ? 'ONE_SHARD_PER_HOST' : 'FILL_LIMIT',
          [],
        );
      diskMark[pick] = gen;
      const h = view.hostOf[pick] as number;
      if (hostMark[h] !== gen) {
        hostMark[h] = gen;
        hostCount[h] = 0;
      }
      hostCount[h] = (hostCount[h] as number) + 1;
      const z = view.zoneOf[pick] as number;
      zoneCount[z] = (zoneCount[z] as number) + 1;
      shards.push({
        shardIndex,
        diskId: view.diskIds[pick] as string,
        diskIndex: pick,
        diskStateEpoch: view.stateEpoch[pick] as number,
      });
    }
    if (nowMs !== undefined && sizeHint > 0 && this.reservationTtlMs > 0)
      for (const s of shards) view.reserve(s.diskIndex, sizeHint, nowMs + this.reservationTtlMs);
    const relaxedRules: SpreadRule[] = [];
    if (relaxHost) relaxedRules.push('ONE_SHARD_PER_HOST');
    if (relaxFill) relaxedRules.push('FILL_LIMIT');
    return { shards, underSpread: relaxedRules.length > 0, relaxedRules };
  }

  /** Grows the scratch arrays to the view and starts a new generation. */
  private prepare(view: FleetView): void {
    if (this.diskMark.length < view.size) {
      this.diskMark = new Uint32Array(view.size);
      this.listDisks = new Int32Array(view.size);
      this.listWeight = new Float64Array(view.size);
    }
    const hosts = view.hosts.names.length;
    if (this.hostMark.length < hosts) {
      this.hostMark = new Uint32Array(hosts);
      this.hostCount = new Uint16Array(hosts);
      this.hostExcluded = new Uint32Array(hosts);
    }
    const zones = view.zones.names.length;
    if (this.zoneCount.length < zones) {
      this.zoneCount = new Int32Array(zones);
      this.zoneAvail = new Int32Array(zones);
    }
    this.gen++;
    if (this.gen === 0xffffffff) {
      this.diskMark.fill(0);
      this.hostMark.fill(0);
      this.hostExcluded.fill(0);
      this.gen = 1;
    }
  }

  /** Marks a disk as not choosable and, if it was writable, takes it out of its zone's count. */
  private takeDisk(view: FleetView, d: number): void {
    this.diskMark[d] = this.gen;
    if (view.writable[d] !== 1) return;
    const z = view.zoneOf[d] as number;
    this.zoneAvail[z] = (this.zoneAvail[z] as number) - 1;
  }

  /**
   * The relaxation level a choosable disk needs: 0 when it breaks no rule,
   * odd when above the fill high-water mark, ≥ 2 when its host already holds
   * a shard of the stripe. -1 when it cannot be chosen at all.
   */
  private levelOf(view: FleetView, d: number, sizeHint: number): number {
    const cap = view.capacityBytes[d] as number;
    const after = (view.usedBytes[d] as number) + (view.reservedBytes[d] as number) + sizeHint;
    if (after > cap || (sizeHint === 0 && after >= cap)) return -1;
    const h = view.hostOf[d] as number;
    const onHost = this.hostMark[h] === this.gen ? (this.hostCount[h] as number) : 0;
    return 2 * onHost + (after > this.fillHighWater * cap ? 1 : 0);
  }

  /** Chooses one disk for the next shard; -1 if none can take it. */
  private pickSlot(view: FleetView, m: number, sizeHint: number, choices: number): number {
    const gen = this.gen;
    const cands = this.candidates;
    cands.length = 0;
    // Fast path: rejection sampling among disks that break no rule.
    for (let draws = 0; draws < MAX_DRAWS_PER_SLOT && cands.length < choices; draws++) {
      const d = view.draw.draw(this.rng);
      if (d < 0) break;
      if (this.diskMark[d] === gen) continue;
      if ((this.zoneCount[view.zoneOf[d] as number] as number) >= m) continue;
      if (this.hostExcluded[view.hostOf[d] as number] === gen) continue;
      if (this.levelOf(view, d, sizeHint) !== STRICT_LEVEL) continue;
      cands.push(d);
    }
    if (cands.length < choices) {
      // Valid disks are rare (a small or constrained fleet): list them, at the lowest level any reaches.
      const n = this.listValid(view, m, sizeHint);
      if (n === 0) return -1;
      // The list is at a relaxed level: draws made at level 0 (none) are not comparable with it.
      if (this.levelOf(view, this.listDisks[0] as number, sizeHint) !== STRICT_LEVEL) cands.length = 0;
      while (cands.length < choices) cands.push(this.drawFromList(n));
    }
    let best = cands[0] as number;
    if (cands.length === 1) return best;
    let bestScore = diskScore(view, best, sizeHint, this.weights);
    for (let j = 1; j < cands.length; j++) {
      const d = cands[j] as number;
      const s = diskScore(view, d, sizeHint, this.weights);
      if (s < bestScore) {
        best = d;
        bestScore = s;
      }
    }
    return best;
  }

  /**
   * Lists into listDisks every choosable disk at the lowest relaxation level
   * present, walking only zones below their cap and hosts not excluded.
   * Returns how many.
   */
  private listValid(view: FleetView, m: number, sizeHint: number): number {
    const gen = this.gen;
    let n = 0;
    let bestLevel = Number.POSITIVE_INFINITY;
    const zones = view.zones.names.length;
    for (let z = 0; z < zones; z++) {
      if ((this.zoneCount[z] as number) >= m || (this.zoneAvail[z] as number) <= 0) continue;
      const disks = view.zones.disks[z] as Int32Array;
      for (let q = 0; q < disks.length; q++) {
        const d = disks[q] as number;
        if (view.writable[d] !== 1 || this.diskMark[d] === gen) continue;
        if (this.hostExcluded[view.hostOf[d] as number] === gen) continue;
        const level = this.levelOf(view, d, sizeHint);
        if (level < 0 || level > bestLevel) continue;
        if (level < bestLevel) {
          bestLevel = level;
          n = 0;
        }
        this.listDisks[n] = d;
        this.listWeight[n] = (view.capacityBytes[d] as number) * (view.weight[d] as number);
        n++;
      }
    }
    return n;
  }

  /** One draw from the first n listed disks, ∝ capacity × weight. */
  private drawFromList(n: number): number {
    let total = 0;
    for (let j = 0; j < n; j++) total += this.listWeight[j] as number;
    let u = this.rng.next() * total;
    for (let j = 0; j < n; j++) {
      u -= this.listWeight[j] as number;
      if (u < 0) return this.listDisks[j] as number;
    }
    return this.listDisks[n - 1] as number;
  }
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** 0..w−1 for every stripe width w, built once: most calls ask for every shard. */
const ALL_SLOTS: readonly (readonly number[])[] = Array.from({ length: MAX_STRIPE_WIDTH + 1 }, (_, w) =>
  Array.from({ length: w }, (_, i) => i),
);

/** Requested shard indexes, validated and sorted; all of 0..width−1 when none are given. */
function shardSlots(indexes: readonly number[] | undefined, width: number): readonly number[] {
  if (indexes === undefined || indexes.length === 0) return ALL_SLOTS[width] as readonly number[];
  const seen = new Set<number>();
  for (const i of indexes) {
    if (!Number.isInteger(i) || i < 0 || i >= width)
      throw new InvalidAllocationError(`shard index ${i} is outside 0..${width - 1}`);
    if (seen.has(i)) throw new InvalidAllocationError(`shard index ${i} is requested twice`);
    seen.add(i);
  }
  return [...seen].sort((a, b) => a - b);
}

/** View indexes of the known ids; unknown ids are skipped (a disk gone from the inventory holds nothing we can count). */
function idsToIndexes(view: FleetView, ids: readonly string[] | undefined): number[] {
  const out: number[] = [];
  for (const id of ids ?? []) {
    const i = view.indexOf(id);
    if (i !== undefined) out.push(i);
  }
  return out;
}
