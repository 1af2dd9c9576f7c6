import { Allocator } from './allocator.js';
import { DISK_STATES } from './disk-snapshot.js';
import type { FleetView } from './fleet-view.js';
import { PlacementError } from './placement-errors.js';
import type { Rng } from './rng.js';

/** Why a disk gives data away; `respread` restores the spread of a stripe placed under-spread. */
export type RebalanceReason = 'drain' | 'fill' | 'heat' | 'respread';

/** Thresholds of the rebalancer. Relative values are over the fleet mean (FleetView.meanFill / meanHeat). */
export interface RebalancePolicy {
  /** Relative fill above which a disk sheds data even when no disk is under-filled. */
  fillHighWater: number;
  /** Relative fill below which a disk starts receiving moves (a new, empty disk is near 0). */
  fillLowWater: number;
  /**
   * Relative fill up to which a disk that started receiving keeps receiving
   * (hysteresis): a new rack fills to the mean instead of stopping at the
   * low-water mark.
   */
  fillTargetExit: number;
  /** Relative heat above which a disk sheds data. */
  heatHighWater: number;
  /** A target's relative heat, counting the load of the moves planned onto it, stays at or below this. */
  targetHeatCeiling: number;
  /**
   * The same ceiling for heat moves, lower: hot data goes only to a disk
   * that stays at or below this with it (and its copy load), so relieving
   * one disk never makes another warm, and a cool new rack is not turned
   * into the fleet's hot spot.
   */
  heatMoveTargetCeiling: number;
  /**
   * Heat score that one byte moved onto a disk within a round adds to it
   * (its write load during the round); 0 when the caller has no estimate.
   */
  heatPerMovedByte: number;
  /** Bytes moved onto one disk per round at most: keeps any one target's foreground latency safe. */
  maxBytesPerTarget: number;
  /** Bytes taken off one disk per round at most (drains included). */
  maxBytesPerSource: number;
  /** Fill ratio above which no disk receives moves (the allocator's FILL_LIMIT). */
  absoluteFillLimit: number;
  /**
   * Smallest gap between a disk's fill ratio and the mean (in capacity, not
   * relative) worth moving data for: on a nearly empty fleet relative fill
   * is all noise, and moving it would only cost I/O.
   */
  minFillGap: number;
  /**
   * How many of the coolest writable disks heat moves draw their targets
   * from (a random few of them per shard, the coolest that keeps every rule
   * wins): hot data goes where there is headroom, not to a disk at the mean.
   */
  coolPoolSize: number;
}

export const DEFAULT_REBALANCE_POLICY: RebalancePolicy = {
  // A 5% band around the mean fill is left alone: evening out less costs more I/O than it saves.
  fillHighWater: 1.05,
  // A disk must fall 10% below the mean to be filled (steady-state spread under power of two stays inside
  // that, so a balanced fleet is left alone), and is then filled to 98% of the mean.
  fillLowWater: 0.9,
  fillTargetExit: 0.98,
  heatHighWater: 1.25,
  // A move never takes its target above 1.1 × the mean heat (its own copy load and the moved shards' heat counted).
  targetHeatCeiling: 1.1,
  // As high as targetHeatCeiling by default (what the planner always did); the simulator runs it at the mean.
  heatMoveTargetCeiling: 1.1,
  heatPerMovedByte: 0,
  // 1 GiB per round each way: about a minute of a hard disk's sequential bandwidth, a small share of each round.
  maxBytesPerTarget: 2 ** 30,
  maxBytesPerSource: 2 ** 30,
  absoluteFillLimit: 0.9,
  // 1% of a disk: below that, moving data buys nothing measurable.
  minFillGap: 0.01,
  // Enough disks that one round's heat moves spread out (each target also has maxBytesPerTarget), few enough to
  // stay clearly below the mean.
  coolPoolSize: 256,
};

export interface RebalanceSource {
  diskIndex: number;
  diskId: string;
  reason: RebalanceReason;
  /** How many bytes the disk should give away (capped by maxBytesPerSource when planning). */
  bytesToShed: number;
}

