// Namespace suite: the real service, three `apps/namespace` processes
// (built: npx tsc -b apps/namespace) on a private etcd, 3 partitions × chains
// of 3, driven through NamespaceRouter from this process over loopback gRPC.
//
// - commits: conditional (If-None-Match: *) inline PUTs of new keys (small body) with `inFlight` in flight
//   for `seconds`: commits/s and latency (each one answered after the tail's
//   ack: head execute + flush, two Forward hops with a flush each, acks back).
// - lookups: GetObject (metadata only) of random keys from the tail.
// - list: ListObjects pages of 1,000 keys from a random start-after in a
//   bucket of `listKeys` keys: every partition's tail pages, merged here;
//   first 4 pages in flight (the two cores saturated: throughput, and
//   latency with queueing), then one page at a time (a page's own latency).
//
// Targets (ARCHITECTURE, this machine): ≥ 3,000 commits/s, ≥ 10,000
// lookups/s, 1,000-key list p99 < 50 ms. Two cores are shared by the three
// replicas, etcd and the load generator, so these are floors.
//
// Besides rates and latencies, each case reports the CPU (user + system) per
// operation of every process (`cpuMsPerOp`, from /proc: on a shared machine
// the rates follow everyone's load, this much less), the background CPU of
// the idle cluster (`idleCpuMsPerSecond`), and for commits how well the chain
// batches (`chain`: entries per Forward, calls served per commit by method).
//
// - commitsByInFlight: the same commits at other concurrencies (--sweep), each
//   for `seconds`, to show throughput against latency: the chain batches more
//   as more commits wait, so commits/s grows with concurrency until the two
//   cores are spent. The headline `commits` stays at `inFlight`.
//
// Args: --seconds=<per case, default 5> --inFlight=<default 64> --listKeys=<default 5000>
// --sweep=<in-flight list, default 32,128; "" for none>
// --bodyBytes=<inline body per committed version, default 100>
// --warmupSeconds=<default 20>: commits at `inFlight` before any case (below).
//
// Warm-up. Freshly started replicas spend their first seconds of load
// compiling (V8 tiers the hot paths up while it runs them) and growing their
// heaps: nine 3 s runs at 64 in flight back to back went 1,859 → 2,312 →
// 2,672 → … → 3,091 commits/s (0.98 → 0.56 ms of CPU per commit); after
// the first ~10 s the VM's run-to-run spread is as large as what is left of
// the effect, so 20 s covers it. A replica serves for weeks, so the cases
// measure after the warm-up; its own figures are reported as `warmup`, the
// cold rate, so that the difference stays visible.
// --noBatch: the router sends every call on its own instead of coalescing
// concurrent PutObject / DeleteObject / metadata-only GetObject calls per
// replica into Batch calls (its default), to compare the two.
// --cpuProfDir=<dir>: the namespace processes run with --cpu-prof into it, and
// `phasesMonotonicUs` gives each case's window on the profiles' clock (run
// this process with node --cpu-prof too to profile the router).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectEtcd, defaultClusterConfig, ensureClusterConfig, Keyspace, ChainRecordCodec } from '@platter/cluster';
import { NamespaceRouter } from '@platter/namespace-client';
import { namespaceV1 } from '@platter/proto';
import { createLogger } from '@platter/telemetry';
import {
  freePort,
  shippedProcessSettings,
  startEtcd,
  startProcess,
  waitFor,
  type ProcessHandle,
} from '@platter/testkit';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const MAIN = path.join(ROOT, 'apps', 'namespace', 'dist', 'main.js');
// As the local cluster (deploy/local/cluster.yaml): its partition count, and
// every replica started with its node flags and environment, so that the
// figures are its own.
const SHIPPED = shippedProcessSettings();
const PARTITIONS = SHIPPED.partitions;
// PUTs in flight while filling the listing bucket: loading is about throughput
// (batches grow with concurrency), and a 1,000,000-key bucket takes ~15 min at 256.
const LIST_LOAD_IN_FLIGHT = 256;
const MEMBERS = ['nsb-1', 'nsb-2', 'nsb-3'];
const LIST_PAGE = 1_000;
/** List pages in flight in the loaded list case; a second case lists one page at a time. */
const LIST_IN_FLIGHT = 4;
// How long the idle background CPU is sampled, ms.
const IDLE_SAMPLE_MS = 2_000;

