// `npm run sim -- [--quick] [--stripes=N] [--strategies=a,b] [--scenarios=a,b] [--seed=N] [--out=DIR]`
//
// Drives the real @platter/placement allocator and rebalance planner over a
// synthetic fleet (3 zones × 100 racks × 10 hosts × 12 disks), comparing
// strategies (random, power of two, power of two + rebalancer) in scenarios
// (steady state, a new empty rack, a drained zone). Writes summary.json,
// timeseries.json and SVG charts to tools/sim/out/ and prints one JSON line
// with the headline figures last.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Allocator, createRng, FleetView, PlacementError, syntheticFleet } from '@platter/placement';
import { calibrate } from './calibration.js';
import type { RunResult, Scenario, SimParams, Strategy } from './fleet-sim.js';
import { comparisons, scenarioCharts } from './report.js';
import { parseSimArgs, SimArgsError } from './sim-args.js';
import { DEFAULT_WORKLOAD } from './workload.js';

const MiB = 2 ** 20;
/** The frontends' default heat floor for read steering (libs/frontend config readSteerMinHeat). */
const STEER_MIN_HEAT = 0.25;
/** Mean fill the fleet reaches at the end of a steady run: disks are sized from the workload to land there. */
const TARGET_FINAL_FILL = 0.6;
const OUT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../out');

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} sim: ${message}\n`);
}

/** What happens on a 3-zone fleet when a zone drains with 5+4: the zone rule makes every write fail. */
function threeZoneDrainCheck(): string {
  const disks = syntheticFleet({
    zones: 3,
    racksPerZone: 1,
    hostsPerRack: 3,
    disksPerHost: 3,
    capacityBytes: 1e12,
  }).map((d) => (d.zone === 'z2' ? { ...d, state: 'draining' as const } : d));
  try {
    new Allocator({ rng: createRng(1) }).allocate(FleetView.build(disks), { dataShards: 5, parityShards: 4 });
    return 'allowed';
  } catch (err) {
    if (err instanceof PlacementError) return `refused: ${err.message}`;
    throw err;
  }
}

/** One run in a worker thread (runs are independent: a sim's runs share the cores). */
function runInWorker(params: SimParams, strategy: Strategy, scenario: Scenario): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./run-worker.js', import.meta.url), {
      workerData: { params, strategy, scenario },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${scenario}/${strategy} worker exited with ${code}`));
    });
  });
}

/** Wall time of a run by strategy, relative (quick runs here: 24–33 s, 13–16 s, 12–14 s). */
const RELATIVE_COST: Record<Strategy, number> = { 'p2c-rebalance': 3, random: 2, p2c: 1 };

/**
 * Maps `items` through `fn`, at most `limit` at a time, the costliest first
 * (so that no core idles while the last long run finishes), results in the
 * items' order.
 */
async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  cost: (item: T) => number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  const order = items.map((_, i) => i).sort((a, b) => cost(items[b] as T) - cost(items[a] as T));
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < order.length) {
      const i = order[next++] as number;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return out;
}