/** A shard the caller found on a source disk, with where its stripe's other shards are. */
export interface MoveCandidate<Ref> {
  /** The caller's handle of this shard (e.g. part ref and shard index); returned in the move. */
  ref: Ref;
  /** Identifies the stripe: the planner moves at most one shard of a stripe per round. */
  stripeKey: string | number;
  sourceIndex: number;
  bytes: number;
  /** This shard's share of its disk's heat, in score units; 0 when unknown. */
  heat?: number;
  dataShards: number;
  parityShards: number;
  /** View indexes of the stripe's other shards (not this one); negative entries are ignored. */
  otherDisks: ArrayLike<number>;
}

export interface Move<Ref> {
  ref: Ref;
  from: number;
  to: number;
  fromDiskId: string;
  toDiskId: string;
  bytes: number;
  reason: RebalanceReason;
}

export interface RebalancePlan<Ref> {
  moves: Move<Ref>[];
  bytes: number;
  /** Of `bytes`, those moved for heat (charged to the heat budget when planMoves was given one). */
  heatBytes: number;
  /** Candidates left for lack of budget (round, source or target). */
  skippedBudget: number;
  /** Candidates for which no disk would keep every rule and improve balance. */
  skippedNoTarget: number;
  /** Candidates whose stripe already has a move in this plan. */
  skippedSameStripe: number;
}

/** A stripe the writer marked under-spread (AllocateStripeResponse.under_spread), with its current layout. */
export interface UnderSpreadStripe<Ref> {
  ref: Ref;
  dataShards: number;
  parityShards: number;
  /** View index of each shard's disk, by shard index; negative for a shard without a copy. */
  disks: ArrayLike<number>;
  /** Bytes of each shard. */
  shardBytes: number;
}

/** Which shard of which stripe a re-spread move relocates. */
export interface ShardRef<Ref> {
  ref: Ref;
  shardIndex: number;
}

export interface RebalancePlannerOptions {
  rng: Rng;
  policy?: Partial<RebalancePolicy>;
}

/** Draws from the under-filled pool before falling back to a fleet-wide strict allocation. */
const POOL_TRIES = 8;
const ACTIVE = DISK_STATES.indexOf('active');
const DRAINING = DISK_STATES.indexOf('draining');

/**
 * The k items with the largest keys. Offers go to a buffer that is cut back
 * to its best k when it reaches 4k; after a cut, anything below the k-th key
 * is refused at once, so a pass over the fleet costs O(n) plus a few small
 * sorts.
 */
class TopK {
  private idx: number[] = [];
  private key: number[] = [];
  private floor = Number.NEGATIVE_INFINITY;

  constructor(private readonly k: number) {}

  offer(i: number, key: number): void {
    if (key < this.floor) return;
    this.idx.push(i);
    this.key.push(key);
    if (this.idx.length >= 4 * this.k) this.cut();
  }

  /** Indexes by key, largest first, at most k. */
  sorted(): number[] {
    this.cut();
    return this.idx;
  }

  private cut(): void {
    const order = this.idx.map((_, j) => j);
    order.sort((a, b) => (this.key[b] as number) - (this.key[a] as number));
    order.length = Math.min(order.length, this.k);
    this.idx = order.map((j) => this.idx[j] as number);
    this.key = order.map((j) => this.key[j] as number);
    if (this.key.length === this.k) this.floor = this.key[this.k - 1] as number;
  }
}

/**
 * The rebalancer's brain (pure; the leader feeds it snapshots and executes
 * its moves through the repair queue). Each round:
 *
 * 1. `selectSources(view)` names the disks that should give data away:
 *    draining disks, disks above the fill high-water mark, disks above the
 *    heat high-water mark — and, while some disks sit below the fill
 *    low-water mark (new, empty ones), every disk above the mean fill, so
 *    the new disks get cold data instead of waiting for new (hot) writes.
 * 2. The caller looks up shards on those disks (coldest first for fill and
 *    drain, hottest first for heat) and passes them to `planMoves` with the
 *    round's byte budget (a ByteRateLimiter gives it).
 *
 * Heat moves may run every round with a quota and a budget of their own
 * (the optional `heatLimit` and `heatBudgetBytes`): hottest shards off disks
 * above heatHighWater, onto the coolest disks that stay at or below
 * heatMoveTargetCeiling, copy load counted on both disks.
 *
 * Every move keeps every spread rule: the target is never a disk of the
 * stripe, never on a host that holds another shard of it, never makes a zone
 * hold more than m, is ACTIVE, fits, is below the absolute fill limit and
 * stays below the heat ceiling. A move never relaxes anything: if no such
 * target exists the candidate is skipped.
 */
