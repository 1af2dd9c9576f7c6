import type { RunResult, Scenario, Strategy } from './fleet-sim.js';
import { lineChart, type ChartSeries } from './svg-chart.js';

const COLORS: Record<Strategy, string> = { random: '#d62728', p2c: '#1f77b4', 'p2c-rebalance': '#2ca02c' };
const LABELS: Record<Strategy, string> = {
  random: 'random',
  p2c: 'power of two',
  'p2c-rebalance': 'power of two + rebalancer',
};
/** Target of the fill spread (max / mean) for power of two choices. */
export const FILL_MAX_OVER_MEAN_TARGET = 1.05;
/** Heat ceiling (max / mean) of a new rack's disks while it is being filled. */
export const NEW_RACK_HEAT_TARGET = 1.1;

export interface Chart {
  file: string;
  svg: string;
}

const days = (hours: number) => hours / 24;
/**
 * Spreads are plotted from this mean fill on: on a nearly empty fleet a
 * disk holding one shard more than the mean is "twice the mean", which says
 * nothing and would crush the scale of everything after.
 */
const PLOT_FROM_MEAN_FILL = 0.02;

function series(
  runs: readonly RunResult[],
  pick: (s: RunResult['samples'][number]) => number | undefined,
  suffix: string,
  dashed: boolean,
): ChartSeries[] {
  return runs.map((r) => ({
    name: `${LABELS[r.summary.strategy]} ${suffix}`,
    color: COLORS[r.summary.strategy],
    dashed,
    points: r.samples.flatMap((s) => {
      const v = pick(s);
      return v === undefined || s.fillMean < PLOT_FROM_MEAN_FILL ? [] : [[days(s.hours), v] as const];
    }),
  }));
}

/** The SVG charts of one scenario's runs. */
export function scenarioCharts(scenario: Scenario, runs: readonly RunResult[]): Chart[] {
  const charts: Chart[] = [
    {
      file: `${scenario}-fill.svg`,
      svg: lineChart({
        title: `Fill spread (${scenario}): max and p99 over mean, active disks, from 2% full`,
        xLabel: 'simulated days',
        yLabel: 'fill / fleet mean fill',
        series: [
          ...series(runs, (s) => s.fillMaxOverMean, 'max/mean', false),
          ...series(runs, (s) => s.fillP99OverMean, 'p99/mean', true),
        ],
        references: [{ y: FILL_MAX_OVER_MEAN_TARGET, label: `target max/mean ${FILL_MAX_OVER_MEAN_TARGET}` }],
      }),
    },
    {
      file: `${scenario}-heat.svg`,
      svg: lineChart({
        title: `Heat spread (${scenario}): max and p99 over mean, active disks, from 2% full`,
        xLabel: 'simulated days',
        yLabel: 'heat / fleet mean heat',
        series: [
          ...series(runs, (s) => s.heatMaxOverMean, 'max/mean', false),
          ...series(runs, (s) => s.heatP99OverMean, 'p99/mean', true),
        ],
      }),
    },
  ];
  if (scenario === 'new-rack')
    charts.push({
      file: 'new-rack-catch-up.svg',
      svg: lineChart({
        title: 'New rack of 120 disks: its mean fill and mean heat over the fleet means',
        xLabel: 'simulated days',
        yLabel: 'new rack / fleet mean',
        series: [
          ...series(runs, (s) => s.newRackFillOverMean, 'fill (rack mean)', false),
          ...series(runs, (s) => s.newRackHeatMeanOverMean, 'heat (rack mean)', true),
        ],
        references: [{ y: NEW_RACK_HEAT_TARGET, label: `heat ceiling ${NEW_RACK_HEAT_TARGET} × mean` }],
        yMin: 0,
      }),
    });
  if (scenario === 'zone-drain')
    charts.push({
      file: 'zone-drain-progress.svg',
      svg: lineChart({
        title: 'Zone drain: share of the zone’s bytes still on it',
        xLabel: 'simulated days',
        yLabel: 'bytes left / bytes at drain start',
        series: series(runs, (s) => s.drainLeft, 'left on the draining zone', false),
        yMin: 0,
        yMax: 1.05,
      }),
    });
  return charts;
}