async function main(): Promise<void> {
  const args = parseSimArgs(process.argv.slice(2));
  const started = Date.now();
  const dataShards = 5;
  const parityShards = 4;
  const workload = { ...DEFAULT_WORKLOAD, dataShards, blockBytes: MiB };
  const cal = calibrate(workload, args.seed);
  const expectedParts = Math.ceil(args.stripes / cal.meanStripesPerPart);
  // Quick runs a tenth of the stripes on a tenth of the fleet, so each disk sees as many shards as in a full run.
  const shape = { zones: 3, racksPerZone: args.quick ? 10 : 100, hostsPerRack: 10, disksPerHost: 12, capacityBytes: 0 };
  const disks = shape.zones * shape.racksPerZone * shape.hostsPerRack * shape.disksPerHost;
  const totalBytes = expectedParts * cal.meanShardBytes * (dataShards + parityShards);
  shape.capacityBytes = Math.ceil(totalBytes / disks / TARGET_FINAL_FILL / MiB) * MiB;
  const params: SimParams = {
    shape,
    // Same disk count over four zones: with 5+4, three zones minus one cannot hold a stripe (8 < 9).
    drainShape: { ...shape, zones: 4, racksPerZone: (shape.racksPerZone * 3) / 4 },
    dataShards,
    parityShards,
    blockBytes: MiB,
    stripes: args.stripes,
    expectedParts,
    meanShardBytes: cal.meanShardBytes,
    days: args.days,
    stepAllocations: args.stepAllocations,
    samples: args.samples,
    annualFailureRate: 0.02,
    eventAt: 1 / 3,
    rebalanceShareOfIngest: 0.25,
    heatRebalanceShareOfIngest: args.heatShare,
    heatHighWater: args.heatHighWater,
    steerReadsAbove: args.steerAbove,
    steerReadsMinHeat: STEER_MIN_HEAT,
    steerLevelRounds: args.steerLevelRounds,
    choices: args.choices,
    coolingSeconds: 86_400,
    seed: args.seed,
    workload,
    score: args.score,
  };
  log(
    `${disks} disks of ${(shape.capacityBytes / 2 ** 30).toFixed(2)} GiB (scaled so the fleet ends near ${TARGET_FINAL_FILL * 100}% full), ` +
      `${args.stripes} stripes ≈ ${expectedParts} parts, ${args.days} simulated days`,
  );
  const jobs = args.scenarios.flatMap((scenario) =>
    args.strategies.map((strategy) => ({ scenario, strategy, steer: true })),
  );
  // With steering on, every strategy's heat p99 sits at the steering line: what placement alone does
  // to heat (random against power of two) shows only without it, in two short extra runs.
  if (
    Number.isFinite(args.steerAbove) &&
    args.scenarios.includes('steady') &&
    args.strategies.includes('random') &&
    args.strategies.includes('p2c')
  )
    for (const strategy of ['random', 'p2c'] as const) jobs.push({ scenario: 'steady', strategy, steer: false });
  const results = await inParallel(
    jobs,
    os.availableParallelism(),
    (job) => (job.steer ? RELATIVE_COST[job.strategy] : 0),
    async ({ scenario, strategy, steer }) => {
      const result = await runInWorker(
        steer ? params : { ...params, steerReadsAbove: Number.POSITIVE_INFINITY },
        strategy,
        scenario,
      );
      const s = result.summary;
      log(
        `${scenario}/${strategy}${steer ? '' : ' (placement alone)'}: ${s.wallSeconds}s wall, fill max/mean ${s.final.fillMaxOverMean}, ` +
          `heat p99/mean ${s.secondHalf.heatP99OverMean} (2nd half), moves ${s.moves}, failed allocations ${s.failedAllocations}, ` +
          `layout violations ${JSON.stringify(s.layoutViolations)}`,
      );
      return result;
    },
  );
  const runs = results.filter((_, i) => jobs[i]?.steer === true);
  const aloneRuns = results.filter((_, i) => jobs[i]?.steer === false);

  const out = args.out === undefined ? OUT_DIR : path.resolve(args.out);
  fs.mkdirSync(out, { recursive: true });
  const chartFiles: string[] = [];
  for (const scenario of args.scenarios) {
    for (const chart of scenarioCharts(
      scenario,
      runs.filter((r) => r.summary.scenario === scenario),
    )) {
      const file = path.join(out, chart.file);
      fs.writeFileSync(file, chart.svg);
      chartFiles.push(file);
    }
  }
  const headline = comparisons(runs);
  if (aloneRuns.length > 0) {
    const a = comparisons(aloneRuns);
    headline.placementAlone = {
      steadyP2cFillMaxOverMean: a.steadyP2cFillMaxOverMean,
      steadyP2cHeatP99OverMean: a.steadyP2cHeatP99OverMean,
      steadyRandomHeatP99OverMean: a.steadyRandomHeatP99OverMean,
      heatP99OverMeanRandomToP2c: a.heatP99OverMeanRandomToP2c,
    };
  }
  const summaryFile = path.join(out, 'summary.json');
  const summary = {
    generatedAt: new Date().toISOString(),
    quick: args.quick,
    wallSeconds: Math.round((Date.now() - started) / 1000),
    fleet: { ...shape, disks, erasure: `${dataShards}+${parityShards}`, blockBytes: MiB },
    workload: { ...workload, calibration: cal, expectedParts },
    params: { ...params, workload: undefined },
    threeZoneDrain: threeZoneDrainCheck(),
    headline,
    runs: runs.map((r) => r.summary),
    placementAloneRuns: aloneRuns.map((r) => r.summary),
    charts: chartFiles,
  };
  fs.writeFileSync(summaryFile, JSON.stringify(summary, null, 2));
  fs.writeFileSync(
    path.join(out, 'timeseries.json'),
    JSON.stringify(
      runs.map((r) => ({ strategy: r.summary.strategy, scenario: r.summary.scenario, samples: r.samples })),
    ),
  );
  console.log(
    JSON.stringify({
      sim: 'placement',
      quick: args.quick,
      disks,
      stripes: args.stripes,
      wallSeconds: summary.wallSeconds,
      readSteering: Number.isFinite(args.steerAbove)
        ? `above ${args.steerAbove} × mean, ${args.steerLevelRounds} levelling rounds`
        : 'off',
      ...headline,
      summary: summaryFile,
      charts: chartFiles,
    }),
  );
}

main().catch((err: unknown) => {
  if (err instanceof SimArgsError) {
    console.error(`sim: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