export class RebalancePlanner {
  readonly policy: RebalancePolicy;
  private readonly rng: Rng;
  private readonly allocator: Allocator;
  /** Disks being filled (by id, so a rebuilt view keeps them): below the low-water mark once, not yet at the exit. */
  private readonly filling = new Set<string>();

  constructor(options: RebalancePlannerOptions) {
    this.policy = { ...DEFAULT_REBALANCE_POLICY, ...options.policy };
    this.rng = options.rng;
    this.allocator = new Allocator({
      rng: options.rng,
      fillHighWater: this.policy.absoluteFillLimit,
      reservationTtlMs: 0,
    });
  }

  /**
   * Source disks, most urgent first, at most `limit`: drains, then fill
   * (fullest first), then heat (hottest first). One pass over the fleet and
   * a selection of the top `limit`, no sort of the whole fleet: it runs
   * every round.
   *
   * With `heatLimit`, heat has its own quota (up to `heatLimit` hot disks
   * besides the `limit` drain and fill sources) and comes first: a disk
   * above the heat high-water mark sheds its hottest shards, not its oldest
   * ones, even while it is also above the mean fill. Without it, heat
   * sources only fill what drains and fill leave of `limit`.
   */
  selectSources(view: FleetView, limit: number, heatLimit?: number): RebalanceSource[] {
    const out: RebalanceSource[] = [];
    const heatFirst = heatLimit !== undefined;
    if (limit <= 0 && !(heatFirst && heatLimit > 0)) return out;
    const p = this.policy;
    const mean = view.meanFill;
    this.updateFilling(view);
    const underFilled = this.filling.size > 0;
    const fillBar = underFilled ? 1 : p.fillHighWater;
    const fills = new TopK(Math.max(limit, 1));
    const heats = new TopK(heatFirst ? Math.max(heatLimit, 1) : limit);
    let drains = 0;
    for (let i = 0; i < view.size; i++) {
      const state = view.stateOf[i];
      const used = view.usedBytes[i] as number;
      if (state === DRAINING) {
        if (used > 0 && drains < limit) {
          drains++;
          out.push({ diskIndex: i, diskId: view.diskIds[i] as string, reason: 'drain', bytesToShed: used });
        }
        continue;
      }
      if (state !== ACTIVE) continue;
      const h = view.heat[i] as number;
      // Unknown heat is never a reason to move data: we do not know the disk is hot.
      const hot = h === h && view.relativeHeat(i) > p.heatHighWater;
      if (heatFirst && hot) {
        heats.offer(i, h);
        continue;
      }
      const relFill = view.relativeFill(i);
      // With disks being filled, any disk above the mean may feed them; otherwise only a disk
      // clearly above it (by the relative high-water mark and by minFillGap of capacity) sheds.
      if (mean > 0 && relFill > fillBar && (underFilled || view.fillRatio(i) - mean > p.minFillGap)) {
        if (used - mean * (view.capacityBytes[i] as number) > 0) {
          fills.offer(i, relFill);
          continue;
        }
      }
      if (hot) heats.offer(i, h);
    }
    for (const i of fills.sorted()) {
      if (out.length >= limit) break;
      const shed = (view.usedBytes[i] as number) - mean * (view.capacityBytes[i] as number);
      out.push({ diskIndex: i, diskId: view.diskIds[i] as string, reason: 'fill', bytesToShed: shed });
    }
    const heatEnd = heatFirst ? out.length + heatLimit : limit;
    for (const i of heats.sorted()) {
      if (out.length >= heatEnd) break;
      out.push({ diskIndex: i, diskId: view.diskIds[i] as string, reason: 'heat', bytesToShed: p.maxBytesPerSource });
    }
    return out;
  }

