// Placement suite: the pure allocator in process, at fleet scale.
//
// A 36,000-disk fleet (3 zones × 100 racks × 10 hosts × 12 disks) with random
// heat and fill; allocations of 5+4 stripes (foreground, with a size hint and
// its reservation) and repairs of 2 lost shards (7 occupied disks). Latency
// is timed per call; throughput over an untimed loop. Between batches, usage
// and heat change and the view's aggregates are refreshed, as a heat refresh
// would (not timed: it runs once a second in the service, not per call).
// Target: p99 < 1 ms per allocation. Allocate RPCs over loopback come with
// the service.
//
// Args: --allocations=<timed calls per case, default 200000> --seed=<default 1>
import { Allocator, createRng, FleetView, syntheticFleet, type AllocateRequest, type Rng } from '@platter/placement';

const FLEET = { zones: 3, racksPerZone: 100, hostsPerRack: 10, disksPerHost: 12, capacityBytes: 16e12 };
const SHARD_BYTES = 8 * 2 ** 20;
/** Calls between two refreshes of usage and heat: about a second of a busy placement replica. */
const REFRESH_EVERY = 5_000;
const WARM_UP_CALLS = 20_000;
const P99_TARGET_MS = 1;
/** Distinct repair requests cycled through (stripes whose other shards sit on random disks). */
const REPAIR_REQUESTS = 4_096;

interface Args {
  allocations: number;
  seed: number;
}

function parseArgs(args: string[]): Args {
  const get = (name: string): string | undefined =>
    args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return { allocations: Number(get('allocations') ?? 200_000), seed: Number(get('seed') ?? 1) };
}

function refresh(view: FleetView, rng: Rng): void {
  for (let j = 0; j < 500; j++) {
    const d = rng.int(view.size);
    view.setHeat(d, rng.next() < 0.02 ? undefined : 0.1 + 0.5 * rng.next());
  }
  view.refreshAggregates();
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

interface CaseResult {
  callsPerSecond: number;
  latencyUs: { p50: number; p99: number; p999: number; max: number };
  underSpread: number;
}

function runCase(
  view: FleetView,
  allocator: Allocator,
  rng: Rng,
  n: number,
  request: () => AllocateRequest,
): CaseResult {
  let clock = 0;
  for (let i = 0; i < WARM_UP_CALLS; i++) allocator.allocate(view, request(), clock++);
  const lat = new Float64Array(n);
  let underSpread = 0;
  for (let i = 0; i < n; i++) {
    if (i % REFRESH_EVERY === 0) refresh(view, rng);
    const r = request();
    const t0 = process.hrtime.bigint();
    const a = allocator.allocate(view, r, clock++);
    lat[i] = Number(process.hrtime.bigint() - t0) / 1e3;
    if (a.underSpread) underSpread++;
  }
  let done = 0;
  const t0 = process.hrtime.bigint();
  while (done < n) {
    refresh(view, rng);
    const end = Math.min(n, done + REFRESH_EVERY);
    for (; done < end; done++) allocator.allocate(view, request(), clock++);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  lat.sort();
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    callsPerSecond: Math.round(n / seconds),
    latencyUs: {
      p50: round(quantile(lat, 0.5)),
      p99: round(quantile(lat, 0.99)),
      p999: round(quantile(lat, 0.999)),
      max: round(lat[lat.length - 1] as number),
    },
    underSpread,
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { allocations, seed } = parseArgs(args);
  const rng = createRng(seed);
  const disks = syntheticFleet(FLEET).map((d) => ({ ...d, usedBytes: FLEET.capacityBytes * (0.4 + 0.2 * rng.next()) }));
  const buildStart = process.hrtime.bigint();
  const view = FleetView.build(disks);
  const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
  refresh(view, rng);
  const allocator = new Allocator({ rng: createRng(seed + 1) });

  const stripe = runCase(view, allocator, rng, allocations, () => ({
    dataShards: 5,
    parityShards: 4,
    sizeHintBytes: SHARD_BYTES,
  }));
  // Repair requests are built ahead so that building them is not timed.
  const repairs: AllocateRequest[] = Array.from({ length: REPAIR_REQUESTS }, () => {
    const base = allocator.allocate(view, { dataShards: 5, parityShards: 4 });
    return {
      dataShards: 5,
      parityShards: 4,
      sizeHintBytes: SHARD_BYTES,
      shardIndexes: [1, 6],
      occupiedDiskIds: base.shards.filter((s) => s.shardIndex !== 1 && s.shardIndex !== 6).map((s) => s.diskId),
      excludeDiskIds: [base.shards[1]?.diskId as string],
      ioClass: 'repair',
    };
  });
  let next = 0;
  const repair = runCase(view, allocator, rng, allocations, () => repairs[next++ % REPAIR_REQUESTS] as AllocateRequest);
  await Promise.resolve();
  return {
    disks: view.size,
    hosts: view.hosts.names.length,
    viewBuildMs: Math.round(buildMs),
    allocationsPerCase: allocations,
    stripe5of9: stripe,
    repair2of9: repair,
    p99TargetMs: P99_TARGET_MS,
    p99Met: stripe.latencyUs.p99 < P99_TARGET_MS * 1000 && repair.latencyUs.p99 < P99_TARGET_MS * 1000,
  };
}