interface Args {
  seconds: number;
  inFlight: number;
  listKeys: number;
  /** Where the namespace processes write `--cpu-prof` profiles (none if unset). */
  cpuProfDir: string | undefined;
  /** Router batching (NamespaceRouterOptions.batching). */
  batching: boolean;
  /** Other concurrencies the commit case also runs at. */
  sweep: number[];
  /** Inline body of every committed version (the S3 bench's 4 KiB PUT commits 4,096). */
  bodyBytes: number;
  /** Commits run before the measured cases, reported apart as `warmup`. */
  warmupSeconds: number;
}

function parseArgs(args: string[]): Args {
  const get = (name: string): string | undefined =>
    args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return {
    seconds: Number(get('seconds') ?? 5),
    inFlight: Number(get('inFlight') ?? 64),
    listKeys: Number(get('listKeys') ?? 5_000),
    cpuProfDir: get('cpuProfDir'),
    batching: !args.includes('--noBatch'),
    sweep: (get('sweep') ?? '32,128')
      .split(',')
      .filter((s) => s !== '')
      .map(Number),
    bodyBytes: Number(get('bodyBytes') ?? 100),
    warmupSeconds: Number(get('warmupSeconds') ?? 20),
  };
}

interface Figures {
  perSecond: number;
  count: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** CPU (user + system) per operation, ms, per process: load-independent, unlike the rates. */
  cpuMsPerOp: Record<string, number>;
}

// Linux clock ticks per second (USER_HZ) for /proc/<pid>/stat's utime and stime.
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU ms used so far by each watched process ('bench' is this one). */
type CpuReader = () => Record<string, number>;

function cpuReader(procs: Array<{ name: string; pid: number | undefined }>): CpuReader {
  return () => {
    const out: Record<string, number> = {};
    const own = process.cpuUsage();
    out['bench'] = (own.user + own.system) / 1000;
    for (const p of procs) {
      if (p.pid === undefined) continue;
      try {
        const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // utime and stime are fields 14 and 15 of stat(5); fields[0] is field 3.
        out[p.name] = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
      } catch {
        // Not Linux, or the process is gone: no figure for it.
      }
    }
    return out;
  };
}

// Monotonic µs (the clock V8's CPU profiles use), so a profile can be cut per case.
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);
/** Where each case started and ended (monotonic µs): for slicing --cpuProfDir profiles. */
const phases: Record<string, [number, number]> = {};

interface ChainCounts {
  entries: number;
  hops: number;
  /** Calls served by every process so far, by method (platter_rpc_server_handled_total). */
  calls: Record<string, number>;
}

/** Journal entries forwarded, Forward round trips and calls served so far, over every process. */
async function chainCounts(adminPorts: number[]): Promise<ChainCounts> {
  const out: ChainCounts = { entries: 0, hops: 0, calls: {} };
  for (const port of adminPorts) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (name: string): number =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    out.entries += value('platter_namespace_forwarded_entries_total');
    out.hops += value('platter_namespace_chain_hop_seconds_count');
    for (const m of text.matchAll(/^platter_rpc_server_handled_total\{([^}]*)\} (\S+)$/gm)) {
      const method = /method="([^"]*)"/.exec(m[1] ?? '')?.[1] ?? '?';
      out.calls[method] = (out.calls[method] ?? 0) + Number(m[2]);
    }
  }
  return out;
}

/** Per commit between two counts: entries per Forward and calls served per method. */
function perCommit(before: ChainCounts, after: ChainCounts, commits: number): Record<string, number> {
  const round = (x: number): number => Math.round(x * 100) / 100;
  const out: Record<string, number> = {
    entriesPerForward: round((after.entries - before.entries) / Math.max(1, after.hops - before.hops)),
  };
  for (const [method, n] of Object.entries(after.calls)) {
    const calls = n - (before.calls[method] ?? 0);
    if (calls > 0) out[`${method}CallsPerCommit`] = round(calls / Math.max(1, commits));
  }
  return out;
}