  /**
   * Chooses a target for each candidate, in the order given, until the
   * round's byte budget is spent. `sources` are the ones selectSources gave
   * (a candidate on any other disk is skipped).
   *
   * With `heatBudgetBytes`, heat moves spend that budget and drain and fill
   * moves spend `budgetBytes`, so that a long fill (a new rack) never
   * starves the relief of hot disks; without it, all moves share
   * `budgetBytes`.
   *
   * Copy load counts on both sides (`heatPerMovedByte`): a target stays
   * below the ceiling with it, a heat move must cool its source by more
   * than the copy warms it, and a fill move never takes a source above the
   * ceiling with its copy load.
   */
  planMoves<Ref>(
    view: FleetView,
    sources: readonly RebalanceSource[],
    candidates: readonly MoveCandidate<Ref>[],
    budgetBytes: number,
    heatBudgetBytes?: number,
  ): RebalancePlan<Ref> {
    const p = this.policy;
    const plan: RebalancePlan<Ref> = {
      moves: [],
      bytes: 0,
      heatBytes: 0,
      skippedBudget: 0,
      skippedNoTarget: 0,
      skippedSameStripe: 0,
    };
    const sourceOf = new Map<
      number,
      { reason: RebalanceReason; left: number; heatLeft: number; outBytes: number; outHeat: number }
    >();
    for (const s of sources) {
      const heatExcess =
        s.reason === 'heat' ? (view.relativeHeat(s.diskIndex) - p.heatHighWater) * view.heatReference : 0;
      sourceOf.set(s.diskIndex, {
        reason: s.reason,
        left: Math.min(s.bytesToShed, p.maxBytesPerSource),
        heatLeft: heatExcess,
        outBytes: 0,
        outHeat: 0,
      });
    }
    const pool = this.targetPool(view);
    let coolPool: number[] | undefined;
    const separateHeat = heatBudgetBytes !== undefined;
    let otherBytes = 0;
    const inbound = new Map<number, { bytes: number; heat: number }>();
    const stripes = new Set<string | number>();

    for (const c of candidates) {
      const src = sourceOf.get(c.sourceIndex);
      if (src === undefined || !(c.bytes > 0)) {
        plan.skippedNoTarget++;
        continue;
      }
      if (stripes.has(c.stripeKey)) {
        plan.skippedSameStripe++;
        continue;
      }
      const isHeat = src.reason === 'heat';
      const overBudget =
        separateHeat && isHeat
          ? plan.heatBytes + c.bytes > heatBudgetBytes
          : (separateHeat ? otherBytes : plan.bytes) + c.bytes > budgetBytes;
      if (overBudget || src.left < c.bytes || (isHeat && src.heatLeft <= 0)) {
        plan.skippedBudget++;
        continue;
      }
      const shardHeat = c.heat ?? 0;
      const copyHeat = c.bytes * p.heatPerMovedByte;
      // Moving a shard off a hot disk must cool it: the shard's heat must outweigh the copy's read load.
      if (isHeat && !(shardHeat > copyHeat)) {
        plan.skippedNoTarget++;
        continue;
      }
      if (src.reason === 'fill') {
        // The copy reads the source: a fill move never takes it above the ceiling (it may already be there).
        const before = view.relativeHeat(c.sourceIndex);
        const after =
          before + (src.outBytes * p.heatPerMovedByte + copyHeat - src.outHeat - shardHeat) / view.heatReference;
        if (after > p.targetHeatCeiling && after > before) {
          plan.skippedNoTarget++;
          continue;
        }
      }
      if (isHeat && coolPool === undefined) coolPool = this.coolestDisks(view);
      const to = this.chooseTarget(view, c, src.reason, isHeat ? (coolPool as number[]) : pool, inbound);
      if (to < 0) {
        plan.skippedNoTarget++;
        continue;
      }
      stripes.add(c.stripeKey);
      const before = inbound.get(to) ?? { bytes: 0, heat: 0 };
      inbound.set(to, { bytes: before.bytes + c.bytes, heat: before.heat + (c.heat ?? 0) });
      src.left -= c.bytes;
      src.heatLeft -= shardHeat - copyHeat;
      src.outBytes += c.bytes;
      src.outHeat += shardHeat;
      plan.bytes += c.bytes;
      if (isHeat) plan.heatBytes += c.bytes;
      else otherBytes += c.bytes;
      plan.moves.push({
        ref: c.ref,
        from: c.sourceIndex,
        to,
        fromDiskId: view.diskIds[c.sourceIndex] as string,
        toDiskId: view.diskIds[to] as string,
        bytes: c.bytes,
        reason: src.reason,
      });
    }
    return plan;
  }

