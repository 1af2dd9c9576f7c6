import {
  Allocator,
  ByteRateLimiter,
  createRng,
  FleetView,
  PlacementError,
  RebalancePlanner,
  syntheticFleet,
  type DiskSnapshot,
  type FleetShape,
  type MoveCandidate,
  type RebalanceReason,
  type Rng,
  type ScoreWeights,
} from '@platter/placement';
import { distribution, overMean } from './distribution.js';
import { HeatModel } from './heat-model.js';
import { RECENT_PER_DISK, ShardTable } from './shard-table.js';
import { Workload, type WorkloadOptions } from './workload.js';

export const STRATEGIES = ['random', 'p2c', 'p2c-rebalance'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const SCENARIOS = ['steady', 'new-rack', 'zone-drain'] as const;
export type Scenario = (typeof SCENARIOS)[number];

const SECONDS_PER_YEAR = 365.25 * 86_400;
/** A hard disk saturates around 120 random IOPS. */
const SATURATION_IOPS = 120;
/**
 * Target mix of a disk's load at the end of a run, IOPS (≈ 0.33 of
 * saturation): random reads of new data dominate, old data adds a floor,
 * sequential appends cost little.
 */
const HOT_IOPS_PER_DISK = 28;
const COLD_IOPS_PER_DISK = 10;
const WRITE_IOPS_PER_DISK = 2;
/** Time constant of the write load, seconds: an hour of appends. */
const WRITE_WINDOW_SECONDS = 3_600;
/** Ceiling of a move's target, relative heat (the planner's targetHeatCeiling): a margin under the 1.1 target. */
const FILL_MOVE_HEAT_CEILING = 1.05;
/** Ceiling of a heat move's target: hot data goes only where it leaves the disk at or below the mean. */
const HEAT_MOVE_HEAT_CEILING = 1;
/** A new rack has caught up when its mean fill is within this fraction of the fleet mean. */
const CAUGHT_UP_WITHIN = 0.02;
/** Milestones of a new rack's catch-up reported: its mean fill as a share of the fleet's. */
const CATCH_UP_MILESTONES = [0.5, 0.9, 0.95, 1 - CAUGHT_UP_WITHIN] as const;
/** Heat above this multiple of the fleet mean counts as a hot disk in the new-rack comparison. */
const HOT_DISK_OVER_MEAN = 1.1;
/** A drained zone is done when this fraction of its bytes at the start of the drain is left. */
const DRAINED_BELOW = 0.01;
/** Sources asked for per rebalancing round: enough to spend the budget, few enough to stay cheap. */
const REBALANCE_SOURCES_PER_ROUND = 400;
/** Candidate bytes gathered per round, as a multiple of the budget (some candidates find no target). */
const CANDIDATE_OVERSUPPLY = 3;
/** The same for heat candidates: many find no disk cool enough, and they are cheap to gather. */
const HEAT_CANDIDATE_OVERSUPPLY = 10;
/**
 * Hot disks relieved per round, as a share of the fleet (at least 16): a
 * round is ~14 simulated minutes, and in steady state a few percent of the
 * disks sit above 1.05 × the mean heat.
 */
const HEAT_SOURCE_SHARE = 0.05;
const MIN_HEAT_SOURCES = 16;
/** A disk is steered once it is this fraction above the line (held disks drift a hair above it as the mean moves). */
const STEER_TOLERANCE = 0.002;
/** Hottest recent shards whose reads a hot disk sheds per refresh: the rest carry little. */
const STEER_SHARDS_PER_DISK = 48;
/** Parts older than this many cooling times have lost > 95% of their reads: a move of theirs is not a recent arrival. */
const RECENT_AGE_CUTOFF = 3;
/** Hottest shards offered per hot disk and round (from its recent arrivals: hot data is new data). */
const HEAT_CANDIDATES_PER_SOURCE = 8;

/** The fixed parameters of one simulated run (strategy and scenario aside). */
export interface SimParams {
  shape: FleetShape;
  /** Shape used by the zone-drain scenario (a zone can be drained only with ≥ ceil((k+m)/m) + 1 zones). */
  drainShape: FleetShape;
  dataShards: number;
  parityShards: number;
  blockBytes: number;
  stripes: number;
  /** Parts (allocations) the run is expected to need, from calibration: sets simulated time per part. */
  expectedParts: number;
  /** Mean shard bytes per part, from calibration. */
  meanShardBytes: number;
  days: number;
  stepAllocations: number;
  samples: number;
  annualFailureRate: number;
  /** When the scenario's event happens, as a fraction of the stripes. */
  eventAt: number;
  /** Rebalancing rate as a share of the mean ingest rate (bytes written per second, all shards). */
  rebalanceShareOfIngest: number;
  /** Rate of heat moves, a budget of its own, as a share of the mean ingest rate. */
  heatRebalanceShareOfIngest: number;
  /** Relative heat above which the rebalancer relieves a disk (the planner's heatHighWater). */
  heatHighWater: number;
  /**
   * Relative heat above which frontends steer full-stripe reads off a disk
   * to another shard of the stripe (any k of k + m serve a read): the
   * equilibrium of the frontends' read steering; Infinity turns it off.
   */
  steerReadsAbove: number;
  /** Heat score under which no disk is steered around, whatever the mean (the frontends' readSteerMinHeat). */
  steerReadsMinHeat: number;
  /**
   * Rounds in which a disk still above the line once takers are at it sheds
   * to its stripes' cooler disks until level, each followed by their
   * shedding (see steerReads); 0 stops at the first equilibrium.
   */
  steerLevelRounds: number;
  /** Candidates per shard of a foreground write for the power-of-d strategies (2: power of two). */
  choices: number;
  coolingSeconds: number;
  seed: number;
  workload: WorkloadOptions;
  /** Allocator score weights; the library's defaults where absent. */
  score: Partial<ScoreWeights>;
}

export interface Sample {
  hours: number;
  stripes: number;
  fillMean: number;
  fillMaxOverMean: number;
  fillP99OverMean: number;
  fillMinOverMean: number;
  heatMean: number;
  heatMaxOverMean: number;
  heatP99OverMean: number;
  /** New rack: its mean fill over the fleet mean; its mean heat and its hottest disk over the fleet mean heat. */
  newRackFillOverMean?: number;
  newRackHeatMeanOverMean?: number;
  newRackHeatMaxOverMean?: number;
  /** Zone drain: bytes still on the draining zone, as a share of what it held when the drain began. */
  drainLeft?: number;
}

export interface RunSummary {
  strategy: Strategy;
  scenario: Scenario;
  disks: number;
  stripes: number;
  parts: number;
  simulatedHours: number;
  wallSeconds: number;
  capacityBytesPerDisk: number;
  failedAllocations: number;
  underSpreadAllocations: number;
  diskFailures: number;
  repairedShards: number;
  unrepairedShards: number;
  moves: number;
  movedBytes: number;
  /** Bytes moved, by why the source gave them away. */
  movedBytesByReason: Record<RebalanceReason, number>;
  rebalanceBytesPerSecond: number;
  /** At the end, the share of hot read IOPS that steered reads serve from parity shards (each such read decodes). */
  steeredReadShare: number;
  final: Sample;
  /** Parts whose final layout breaks a rule: the zone rule and distinct disks must stay 0; host doubling only from degraded placement. */
  layoutViolations: { maxMPerZone: number; distinctDisks: number; oneShardPerHost: number; onFailedDisk: number };
  /** Means over the second half of the run's samples. */
  secondHalf: { heatP99OverMean: number; heatMaxOverMean: number; fillMaxOverMean: number };
  newRack?: {
    addedAtHours: number;
    /** Hours after the addition until the rack's mean fill reached 98% of the fleet mean (null: not within the run). */
    reachedMeanAfterHours: number | null;
    /** Hours until the rack's mean fill reached each share of the fleet mean. */
    milestonesHours: Record<string, number | null>;
    fillOverMeanAtEnd: number;
    /**
     * Heat while the rack fills (from the addition to the catch-up, or the
     * end), over the fleet mean heat at each step, as placement sees it
     * after the step's rebalancing round: the rack's mean, its hottest disk,
     * and the hottest active disk of the whole fleet. The `AtRefresh`
     * figures are the same maxima at the heat refresh, before the round's
     * moves (the step's new writes landed, none relieved yet).
     */
    duringMove: {
      rackMeanHeatOverMeanMax: number;
      rackMaxHeatOverMeanMax: number;
      fleetMaxHeatOverMeanMax: number;
      rackMaxHeatOverMeanMaxAtRefresh: number;
      fleetMaxHeatOverMeanMaxAtRefresh: number;
      /**
       * Why disks stay hot: disk-steps above 1.1 × the mean heat (after the
       * round), how many of those would be below it without their single
       * hottest shard (one indivisible shard hotter than the headroom of any
       * disk that could take it), and the hottest disk's heat without its
       * hottest shard.
       */
      hotDiskSteps: number;
      hotDiskStepsFromOneShard: number;
      fleetMaxWithoutTopShardOverMeanMax: number;
      /** Share of disk-steps above 1.1 × the mean heat: new-rack disks, and all other active disks. */
      rackShareAboveHotLine: number;
      othersShareAboveHotLine: number;
    };
  };
  zoneDrain?: {
    startedAtHours: number;
    bytesAtStart: number;
    drainedAfterHours: number | null;
    leftAtEnd: number;
  };
}

export interface RunResult {
  summary: RunSummary;
  samples: Sample[];
}

/** Runs one strategy on one scenario and returns its samples and summary. */
export function runSimulation(params: SimParams, strategy: Strategy, scenario: Scenario): RunResult {
  return new FleetSimulation(params, strategy, scenario).run();
}

class FleetSimulation {
  private readonly rng: Rng;
  private readonly width: number;
  private readonly snapshots: DiskSnapshot[];
  private readonly baseCount: number;
  private readonly addedCount: number;
  private readonly used: Float64Array;
  private readonly scoreNow: Float64Array;
  private readonly heat: HeatModel;
  private readonly table: ShardTable;
  private readonly workload: Workload;
  private readonly allocator: Allocator;
  private readonly planner: RebalancePlanner | undefined;
  private readonly limiter: ByteRateLimiter | undefined;
  private readonly heatLimiter: ByteRateLimiter | undefined;
  private readonly heatSourcesPerRound: number;
  private readonly capacity: number;
  private readonly secondsPerPart: number;
  private readonly stepSeconds: number;
  private readonly scratch: Float64Array;
  private readonly tmpDisks: Int32Array;
  private readonly steerScratch = {
    parts: new Int32Array(RECENT_PER_DISK),
    indexes: new Int32Array(RECENT_PER_DISK),
    iopsOf: new Float64Array(RECENT_PER_DISK),
  };
  private view: FleetView;
  private now = 0;
  /** heat.nowFactor(factorAt), kept while the clock stands still. */
  private factor = 1;
  private factorAt = 0;
  private stripes = 0;
  private parts = 0;
  private readonly counters = {
    failedAllocations: 0,
    underSpread: 0,
    diskFailures: 0,
    repaired: 0,
    unrepaired: 0,
    moves: 0,
    movedBytes: 0,
    byReason: { drain: 0, fill: 0, heat: 0, respread: 0 } as Record<RebalanceReason, number>,
  };

  constructor(
    private readonly p: SimParams,
    private readonly strategy: Strategy,
    private readonly scenario: Scenario,
  ) {
    this.rng = createRng(p.seed);
    this.width = p.dataShards + p.parityShards;
    const shape = scenario === 'zone-drain' ? p.drainShape : p.shape;
    this.snapshots = syntheticFleet(shape);
    this.baseCount = this.snapshots.length;
    this.addedCount = scenario === 'new-rack' ? shape.hostsPerRack * shape.disksPerHost : 0;
    const slots = this.baseCount + this.addedCount;
    this.capacity = shape.capacityBytes;
    this.used = new Float64Array(slots);
    this.scoreNow = new Float64Array(slots);
    this.scratch = new Float64Array(slots);
    this.tmpDisks = new Int32Array(this.width);
    const runSeconds = p.days * 86_400;
    this.secondsPerPart = runSeconds / p.expectedParts;
    this.stepSeconds = this.secondsPerPart * p.stepAllocations;
    const disks = this.baseCount;
    const partsPerSecond = p.expectedParts / runSeconds;
    const totalBytes = p.expectedParts * p.meanShardBytes * this.width;
    this.heat = new HeatModel(
      {
        coolingSeconds: p.coolingSeconds,
        saturationIops: SATURATION_IOPS,
        // Steady state of the hot sum: parts/s × k data shards × rate × τ, spread over the disks.
        iopsPerReadRate: (HOT_IOPS_PER_DISK * disks) / (partsPerSecond * p.dataShards * p.coolingSeconds),
        coldIopsPerByte: COLD_IOPS_PER_DISK / (totalBytes / disks),
        writeIopsPerByte: WRITE_IOPS_PER_DISK / (totalBytes / disks / runSeconds),
        writeWindowSeconds: WRITE_WINDOW_SECONDS,
      },
      slots,
    );
    this.table = new ShardTable(this.width, slots, Math.ceil(p.expectedParts * 1.05));
    this.workload = new Workload(p.workload, createRng(p.seed + 1));
    this.allocator = new Allocator({
      rng: createRng(p.seed + 2),
      choices: strategy === 'random' ? 1 : p.choices,
      backgroundChoices: strategy === 'random' ? 1 : 3,
      reservationTtlMs: 0,
      score: p.score,
    });
    if (strategy === 'p2c-rebalance') {
      const rate = (p.rebalanceShareOfIngest * totalBytes) / runSeconds;
      const perRound = rate * this.stepSeconds;
      this.limiter = new ByteRateLimiter(rate, perRound);
      const heatRate = (p.heatRebalanceShareOfIngest * totalBytes) / runSeconds;
      this.heatLimiter = new ByteRateLimiter(heatRate, heatRate * this.stepSeconds);
      this.planner = new RebalancePlanner({
        rng: createRng(p.seed + 3),
        policy: {
          heatPerMovedByte: this.heat.scorePerWrittenByte(),
          heatHighWater: p.heatHighWater,
          // Plan to 1.05 × the mean so that the disks stay below the 1.1 target as measured after the
          // round, when the mean itself has moved and the copy load of the round is at its peak.
          targetHeatCeiling: FILL_MOVE_HEAT_CEILING,
          heatMoveTargetCeiling: HEAT_MOVE_HEAT_CEILING,
          // Spread each round's moves: at least ~100 sources and ~50 targets share it.
          maxBytesPerSource: Math.max(perRound / 100, 4 * p.meanShardBytes),
          maxBytesPerTarget: Math.max(perRound / 50, 4 * p.meanShardBytes),
        },
      });
    }
    this.heatSourcesPerRound = Math.max(MIN_HEAT_SOURCES, Math.round(HEAT_SOURCE_SHARE * slots));
    this.view = this.buildView();
  }

  run(): RunResult {
    const started = Date.now();
    const p = this.p;
    const totalSteps = Math.ceil(p.expectedParts / p.stepAllocations);
    const sampleEvery = Math.max(1, Math.floor(totalSteps / p.samples));
    const samples: Sample[] = [];
    const eventStripes = Math.floor(p.stripes * p.eventAt);
    let eventDone = this.scenario === 'steady';
    let eventAt = Number.NaN;
    let caughtUpAt: number | null = null;
    const milestones = new Map<number, number>();
    let drainedAt: number | null = null;
    let drainBytesAtStart = 0;
    const move = {
      rackMean: 0,
      rackMax: 0,
      fleetMax: 0,
      rackMaxAtRefresh: 0,
      fleetMaxAtRefresh: 0,
      hotDiskSteps: 0,
      oneShardSteps: 0,
      withoutTopShardMax: 0,
      rackHot: 0,
      rackSteps: 0,
      othersHot: 0,
      othersSteps: 0,
    };
    const failuresPerStep = (this.baseCount * p.annualFailureRate * this.stepSeconds) / SECONDS_PER_YEAR;

    for (let step = 0; this.stripes < p.stripes; step++) {
      if (!eventDone && this.stripes >= eventStripes) {
        eventDone = true;
        eventAt = this.now;
        if (this.scenario === 'new-rack') this.addRack();
        else drainBytesAtStart = this.drainZone();
      }
      this.failDisks(poisson(this.rng, failuresPerStep));
      this.workload.beginStep();
      for (let j = 0; j < p.stepAllocations && this.stripes < p.stripes; j++) this.writePart();

      this.heat.decay(this.stepSeconds);
      this.refreshHeat();
      this.steerReads();
      const filling = eventDone && this.scenario === 'new-rack' && caughtUpAt === null;
      // The peak a step's writes cause, before this round's moves relieve it.
      if (filling) {
        const r = this.newRackState();
        move.rackMaxAtRefresh = Math.max(move.rackMaxAtRefresh, r.heatMaxOverMean);
        move.fleetMaxAtRefresh = Math.max(move.fleetMaxAtRefresh, r.fleetHeatMaxOverMean);
      }
      if (this.planner !== undefined) {
        this.rebalance();
        // Moves change heat at once (the storage nodes publish it every second): the view and every
        // figure below see the fleet as the next writes will. Moves carry their shards' read shares
        // and the planner keeps targets under the line, but a copy's load warms its source too, and
        // the frontends answer that within seconds as they answer writes: a steering pass again.
        this.refreshHeat();
        this.steerReads();
      }

      // Event progress, every step (cheap: the new rack or the draining zone only).
      if (filling) {
        const r = this.newRackState();
        move.rackMean = Math.max(move.rackMean, r.heatMeanOverMean);
        move.rackMax = Math.max(move.rackMax, r.heatMaxOverMean);
        move.fleetMax = Math.max(move.fleetMax, r.fleetHeatMaxOverMean);
        const hot = this.hotDiskAnatomy();
        move.hotDiskSteps += hot.above;
        move.oneShardSteps += hot.oneShard;
        move.withoutTopShardMax = Math.max(move.withoutTopShardMax, hot.withoutTopShardMax);
        move.rackHot += r.rackHot;
        move.rackSteps += r.rackDisks;
        move.othersHot += r.othersHot;
        move.othersSteps += r.otherDisks;
        for (const m of CATCH_UP_MILESTONES) if (!milestones.has(m) && r.fillOverMean >= m) milestones.set(m, this.now);
        if (r.fillOverMean >= 1 - CAUGHT_UP_WITHIN) caughtUpAt = this.now;
      }
      if (eventDone && this.scenario === 'zone-drain' && drainedAt === null && drainBytesAtStart > 0)
        if (this.drainingBytes() <= DRAINED_BELOW * drainBytesAtStart) drainedAt = this.now;

      if (step % sampleEvery === 0 || this.stripes >= p.stripes) samples.push(this.sample(drainBytesAtStart));
    }

    const half = samples.slice(Math.floor(samples.length / 2));
    const avg = (f: (s: Sample) => number) => half.reduce((a, s) => a + f(s), 0) / Math.max(1, half.length);
    const final = samples[samples.length - 1] as Sample;
    const hours = (s: number) => Math.round((s / 3600) * 10) / 10;
    const summary: RunSummary = {
      strategy: this.strategy,
      scenario: this.scenario,
      disks: this.view.size,
      stripes: this.stripes,
      parts: this.parts,
      simulatedHours: hours(this.now),
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
      capacityBytesPerDisk: this.capacity,
      failedAllocations: this.counters.failedAllocations,
      underSpreadAllocations: this.counters.underSpread,
      diskFailures: this.counters.diskFailures,
      repairedShards: this.counters.repaired,
      unrepairedShards: this.counters.unrepaired,
      moves: this.counters.moves,
      movedBytes: this.counters.movedBytes,
      movedBytesByReason: this.counters.byReason,
      rebalanceBytesPerSecond: Math.round(this.limiter?.bytesPerSecond ?? 0),
      steeredReadShare: round4(this.steeredReadShare()),
      final,
      layoutViolations: this.checkLayouts(),
      secondHalf: {
        heatP99OverMean: round4(avg((s) => s.heatP99OverMean)),
        heatMaxOverMean: round4(avg((s) => s.heatMaxOverMean)),
        fillMaxOverMean: round4(avg((s) => s.fillMaxOverMean)),
      },
    };
    if (this.scenario === 'new-rack')
      summary.newRack = {
        addedAtHours: hours(eventAt),
        reachedMeanAfterHours: caughtUpAt === null ? null : hours(caughtUpAt - eventAt),
        milestonesHours: Object.fromEntries(
          CATCH_UP_MILESTONES.map((m) => {
            const at = milestones.get(m);
            return [String(m), at === undefined ? null : hours(at - eventAt)];
          }),
        ),
        fillOverMeanAtEnd: round4(final.newRackFillOverMean ?? 0),
        duringMove: {
          rackMeanHeatOverMeanMax: round4(move.rackMean),
          rackMaxHeatOverMeanMax: round4(move.rackMax),
          fleetMaxHeatOverMeanMax: round4(move.fleetMax),
          rackMaxHeatOverMeanMaxAtRefresh: round4(move.rackMaxAtRefresh),
          fleetMaxHeatOverMeanMaxAtRefresh: round4(move.fleetMaxAtRefresh),
          hotDiskSteps: move.hotDiskSteps,
          hotDiskStepsFromOneShard: move.oneShardSteps,
          fleetMaxWithoutTopShardOverMeanMax: round4(move.withoutTopShardMax),
          rackShareAboveHotLine: round4(move.rackHot / Math.max(1, move.rackSteps)),
          othersShareAboveHotLine: round4(move.othersHot / Math.max(1, move.othersSteps)),
        },
      };
    if (this.scenario === 'zone-drain')
      summary.zoneDrain = {
        startedAtHours: hours(eventAt),
        bytesAtStart: drainBytesAtStart,
        drainedAfterHours: drainedAt === null ? null : hours(drainedAt - eventAt),
        leftAtEnd: round4(final.drainLeft ?? 1),
      };
    return { summary, samples };
  }

  /** Places one part (one allocation) and records its shards, bytes and heat. */
  private writePart(): void {
    const part = this.workload.nextPart();
    this.stripes += part.stripes;
    this.now += this.secondsPerPart;
    let shards;
    try {
      const allocation = this.allocator.place(this.view, {
        dataShards: this.p.dataShards,
        parityShards: this.p.parityShards,
        sizeHintBytes: part.shardBytes,
      });
      if (allocation.underSpread) this.counters.underSpread++;
      shards = allocation.shards;
    } catch (err) {
      if (!(err instanceof PlacementError)) throw err;
      this.counters.failedAllocations++;
      return;
    }
    this.parts++;
    const weight = this.heat.readWeight(part.readRate, this.now);
    const iops = weight * this.heat.nowFactor(this.now);
    for (let i = 0; i < this.width; i++) {
      const d = (shards[i] as { diskIndex: number }).diskIndex;
      this.tmpDisks[i] = d;
      this.addBytes(d, part.shardBytes);
      this.heat.addWritten(d, part.shardBytes);
      if (i < this.p.dataShards) this.heat.addHot(d, iops);
    }
    this.table.add(this.tmpDisks, this.p.dataShards, part.shardBytes, this.now, weight);
  }

  /** Publishes every disk's heat score to the view (failed disks read 0) and refreshes its aggregates. */
  private refreshHeat(): void {
    for (let d = 0; d < this.view.size; d++) {
      const s = this.view.state(d) === 'failed' ? 0 : this.heat.score(d, this.used[d] as number);
      this.scoreNow[d] = s;
      this.view.setHeat(d, s);
    }
    this.view.refreshAggregates();
  }

  private addBytes(d: number, bytes: number): void {
    this.used[d] = (this.used[d] as number) + bytes;
    this.view.addUsedBytes(d, bytes);
  }

  /** Moves shard `index` of `part` from its disk to `to`: bytes, heat (hot reads follow the shard) and I/O. */
  private relocate(part: number, index: number, to: number, copyIo: boolean): void {
    const from = this.table.diskOf(part, index);
    const bytes = this.table.shardBytes[part] as number;
    this.addBytes(from, -bytes);
    this.addBytes(to, bytes);
    this.heat.addWritten(to, bytes);
    if (copyIo) this.heat.addWritten(from, bytes);
    const iops = this.shardIops(part, index);
    if (iops > 0) {
      this.heat.removeHot(from, iops);
      this.heat.addHot(to, iops);
    }
    // Old shards (fill and drain take a disk's oldest) are cold: they stay out of the recent arrivals.
    const young = this.now - (this.table.bornAt[part] as number) < RECENT_AGE_CUTOFF * this.p.coolingSeconds;
    this.table.move(part, index, to, young);
  }

  /** Hot read IOPS a part's shard would serve now if it served all of the part's reads. */
  private partIops(part: number): number {
    if (this.factorAt !== this.now) {
      this.factorAt = this.now;
      this.factor = this.heat.nowFactor(this.now);
    }
    return (this.table.readWeight[part] as number) * this.factor;
  }

  /** Hot read IOPS shard `index` of `part` serves now (its share of the part's reads). */
  private shardIops(part: number, index: number): number {
    const share = this.table.shareOf(part, index);
    return share > 0 ? share * this.partIops(part) : 0;
  }

  /**
   * Where the frontends' read steering settles (see libs/frontend's
   * read-steering): every disk above the line sheds the reads of its
   * hottest recent shards to other shards of the same stripes, coolest disk
   * first, until it is back at the line or has nothing left to shed. Reads
   * move, I/O does not change: a full-stripe read reads k shards whichever
   * they are. Steering reacts within seconds, far under a step, so the sim
   * applies its equilibrium at each step's heat refresh, before the round,
   * and again after the round's moves.
   *
   * First no disk that takes reads is pushed above the line. A disk whose
   * parts have no room left under it is where that stops short of the
   * frontends: their controller raises a disk's skip probability for as
   * long as it is above the line, whatever its stripes' other disks carry,
   * and those disks' own controllers then shed their other stripes' reads
   * onto cooler disks. So the sim goes on in rounds: such a disk sheds to
   * the part's disks cooler than itself until they are level, and every
   * disk that this took over the line sheds its own reads under it again.
   */
  private steerReads(): void {
    const line = Math.max(this.p.steerReadsAbove * this.view.meanHeat, this.p.steerReadsMinHeat);
    if (!Number.isFinite(line) || line <= 0) return;
    // Disks held at the line drift a hair above it as the mean moves: not worth a pass each.
    const hotLine = line * (1 + STEER_TOLERANCE);
    // Nothing hot: no share moved, and the view is already current.
    if (!this.shedAll(line, hotLine, false)) return;
    for (let round = 0; round < this.p.steerLevelRounds; round++) {
      if (!this.shedAll(line, hotLine, true)) break;
      this.shedAll(line, hotLine, false);
    }
    this.refreshHeat();
  }

  /**
   * One pass over the disks above `hotLine`, hottest first: each sheds its
   * hottest recent shards' reads until it is at the line. Takers stay under
   * the line, or with `level` under the shedding disk itself (level with it
   * at most). Returns whether any disk was above `hotLine`.
   */
  private shedAll(line: number, hotLine: number, level: boolean): boolean {
    const score = this.scoreNow;
    const hot: number[] = [];
    for (let d = 0; d < this.view.size; d++)
      if (this.view.state(d) !== 'failed' && (score[d] as number) > hotLine) hot.push(d);
    if (hot.length === 0) return false;
    hot.sort((a, b) => (score[b] as number) - (score[a] as number));
    for (const d of hot) this.shed(d, line, level);
    return true;
  }

  private shed(d: number, line: number, level: boolean): void {
    const score = this.scoreNow;
    const scorePerIops = 1 / SATURATION_IOPS;
    // The disk's recent shards that take reads, then the hottest of them one at a time (a selection
    // as it goes: most disks are hot by a hair and need one or two, and sorting every ring was most
    // of a run's time).
    const { parts, indexes, iopsOf } = this.steerScratch;
    let n = 0;
    this.table.forEachRecentOn(d, (part, index) => {
      const iops = this.shardIops(part, index);
      if (iops <= 0) return true;
      parts[n] = part;
      indexes[n] = index;
      iopsOf[n++] = iops;
      return true;
    });
    for (let c = 0; c < n && c < STEER_SHARDS_PER_DISK; c++) {
      if ((score[d] as number) <= line) break;
      let top = c;
      for (let i = c + 1; i < n; i++) if ((iopsOf[i] as number) > (iopsOf[top] as number)) top = i;
      const part = parts[top] as number;
      const index = indexes[top] as number;
      parts[top] = parts[c] as number;
      indexes[top] = indexes[c] as number;
      iopsOf[top] = iopsOf[c] as number;
      const unit = this.partIops(part) * scorePerIops; // the heat of a whole share
      // Coolest other shard of the part with room first; each pass fills a target to its cap, fills
      // its share, or relieves the source, so there are at most width − 1 passes.
      for (let pass = 1; pass < this.width; pass++) {
        let best = -1;
        let bestScore = level ? (score[d] as number) : line;
        for (let j = 0; j < this.width; j++) {
          if (j === index || this.table.shareOf(part, j) >= 1) continue;
          const to = this.table.diskOf(part, j);
          if ((score[to] as number) < bestScore && this.view.state(to) !== 'failed') {
            best = j;
            bestScore = score[to] as number;
          }
        }
        if (best < 0) break;
        const to = this.table.diskOf(part, best);
        const room = level ? ((score[d] as number) - bestScore) / 2 : line - bestScore;
        const give = Math.min(
          this.table.shareOf(part, index),
          1 - this.table.shareOf(part, best),
          ((score[d] as number) - line) / unit,
          room / unit,
        );
        if (give <= 1e-6) break;
        this.table.shiftShare(part, index, best, give);
        const iops = give * this.partIops(part);
        this.heat.removeHot(d, iops);
        this.heat.addHot(to, iops);
        score[d] = (score[d] as number) - give * unit;
        score[to] = (score[to] as number) + give * unit;
        if ((score[d] as number) <= line || this.table.shareOf(part, index) <= 0) break;
      }
    }
  }

  /** Share of all hot read IOPS now served by parity shards. */
  private steeredReadShare(): number {
    let all = 0;
    let parity = 0;
    for (let part = 0; part < this.table.count; part++) {
      const iops = this.partIops(part);
      if (iops <= 0) continue;
      all += iops * this.p.dataShards;
      for (let i = this.p.dataShards; i < this.width; i++) parity += iops * this.table.shareOf(part, i);
    }
    return all > 0 ? parity / all : 0;
  }

  private buildView(): FleetView {
    const count = this.snapshots.length;
    const disks = this.snapshots.map((d, i) => ({ ...d, usedBytes: this.used[i] as number }));
    const view = FleetView.build(disks);
    for (let d = 0; d < count; d++) view.setHeat(d, this.scoreNow[d] as number);
    view.refreshAggregates();
    return view;
  }

  private addRack(): void {
    const shape = { ...this.p.shape, zones: 1, racksPerZone: 1, capacityBytes: this.capacity };
    for (const d of syntheticFleet(shape, 'new-')) this.snapshots.push(d);
    this.view = this.buildView();
  }

  /** Starts draining the last zone; returns the bytes it holds. */
  private drainZone(): number {
    const zone = `z${this.p.drainShape.zones - 1}`;
    for (const d of this.snapshots) if (d.zone === zone) d.state = 'draining';
    this.view = this.buildView();
    return this.drainingBytes();
  }

  private drainingBytes(): number {
    let bytes = 0;
    for (let d = 0; d < this.view.size; d++) if (this.view.state(d) === 'draining') bytes += this.used[d] as number;
    return bytes;
  }

  /** Fails `count` random ACTIVE disks and rebuilds their shards elsewhere at once. */
  private failDisks(count: number): void {
    if (count === 0) return;
    const failed: number[] = [];
    for (let tries = 0; failed.length < count && tries < 100 * count; tries++) {
      const d = this.rng.int(this.view.size);
      if (this.view.state(d) !== 'active' || failed.includes(d)) continue;
      failed.push(d);
      (this.snapshots[d] as DiskSnapshot).state = 'failed';
    }
    if (failed.length === 0) return;
    this.counters.diskFailures += failed.length;
    this.view = this.buildView();
    const others = new Int32Array(this.width);
    for (const d of failed) {
      this.table.forEachOn(d, (part, index) => {
        this.table.othersOf(part, index, others);
        try {
          const a = this.allocator.place(this.view, {
            dataShards: this.p.dataShards,
            parityShards: this.p.parityShards,
            sizeHintBytes: this.table.shardBytes[part] as number,
            shardIndexes: [index],
            occupied: others,
            excludeDisks: failed,
            ioClass: 'repair',
          });
          this.relocate(part, index, (a.shards[0] as { diskIndex: number }).diskIndex, false);
          this.counters.repaired++;
        } catch (err) {
          if (!(err instanceof PlacementError)) throw err;
          this.counters.unrepaired++;
        }
        return true;
      });
      // The failed disk's bytes are gone with it (repair moved each live shard's bytes away already).
      this.view.setUsedBytes(d, 0);
      this.used[d] = 0;
      this.heat.forget(d);
    }
  }

  /**
   * One rebalancing round: sources from the planner, their oldest shards
   * (fill, drain) or their hottest recent ones (heat) as candidates, moves
   * applied. Heat moves have a budget of their own.
   */
  private rebalance(): void {
    const planner = this.planner as RebalancePlanner;
    const limiter = this.limiter as ByteRateLimiter;
    const heatLimiter = this.heatLimiter as ByteRateLimiter;
    const nowMs = this.now * 1000;
    const budget = Math.max(0, limiter.available(nowMs));
    const heatBudget = Math.max(0, heatLimiter.available(nowMs));
    if (budget <= 0 && heatBudget <= 0) return;
    const sources = planner.selectSources(
      this.view,
      budget > 0 ? REBALANCE_SOURCES_PER_ROUND : 0,
      heatBudget > 0 ? this.heatSourcesPerRound : 0,
    );
    if (sources.length === 0) return;
    const candidates: MoveCandidate<number>[] = [];
    let gathered = 0;
    const perSource = planner.policy.maxBytesPerSource;
    const scorePerIops = 1 / SATURATION_IOPS;
    const shardHeat = (part: number, index: number): number => this.shardIops(part, index) * scorePerIops;
    const offer = (source: number, part: number, index: number, heat: number): void => {
      candidates.push({
        ref: part * this.width + index,
        stripeKey: part,
        sourceIndex: source,
        bytes: this.table.shardBytes[part] as number,
        heat,
        dataShards: this.p.dataShards,
        parityShards: this.p.parityShards,
        otherDisks: this.table.othersOf(part, index, new Int32Array(this.width)),
      });
    };
    // Heat first: its sources are hot now (hottest first), and its candidates are few and small.
    let heatGathered = 0;
    for (const source of sources) {
      if (source.reason !== 'heat') continue;
      if (heatGathered >= HEAT_CANDIDATE_OVERSUPPLY * heatBudget) break;
      const picked: Array<{ part: number; index: number; heat: number }> = [];
      this.table.forEachRecentOn(source.diskIndex, (part, index) => {
        const heat = shardHeat(part, index);
        if (heat > 0) picked.push({ part, index, heat });
        return true;
      });
      picked.sort((a, b) => b.heat - a.heat);
      for (const c of picked.slice(0, HEAT_CANDIDATES_PER_SOURCE)) {
        offer(source.diskIndex, c.part, c.index, c.heat);
        heatGathered += this.table.shardBytes[c.part] as number;
      }
    }
    for (const source of sources) {
      if (source.reason === 'heat') continue;
      if (gathered >= CANDIDATE_OVERSUPPLY * budget) break;
      const want = Math.min(source.bytesToShed, perSource) * 1.5;
      // Fill and drain move the oldest (coldest) shards.
      let fromThis = 0;
      this.table.forEachOn(source.diskIndex, (part, index) => {
        offer(source.diskIndex, part, index, shardHeat(part, index));
        const bytes = this.table.shardBytes[part] as number;
        fromThis += bytes;
        gathered += bytes;
        return fromThis < want;
      });
    }
    const plan = planner.planMoves(this.view, sources, candidates, budget, heatBudget);
    for (const move of plan.moves) {
      this.relocate(Math.floor(move.ref / this.width), move.ref % this.width, move.to, true);
      this.counters.byReason[move.reason] += move.bytes;
    }
    limiter.take(plan.bytes - plan.heatBytes, nowMs);
    heatLimiter.take(plan.heatBytes, nowMs);
    this.counters.moves += plan.moves.length;
    this.counters.movedBytes += plan.bytes;
  }

  /** Checks every part's final layout against the spread rules (one pass over the table). */
  private checkLayouts(): RunSummary['layoutViolations'] {
    const out = { maxMPerZone: 0, distinctDisks: 0, oneShardPerHost: 0, onFailedDisk: 0 };
    const zones = new Int32Array(this.view.zones.names.length);
    const hosts: number[] = [];
    const disks: number[] = [];
    for (let part = 0; part < this.table.count; part++) {
      zones.fill(0);
      hosts.length = 0;
      disks.length = 0;
      let zoneBroken = false;
      let failed = false;
      for (let i = 0; i < this.width; i++) {
        const d = this.table.diskOf(part, i);
        disks.push(d);
        hosts.push(this.view.hostOf[d] as number);
        const z = this.view.zoneOf[d] as number;
        zones[z] = (zones[z] as number) + 1;
        if ((zones[z] as number) > this.p.parityShards) zoneBroken = true;
        if (this.view.state(d) === 'failed') failed = true;
      }
      if (zoneBroken) out.maxMPerZone++;
      if (new Set(disks).size < this.width) out.distinctDisks++;
      if (new Set(hosts).size < this.width) out.oneShardPerHost++;
      if (failed) out.onFailedDisk++;
    }
    return out;
  }

  /** Disks above the hot line now, and how many of them are hot because of one shard (see duringMove). */
  private hotDiskAnatomy(): { above: number; oneShard: number; withoutTopShardMax: number } {
    const mean = this.view.meanHeat;
    const hotLine = HOT_DISK_OVER_MEAN * mean;
    const scorePerIops = 1 / SATURATION_IOPS;
    let above = 0;
    let oneShard = 0;
    let withoutTopShardMax = 0;
    for (let d = 0; d < this.view.size; d++) {
      const h = this.scoreNow[d] as number;
      if (h <= hotLine || this.view.state(d) !== 'active') continue;
      above++;
      let top = 0;
      this.table.forEachRecentOn(d, (part, index) => {
        const s = this.shardIops(part, index) * scorePerIops;
        if (s > top) top = s;
        return true;
      });
      if (h - top <= hotLine) oneShard++;
      withoutTopShardMax = Math.max(withoutTopShardMax, overMean(h - top, mean));
    }
    return { above, oneShard, withoutTopShardMax };
  }

  private newRackState(): {
    fillOverMean: number;
    heatMeanOverMean: number;
    heatMaxOverMean: number;
    fleetHeatMaxOverMean: number;
    rackHot: number;
    rackDisks: number;
    othersHot: number;
    otherDisks: number;
  } {
    const mean = this.view.meanHeat;
    const hotLine = HOT_DISK_OVER_MEAN * mean;
    let fill = 0;
    let heatSum = 0;
    let heatMax = 0;
    let rackHot = 0;
    for (let d = this.baseCount; d < this.view.size; d++) {
      const h = this.scoreNow[d] as number;
      fill += (this.used[d] as number) / this.capacity;
      heatSum += h;
      heatMax = Math.max(heatMax, h);
      if (h > hotLine) rackHot++;
    }
    let fleetMax = 0;
    let othersHot = 0;
    let otherDisks = 0;
    for (let d = 0; d < this.view.size; d++) {
      if (this.view.state(d) !== 'active') continue;
      const h = this.scoreNow[d] as number;
      fleetMax = Math.max(fleetMax, h);
      if (d < this.baseCount) {
        otherDisks++;
        if (h > hotLine) othersHot++;
      }
    }
    const added = this.view.size - this.baseCount;
    return {
      fillOverMean: overMean(fill / added, this.view.meanFill),
      heatMeanOverMean: overMean(heatSum / added, mean),
      heatMaxOverMean: overMean(heatMax, mean),
      fleetHeatMaxOverMean: overMean(fleetMax, mean),
      rackHot,
      rackDisks: added,
      othersHot,
      otherDisks,
    };
  }

  private sample(drainBytesAtStart: number): Sample {
    let n = 0;
    for (let d = 0; d < this.view.size; d++)
      if (this.view.state(d) === 'active') this.scratch[n++] = (this.used[d] as number) / this.capacity;
    const fill = distribution(this.scratch, n);
    n = 0;
    for (let d = 0; d < this.view.size; d++)
      if (this.view.state(d) === 'active') this.scratch[n++] = this.scoreNow[d] as number;
    const heat = distribution(this.scratch, n);
    const s: Sample = {
      hours: round4(this.now / 3600),
      stripes: this.stripes,
      fillMean: round4(fill.mean),
      fillMaxOverMean: round4(overMean(fill.max, fill.mean)),
      fillP99OverMean: round4(overMean(fill.p99, fill.mean)),
      fillMinOverMean: round4(overMean(fill.min, fill.mean)),
      heatMean: round4(heat.mean),
      heatMaxOverMean: round4(overMean(heat.max, heat.mean)),
      heatP99OverMean: round4(overMean(heat.p99, heat.mean)),
    };
    if (this.scenario === 'new-rack' && this.view.size > this.baseCount) {
      const r = this.newRackState();
      s.newRackFillOverMean = round4(r.fillOverMean);
      s.newRackHeatMeanOverMean = round4(r.heatMeanOverMean);
      s.newRackHeatMaxOverMean = round4(r.heatMaxOverMean);
    }
    if (this.scenario === 'zone-drain' && drainBytesAtStart > 0)
      s.drainLeft = round4(this.drainingBytes() / drainBytesAtStart);
    return s;
  }
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

/** A Poisson draw (Knuth; the means here are far below 1). */
function poisson(rng: Rng, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let prod = rng.next();
  while (prod > limit && k < 1000) {
    k++;
    prod *= rng.next();
  }
  return k;
}