/** Runs `op` with `inFlight` loops for `seconds`, timing every call. */
async function closedLoop(
  cpu: CpuReader,
  inFlight: number,
  seconds: number,
  op: (i: number) => Promise<unknown>,
  name?: string,
): Promise<Figures> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const started = performance.now();
  const startedUs = monotonicUs();
  const cpuBefore = cpu();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op(n++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  if (name !== undefined) phases[name] = [startedUs, monotonicUs()];
  const cpuAfter = cpu();
  const cpuMsPerOp: Record<string, number> = {};
  let totalMs = 0;
  for (const [proc, ms] of Object.entries(cpuAfter)) {
    const used = ms - (cpuBefore[proc] ?? ms);
    totalMs += used;
    cpuMsPerOp[proc] = Math.round((used / Math.max(1, latencies.length)) * 1000) / 1000;
  }
  cpuMsPerOp['total'] = Math.round((totalMs / Math.max(1, latencies.length)) * 1000) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number): number =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0) * 100) / 100;
  return {
    perSecond: Math.round(latencies.length / elapsed),
    count: latencies.length,
    latencyMs: { p50: q(0.5), p99: q(0.99), max: q(1) },
    cpuMsPerOp,
  };
}

export async function run(argv: string[]): Promise<Record<string, unknown>> {
  const args = parseArgs(argv);
  if (args.sweep.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error('--sweep takes in-flight counts ≥ 1, comma-separated');
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'platter-bench-ns-'));
  const etcdServer = await startEtcd();
  const etcd = connectEtcd(etcdServer.endpoints);
  const keyspace = new Keyspace();
  const procs: ProcessHandle[] = [];
  const adminPorts: number[] = [];
  let router: NamespaceRouter | undefined;
  try {
    await ensureClusterConfig(etcd, keyspace, defaultClusterConfig({ partitions: PARTITIONS }));
    for (const id of MEMBERS) {
      const admin = await freePort();
      adminPorts.push(admin);
      procs.push(
        await startProcess({
          name: id,
          command: process.execPath,
          args: [
            ...SHIPPED.nodeArgs,
            ...(args.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${args.cpuProfDir}`] : []),
            MAIN,
          ],
          env: {
            ...SHIPPED.serviceEnv,
            PLATTER_ID: id,
            PLATTER_ETCD_ENDPOINTS: etcdServer.clientUrl,
            PLATTER_ADMIN_PORT: String(admin),
            PLATTER_DATA_DIR: path.join(dataDir, id),
            PLATTER_BOOTSTRAP_WAIT_MS: '20000',
            PLATTER_MAP_SIZE_BYTES: String(4 * 2 ** 30),
            PLATTER_LOG_LEVEL: 'warn',
          },
          logFile: path.join(dataDir, `${id}.log`),
          readyUrl: `http://127.0.0.1:${admin}/readyz`,
        }),
      );
    }
    await waitFor(
      'chains of 3',
      async () => {
        const res = await etcd.getAll().prefix(keyspace.chainsPrefix()).exec();
        const chains = res.kvs.map((kv) => ChainRecordCodec.decode(kv.value));
        return chains.length === PARTITIONS && chains.every((c) => c.replicas.length === 3);
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const cpu = cpuReader([...procs, { name: 'etcd', pid: etcdServer.pid }]);
    router = await NamespaceRouter.open({ etcd, keyspace, logger, batching: args.batching });
    const ns = router;
    const bucket = 'bench-bucket';
    await ns.createBucket({ writeId: 'bench-create', name: bucket, ownerAccountId: 'acct-1' });
    const body = Buffer.alloc(args.bodyBytes, 'x');
    // Conditional, as the target is stated: If-None-Match: * on fresh keys (each one commits).
    const put = (key: string, i: number) =>
      ns.putObject({
        writeId: `bench-${i}-${key}`,
        bucket,
        key,
        condition: { kind: namespaceV1.ConditionKind.IF_NONE_MATCH_ANY },
        size: BigInt(body.length),
        etag: '9dd4e461268c8034f5c8564e155c67a6',
        ownerAccountId: 'acct-1',
        layout: { data: { case: 'inlineData', value: body } },
      });
    // Warm up connections and JIT.
    await closedLoop(cpu, 8, 1, (i) => put(`warm/${i}`, i));
    // Background CPU with no load (leases, watches, keepalives, timers): what a
    // slow case's cpuMsPerOp carries besides the operations themselves.
    const idleBefore = cpu();
    await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
    const idleAfter = cpu();
    const idleCpuMsPerSecond: Record<string, number> = {};
    for (const [proc, ms] of Object.entries(idleAfter)) {
      idleCpuMsPerSecond[proc] = Math.round(((ms - (idleBefore[proc] ?? ms)) * 1000) / IDLE_SAMPLE_MS);
    }
    // Conditional commits of fresh keys named `${prefix}${i}` at one concurrency, with how the chain batched them.
    const commitCase = async (inFlight: number, prefix: string, phase?: string, seconds = args.seconds) => {
      const before = await chainCounts(adminPorts);
      const figures = await closedLoop(
        cpu,
        inFlight,
        seconds,
        (i) => put(`${prefix}${String(i).padStart(8, '0')}`, i),
        phase,
      );
      return { ...figures, chain: perCommit(before, await chainCounts(adminPorts), figures.count) };
    };
    const warmup =
      args.warmupSeconds > 0
        ? { seconds: args.warmupSeconds, ...(await commitCase(args.inFlight, 'w/', 'warmup', args.warmupSeconds)) }
        : undefined;
    const commits = await commitCase(args.inFlight, 'c/', 'commits');
    const written = commits.count;
    const commitsByInFlight: Record<string, Awaited<ReturnType<typeof commitCase>>> = {};
    for (const inFlight of args.sweep) commitsByInFlight[inFlight] = await commitCase(inFlight, `s${inFlight}/`);
    const lookups = await closedLoop(
      cpu,
      args.inFlight,
      args.seconds,
      (i) =>
        ns.getObject({
          bucket,
          key: `c/${String((i * 7919) % written).padStart(8, '0')}`,
          metadataOnly: true,
        }),
      'lookups',
    );
    // A listing bucket of listKeys keys (loaded with the same PUTs).
    const listBucket = 'bench-list';
    await ns.createBucket({ writeId: 'bench-list-create', name: listBucket, ownerAccountId: 'acct-1' });
    let loaded = 0;
    await Promise.all(
      Array.from({ length: LIST_LOAD_IN_FLIGHT }, async () => {
        while (loaded < args.listKeys) {
          const i = loaded++;
          await ns.putObject({
            writeId: `list-${i}`,
            bucket: listBucket,
            key: `k/${String(i).padStart(8, '0')}`,
            size: BigInt(body.length),
            etag: '9dd4e461268c8034f5c8564e155c67a6',
            ownerAccountId: 'acct-1',
            layout: { data: { case: 'inlineData', value: body } },
          });
        }
      }),
    );
    let listed = 0;
    const listPage = async (i: number): Promise<void> => {
      const start = (i * 104729) % Math.max(1, args.listKeys - 2 * LIST_PAGE);
      const page = await ns.listObjects({
        bucket: listBucket,
        startAfter: `k/${String(start).padStart(8, '0')}`,
        maxKeys: LIST_PAGE,
      });
      // A merged page may stop short of max-keys (exactly, with a token), never be empty.
      if (page.objects.length === 0 || !page.isTruncated) throw new Error(`page of ${page.objects.length} keys`);
      listed += page.objects.length;
    };
    // Loaded (4 pages in flight: the cores are saturated, latency includes queueing), then one page at a time.
    const list = await closedLoop(cpu, LIST_IN_FLIGHT, args.seconds, listPage, 'list');
    const listedLoaded = listed;
    listed = 0;
    const listOne = await closedLoop(cpu, 1, args.seconds, listPage, 'listOneInFlight');
    return {
      partitions: PARTITIONS,
      replicas: 3,
      inFlight: args.inFlight,
      batching: args.batching,
      idleCpuMsPerSecond,
      warmup,
      commits,
      commitsByInFlight,
      lookups,
      list1000: {
        inFlight: LIST_IN_FLIGHT,
        bucketKeys: args.listKeys,
        ...list,
        meanKeysPerPage: Math.round(listedLoaded / Math.max(1, list.count)),
      },
      list1000OneInFlight: { ...listOne, meanKeysPerPage: Math.round(listed / Math.max(1, listOne.count)) },
      ...(args.cpuProfDir ? { phasesMonotonicUs: phases } : {}),
      targets: { commitsPerSecond: 3_000, lookupsPerSecond: 10_000, listP99Ms: 50 },
    };
  } finally {
    await router?.close();
    // Writing a --cpu-prof profile on exit takes a while; don't SIGKILL it.
    await Promise.all(procs.map((p) => p.stop(args.cpuProfDir ? 60_000 : 5_000)));
    etcd.close();
    await etcdServer.destroy();
    await rm(dataDir, { recursive: true, force: true });
  }
}