  /**
   * Moves that restore the spread of under-spread stripes: each shard that
   * shares a host with another shard of its stripe goes to a disk that keeps
   * every rule (strict placement against the stripe's other shards), while
   * the byte budget lasts. A stripe whose hosts are still missing gets no
   * move and is reported as skipped (try again later). Several shards of one
   * stripe may move in one plan; each is planned against the layout the
   * previous one leaves.
   */
  planRespread<Ref>(
    view: FleetView,
    stripes: readonly UnderSpreadStripe<Ref>[],
    budgetBytes: number,
  ): RebalancePlan<ShardRef<Ref>> {
    const plan: RebalancePlan<ShardRef<Ref>> = {
      moves: [],
      bytes: 0,
      heatBytes: 0,
      skippedBudget: 0,
      skippedNoTarget: 0,
      skippedSameStripe: 0,
    };
    for (const stripe of stripes) {
      const disks = Array.from(stripe.disks, (d) => (d >= 0 && d < view.size ? d : -1));
      const seenHosts = new Set<number>();
      for (let index = 0; index < disks.length; index++) {
        const from = disks[index] as number;
        if (from < 0) continue;
        const host = view.hostOf[from] as number;
        if (!seenHosts.has(host)) {
          seenHosts.add(host);
          continue;
        }
        // A second (or further) shard on this host: move it if the budget and the fleet allow.
        if (plan.bytes + stripe.shardBytes > budgetBytes) {
          plan.skippedBudget++;
          continue;
        }
        let to: number;
        try {
          const allocation = this.allocator.place(view, {
            dataShards: stripe.dataShards,
            parityShards: stripe.parityShards,
            sizeHintBytes: stripe.shardBytes,
            shardIndexes: [index],
            occupied: disks.filter((d, j) => j !== index && d >= 0),
            ioClass: 'rebalance',
            strict: true,
          });
          to = (allocation.shards[0] as { diskIndex: number }).diskIndex;
        } catch (err) {
          if (!(err instanceof PlacementError)) throw err;
          plan.skippedNoTarget++;
          continue;
        }
        disks[index] = to;
        seenHosts.add(view.hostOf[to] as number);
        plan.bytes += stripe.shardBytes;
        plan.moves.push({
          ref: { ref: stripe.ref, shardIndex: index },
          from,
          to,
          fromDiskId: view.diskIds[from] as string,
          toDiskId: view.diskIds[to] as string,
          bytes: stripe.shardBytes,
          reason: 'respread',
        });
      }
    }
    return plan;
  }

  /**
   * The coolest writable ACTIVE disks below the mean heat, at most
   * coolPoolSize, disks being filled left out: where heat moves go. Unknown
   * heat is left out (it may be hot).
   */
  private coolestDisks(view: FleetView): number[] {
    const cool = new TopK(Math.max(1, this.policy.coolPoolSize));
    const filling = new Set(this.targetPool(view));
    for (let i = 0; i < view.size; i++) {
      // A disk being filled keeps its heat headroom for the fill's copy load (and stays out of the hot spot).
      if (view.writable[i] !== 1 || view.stateOf[i] !== ACTIVE || filling.has(i)) continue;
      const h = view.heat[i] as number;
      if (h === h && view.relativeHeat(i) < 1) cool.offer(i, -h);
    }
    return cool.sorted();
  }

  /** The disks being filled: where moves go first. */
  private targetPool(view: FleetView): number[] {
    this.updateFilling(view);
    const pool: number[] = [];
    for (const id of this.filling) {
      const i = view.indexOf(id);
      if (i !== undefined) pool.push(i);
    }
    return pool;
  }

  /**
   * A writable disk enters the filling set below the low-water mark (and
   * minFillGap below the mean) and leaves it at the exit mark, or when it
   * stops being writable.
   */
  private updateFilling(view: FleetView): void {
    const p = this.policy;
    for (const id of this.filling) {
      const i = view.indexOf(id);
      if (i === undefined || view.writable[i] !== 1 || view.relativeFill(i) >= p.fillTargetExit)
        this.filling.delete(id);
    }
    for (let i = 0; i < view.size; i++)
      if (
        view.writable[i] === 1 &&
        view.relativeFill(i) < p.fillLowWater &&
        view.meanFill - view.fillRatio(i) > p.minFillGap
      )
        this.filling.add(view.diskIds[i] as string);
  }