/** The headline comparisons across runs (those whose runs were made). */
export function comparisons(runs: readonly RunResult[]): Record<string, unknown> {
  const find = (scenario: Scenario, strategy: Strategy) =>
    runs.find((r) => r.summary.scenario === scenario && r.summary.strategy === strategy)?.summary;
  const out: Record<string, unknown> = {};
  const random = find('steady', 'random');
  const p2c = find('steady', 'p2c');
  const reb = find('steady', 'p2c-rebalance');
  if (p2c !== undefined) {
    out.steadyP2cFillMaxOverMean = p2c.final.fillMaxOverMean;
    out.steadyP2cFillMaxOverMeanMeetsTarget = p2c.final.fillMaxOverMean <= FILL_MAX_OVER_MEAN_TARGET;
    out.steadyP2cHeatP99OverMean = p2c.secondHalf.heatP99OverMean;
  }
  if (reb !== undefined) out.steadyRebalanceFillMaxOverMean = reb.final.fillMaxOverMean;
  if (random !== undefined) {
    out.steadyRandomFillMaxOverMean = random.final.fillMaxOverMean;
    out.steadyRandomHeatP99OverMean = random.secondHalf.heatP99OverMean;
  }
  if (random !== undefined && p2c !== undefined)
    out.heatP99OverMeanRandomToP2c =
      Math.round((random.secondHalf.heatP99OverMean / p2c.secondHalf.heatP99OverMean) * 1e4) / 1e4;
  const rack = find('new-rack', 'p2c-rebalance');
  if (rack?.newRack !== undefined) {
    out.newRackReachedMeanAfterHours = rack.newRack.reachedMeanAfterHours;
    out.newRackMilestonesHours = rack.newRack.milestonesHours;
    out.newRackMeanHeatOverMeanMax = rack.newRack.duringMove.rackMeanHeatOverMeanMax;
    out.newRackMeanHeatMeetsTarget = rack.newRack.duringMove.rackMeanHeatOverMeanMax <= NEW_RACK_HEAT_TARGET;
    out.newRackHottestDiskOverMeanMax = rack.newRack.duringMove.rackMaxHeatOverMeanMax;
    out.fleetHottestDiskOverMeanMaxSamePeriod = rack.newRack.duringMove.fleetMaxHeatOverMeanMax;
    out.fleetHottestDiskMeetsTarget = rack.newRack.duringMove.fleetMaxHeatOverMeanMax <= NEW_RACK_HEAT_TARGET;
    out.hotDisksAfterRound = {
      diskSteps: rack.newRack.duringMove.hotDiskSteps,
      fromOneShard: rack.newRack.duringMove.hotDiskStepsFromOneShard,
      fleetMaxWithoutTopShardOverMeanMax: rack.newRack.duringMove.fleetMaxWithoutTopShardOverMeanMax,
    };
    out.atHeatRefreshBeforeMoves = {
      newRackHottestDiskOverMeanMax: rack.newRack.duringMove.rackMaxHeatOverMeanMaxAtRefresh,
      fleetHottestDiskOverMeanMax: rack.newRack.duringMove.fleetMaxHeatOverMeanMaxAtRefresh,
    };
    out.shareAbove110PctMeanHeat = {
      newRack: rack.newRack.duringMove.rackShareAboveHotLine,
      otherDisks: rack.newRack.duringMove.othersShareAboveHotLine,
    };
  }
  const rackP2c = find('new-rack', 'p2c');
  if (rackP2c?.newRack !== undefined)
    out.newRackWithoutRebalancerReachedAfterHours = rackP2c.newRack.reachedMeanAfterHours;
  const drain = find('zone-drain', 'p2c-rebalance');
  if (drain?.zoneDrain !== undefined) {
    out.zoneDrainedAfterHours = drain.zoneDrain.drainedAfterHours;
    out.zoneDrainLeftAtEnd = drain.zoneDrain.leftAtEnd;
  }
  return out;
}
