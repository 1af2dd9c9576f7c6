import { SCENARIOS, STRATEGIES, type Scenario, type Strategy } from './fleet-sim.js';

export interface SimArgs {
  quick: boolean;
  stripes: number;
  days: number;
  stepAllocations: number;
  samples: number;
  seed: number;
  strategies: Strategy[];
  scenarios: Scenario[];
  out: string | undefined;
  /** Foreground candidates per shard for the power-of-d strategies. */
  choices: number;
  /** Heat moves' budget as a share of the mean ingest rate. */
  heatShare: number;
  /** Relative heat above which the rebalancer relieves a disk. */
  heatHighWater: number;
  /** Relative heat above which frontends steer reads off a disk (Infinity: off). */
  steerAbove: number;
  /** Levelling rounds of the steering equilibrium (0: takers never pass the line). */
  steerLevelRounds: number;
  /** Score weights of the allocator (defaults: the library's). */
  score: { heat?: number; fill?: number; fillBonusCap?: number; overfill?: number; overfillAbove?: number };
}

/** Full run: ten million stripes over the 36,000-disk fleet. */
const FULL_STRIPES = 10_000_000;
/** Quick run: a tenth of that, so that all nine runs finish within about a minute on two cores. */
const QUICK_STRIPES = 1_000_000;

/** Heat moves' own budget, a share of the ingest rate: hot shards are small and few, so it is rarely all spent. */
const DEFAULT_HEAT_SHARE = 0.05;
/** Relieve a disk above 1.05 × the mean heat: below the 1.1 ceiling, so it is cooled before it gets there. */
const DEFAULT_HEAT_HIGH_WATER = 1.05;
/** The frontends' default (libs/frontend read-steering): the same margin under the 1.1 target. */
const DEFAULT_STEER_ABOVE = 1.05;

/** Levelling rounds of the steering equilibrium (fleet-sim.ts, steerReads): each stops early once nothing is hot. */
const DEFAULT_STEER_LEVEL_ROUNDS = 3;

export class SimArgsError extends Error {}

function list<T extends string>(value: string, allowed: readonly T[], what: string): T[] {
  const items = value.split(',').filter(Boolean);
  for (const item of items)
    if (!(allowed as readonly string[]).includes(item))
      throw new SimArgsError(`unknown ${what} ${item}: expected ${allowed.join(', ')}`);
  return items as T[];
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new SimArgsError(`--${name} must be a positive number, got ${value}`);
  return n;
}

/**
 * Parses `--quick --stripes=N --days=D --step=N --samples=N --seed=N
 * --strategies=a,b --scenarios=a,b --out=DIR --choices=D --heat-share=S
 * --heat-high-water=R --steer-above=R|off --heat-weight=W --fill-weight=W
 * --fill-bonus=B --overfill-weight=W --overfill-above=R`.
 */
export function parseSimArgs(argv: readonly string[]): SimArgs {
  const quick = argv.includes('--quick');
  const args: SimArgs = {
    quick,
    stripes: quick ? QUICK_STRIPES : FULL_STRIPES,
    days: 30,
    // Heat refreshes every this many allocations: per disk, the same staleness in both modes.
    stepAllocations: quick ? 200 : 2_000,
    samples: quick ? 60 : 150,
    seed: 1,
    strategies: [...STRATEGIES],
    scenarios: [...SCENARIOS],
    out: undefined,
    choices: 2,
    heatShare: DEFAULT_HEAT_SHARE,
    heatHighWater: DEFAULT_HEAT_HIGH_WATER,
    steerAbove: DEFAULT_STEER_ABOVE,
    steerLevelRounds: DEFAULT_STEER_LEVEL_ROUNDS,
    score: {},
  };
  for (const arg of argv) {
    if (arg === '--quick') continue;
    const m = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (m === null) throw new SimArgsError(`unexpected argument ${arg}`);
    const [, name, value] = m as unknown as [string, string, string];
    switch (name) {
      case 'stripes':
        args.stripes = Math.round(positive(name, value));
        break;
      case 'days':
        args.days = positive(name, value);
        break;
      case 'step':
        args.stepAllocations = Math.round(positive(name, value));
        break;
      case 'samples':
        args.samples = Math.round(positive(name, value));
        break;
      case 'seed':
        args.seed = Math.round(Number(value));
        break;
      case 'strategies':
        args.strategies = list(value, STRATEGIES, 'strategy');
        break;
      case 'scenarios':
        args.scenarios = list(value, SCENARIOS, 'scenario');
        break;
      case 'choices':
        args.choices = Math.round(positive(name, value));
        break;
      case 'heat-share':
        args.heatShare = positive(name, value);
        break;
      case 'heat-high-water':
        args.heatHighWater = positive(name, value);
        break;
      case 'steer-above':
        args.steerAbove = value === 'off' ? Number.POSITIVE_INFINITY : positive(name, value);
        break;
      case 'steer-level-rounds':
        args.steerLevelRounds = Math.round(Number(value));
        if (!(args.steerLevelRounds >= 0)) throw new SimArgsError(`--${name} must be 0 or more, got ${value}`);
        break;
      case 'out':
        args.out = value;
        break;
      case 'heat-weight':
        args.score.heat = Number(value);
        break;
      case 'fill-weight':
        args.score.fill = Number(value);
        break;
      case 'fill-bonus':
        args.score.fillBonusCap = Number(value);
        break;
      case 'overfill-weight':
        args.score.overfill = Number(value);
        break;
      case 'overfill-above':
        args.score.overfillAbove = Number(value);
        break;
      default:
        throw new SimArgsError(`unknown option --${name}`);
    }
  }
  return args;
}