  private chooseTarget<Ref>(
    view: FleetView,
    c: MoveCandidate<Ref>,
    reason: RebalanceReason,
    pool: readonly number[],
    inbound: ReadonlyMap<number, { bytes: number; heat: number }>,
  ): number {
    let best = -1;
    let bestKey = Number.POSITIVE_INFINITY;
    for (let t = 0; t < POOL_TRIES && pool.length > 0; t++) {
      const d = pool[this.rng.int(pool.length)] as number;
      if (!this.acceptable(view, c, reason, d, inbound)) continue;
      // Heat moves take the coolest of the draws (moves planned this round counted), the others the emptiest.
      const planned = inbound.get(d);
      const key =
        reason === 'heat'
          ? view.relativeHeat(d) +
            ((planned?.bytes ?? 0) * this.policy.heatPerMovedByte + (planned?.heat ?? 0)) / view.heatReference
          : view.fillRatio(d) + (planned?.bytes ?? 0) / (view.capacityBytes[d] as number);
      if (key < bestKey) {
        best = d;
        bestKey = key;
      }
    }
    if (best >= 0) return best;
    // A disk only a little above the mean gives data to disks being filled, never to just any disk:
    // that would shuffle a balanced fleet for nothing. Drains, hot disks and overfull disks may go anywhere.
    if (reason === 'fill' && view.relativeFill(c.sourceIndex) <= this.policy.fillHighWater) return -1;
    let placed: number;
    try {
      const allocation = this.allocator.place(view, {
        dataShards: c.dataShards,
        parityShards: c.parityShards,
        sizeHintBytes: c.bytes,
        shardIndexes: [0],
        occupied: withoutNegatives(c.otherDisks),
        excludeDisks: [c.sourceIndex],
        ioClass: 'rebalance',
        strict: true,
      });
      placed = (allocation.shards[0] as { diskIndex: number }).diskIndex;
    } catch (err) {
      if (err instanceof PlacementError) return -1;
      throw err;
    }
    return this.acceptable(view, c, reason, placed, inbound) ? placed : -1;
  }

  /** Whether moving candidate c onto disk d keeps every rule and limit and improves what the move is for. */
  private acceptable<Ref>(
    view: FleetView,
    c: MoveCandidate<Ref>,
    reason: RebalanceReason,
    d: number,
    inbound: ReadonlyMap<number, { bytes: number; heat: number }>,
  ): boolean {
    const p = this.policy;
    if (d === c.sourceIndex || view.writable[d] !== 1) return false;
    const planned = inbound.get(d);
    const already = planned?.bytes ?? 0;
    if (already + c.bytes > p.maxBytesPerTarget) return false;
    const cap = view.capacityBytes[d] as number;
    const after = (view.usedBytes[d] as number) + (view.reservedBytes[d] as number) + already + c.bytes;
    if (after > p.absoluteFillLimit * cap) return false;
    // Spread rules against the stripe's other shards.
    const zone = view.zoneOf[d];
    const host = view.hostOf[d];
    let inZone = 1;
    for (let j = 0; j < c.otherDisks.length; j++) {
      const o = c.otherDisks[j] as number;
      if (o < 0) continue;
      if (o === d || view.hostOf[o] === host) return false;
      if (view.zoneOf[o] === zone) inZone++;
    }
    if (inZone > c.parityShards) return false;
    // Heat: the target stays below the ceiling with this round's moves counted (their copy load and their own heat).
    const addedHeat = (already + c.bytes) * p.heatPerMovedByte + (planned?.heat ?? 0) + (c.heat ?? 0);
    const heatAfter = view.relativeHeat(d) + addedHeat / view.heatReference;
    if (heatAfter > (reason === 'heat' ? Math.min(p.heatMoveTargetCeiling, p.targetHeatCeiling) : p.targetHeatCeiling))
      return false;
    // The move must improve what it is for.
    if (reason === 'fill') {
      const srcCap = view.capacityBytes[c.sourceIndex] as number;
      const srcAfter = ((view.usedBytes[c.sourceIndex] as number) - c.bytes) / srcCap;
      if (after / cap >= srcAfter) return false;
    } else if (reason === 'heat') {
      // The target must end cooler than the source would be without the shard (its copy load counted).
      const srcAfter =
        view.relativeHeat(c.sourceIndex) + (c.bytes * p.heatPerMovedByte - (c.heat ?? 0)) / view.heatReference;
      if (heatAfter >= srcAfter) return false;
    }
    return true;
  }
}

function withoutNegatives(disks: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let j = 0; j < disks.length; j++) if ((disks[j] as number) >= 0) out.push(disks[j] as number);
  return out;
}
