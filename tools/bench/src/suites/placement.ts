// Placement suite: the pure allocator in process, at fleet scale.
//
// A 36,000-disk fleet (3 zones × 100 racks × 10 hosts × 12 disks) with random
// heat and fill; allocations of 5+4 stripes (foreground, with a size hint and
// its reservation) and repairs of 2 lost shards (7 occupied disks). Latency
// is timed per call; throughput over an untimed loop. Between batches, usage
// and heat change and the view's aggregates are refreshed, as a heat refresh
// would (not timed: it runs once a second in the service, not per call).
// Target: p99 < 1 ms per allocation.
//
// Then `allocateRpc`: AllocateStripe (5+4, size hint) over loopback gRPC
// against the real service implementation (createPlacementService over a
// PlacementState holding the same 36,000-disk fleet), server in process,
// client in the same process on one channel with a fixed number of calls in
// flight: client and server share the one event loop, so this is a floor of
// what a placement replica serves on its own core.
//
// Args: --allocations=<timed calls per case, default 200000> --seed=<default 1>
//       --rpcs=<timed RPCs, default 20000> --inFlight=<default 64>
import { placementV1 } from '@platter/proto';
import { createRpcClient, createRpcServer } from '@platter/rpc';
import {
  Allocator,
  createPlacementService,
  createRng,
  FleetView,
  PlacementMetrics,
  PlacementState,
  syntheticFleet,
  type AllocateRequest,
  type DiskSnapshot,
  type DiskStateStore,
  type InventoryDisk,
  type Rng,
} from '@platter/placement';
import { createLogger, createMetricsRegistry } from '@platter/telemetry';

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
  rpcs: number;
  inFlight: number;
}

function parseArgs(args: string[]): Args {
  const get = (name: string): string | undefined =>
    args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return {
    allocations: Number(get('allocations') ?? 200_000),
    seed: Number(get('seed') ?? 1),
    rpcs: Number(get('rpcs') ?? 20_000),
    inFlight: Number(get('inFlight') ?? 64),
  };
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

/** The inventory record of a synthetic disk, as the service's etcd watch would give it. */
function inventoryDisk(d: DiskSnapshot): InventoryDisk {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    record: {
      diskId: d.diskId,
      nodeId: `storage-${d.host}`,
      labels: { zone: d.zone, rack: d.rack, host: d.host },
      state: d.state,
      capacityBytes: d.capacityBytes,
      createdAt: at,
      updatedAt: at,
    },
    stateEpoch: 2,
    live: { diskId: d.diskId, nodeId: `storage-${d.host}`, grpcAddress: '127.0.0.1:7000', since: at },
  };
}

const NO_STATE_CHANGES: DiskStateStore = {
  setState: () => Promise.reject(new Error('the bench changes no disk state')),
};

interface RpcResult {
  server: 'in-process';
  inFlight: number;
  calls: number;
  callsPerSecond: number;
  latencyMs: { p50: number; p99: number };
}

async function runRpcCase(disks: DiskSnapshot[], seed: number, calls: number, inFlight: number): Promise<RpcResult> {
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const state = new PlacementState();
  state.setInventory(disks.map(inventoryDisk), '1');
  const rng = createRng(seed + 2);
  const usage = new Map(disks.map((d) => [d.diskId, d.usedBytes]));
  for (const [id, used] of usage) {
    const i = state.view.indexOf(id);
    if (i !== undefined) state.view.setUsedBytes(i, used);
  }
  refresh(state.view, rng);
  const service = createPlacementService({
    state,
    allocator: new Allocator({ rng }),
    store: NO_STATE_CHANGES,
    metrics: new PlacementMetrics(createMetricsRegistry({ service: 'placement', instance: 'bench' }), state),
    now: () => performance.now(),
    logger,
  });
  const server = createRpcServer({ logger, registry: createMetricsRegistry({ service: 'rpc', instance: 'bench' }) });
  server.add(placementV1.PlacementService, service);
  const port = await server.listen('127.0.0.1:0');
  const client = createRpcClient(placementV1.PlacementService, `127.0.0.1:${port}`, { defaultTimeoutMs: 10_000 });
  const request = { dataShards: 5, parityShards: 4, sizeHintBytes: BigInt(SHARD_BYTES) };
  try {
    const once = async (n: number, lat?: Float64Array): Promise<void> => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < n) {
          const i = next++;
          const t0 = performance.now();
          const res = await client.allocateStripe(request);
          if (res.shards.length !== 9) throw new Error('short allocation');
          if (lat !== undefined) lat[i] = performance.now() - t0;
        }
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
    };
    await once(Math.min(2_000, calls));
    const lat = new Float64Array(calls);
    const t0 = performance.now();
    await once(calls, lat);
    const seconds = (performance.now() - t0) / 1000;
    lat.sort();
    const round = (v: number) => Math.round(v * 100) / 100;
    return {
      server: 'in-process',
      inFlight,
      calls,
      callsPerSecond: Math.round(calls / seconds),
      latencyMs: { p50: round(quantile(lat, 0.5)), p99: round(quantile(lat, 0.99)) },
    };
  } finally {
    client.close();
    await server.shutdown(1_000);
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { allocations, seed, rpcs, inFlight } = parseArgs(args);
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
  const allocateRpc = await runRpcCase(disks, seed, rpcs, inFlight);
  return {
    disks: view.size,
    hosts: view.hosts.names.length,
    viewBuildMs: Math.round(buildMs),
    allocationsPerCase: allocations,
    stripe5of9: stripe,
    repair2of9: repair,
    allocateRpc,
    allocateRpcsPerSecondOverLoopback: allocateRpc.callsPerSecond,
    p99TargetMs: P99_TARGET_MS,
    p99Met: stripe.latencyUs.p99 < P99_TARGET_MS * 1000 && repair.latencyUs.p99 < P99_TARGET_MS * 1000,
  };
}
