// Namespace suite: the real service, three `apps/namespace` processes
// (built: npx tsc -b apps/namespace) on a private etcd, 4 partitions × chains
// of 3, driven through NamespaceRouter from this process over loopback gRPC.
//
// - commits: unconditional inline PUTs (small body) with `inFlight` in flight
//   for `seconds`: commits/s and latency (each one answered after the tail's
//   ack: head execute + flush, two Forward hops with a flush each, acks back).
// - lookups: GetObject (metadata only) of random keys from the tail.
// - list: ListObjects pages of 1,000 keys from a random start-after in a
//   bucket of `listKeys` keys: every partition's tail pages, merged here.
//
// Targets (ARCHITECTURE, this machine): ≥ 3,000 commits/s, ≥ 10,000
// lookups/s, 1,000-key list p99 < 50 ms. Two cores are shared by the three
// replicas, etcd and the load generator, so these are floors.
//
// Args: --seconds=<per case, default 5> --inFlight=<default 64> --listKeys=<default 5000>
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectEtcd, defaultClusterConfig, ensureClusterConfig, Keyspace, ChainRecordCodec } from '@platter/cluster';
import { NamespaceRouter } from '@platter/namespace-client';
import { createLogger } from '@platter/telemetry';
import { freePort, startEtcd, startProcess, waitFor, type ProcessHandle } from '@platter/testkit';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const MAIN = path.join(ROOT, 'apps', 'namespace', 'dist', 'main.js');
const PARTITIONS = 4;
const MEMBERS = ['nsb-1', 'nsb-2', 'nsb-3'];
const LIST_PAGE = 1_000;

interface Args {
  seconds: number;
  inFlight: number;
  listKeys: number;
}

function parseArgs(args: string[]): Args {
  const get = (name: string): string | undefined =>
    args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return {
    seconds: Number(get('seconds') ?? 5),
    inFlight: Number(get('inFlight') ?? 64),
    listKeys: Number(get('listKeys') ?? 5_000),
  };
}

interface Figures {
  perSecond: number;
  count: number;
  latencyMs: { p50: number; p99: number; max: number };
}

/** Runs `op` with `inFlight` loops for `seconds`, timing every call. */
async function closedLoop(inFlight: number, seconds: number, op: (i: number) => Promise<unknown>): Promise<Figures> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const started = performance.now();
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
  latencies.sort((a, b) => a - b);
  const q = (p: number): number =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0) * 100) / 100;
  return {
    perSecond: Math.round(latencies.length / elapsed),
    count: latencies.length,
    latencyMs: { p50: q(0.5), p99: q(0.99), max: q(1) },
  };
}

export async function run(argv: string[]): Promise<Record<string, unknown>> {
  const args = parseArgs(argv);
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'platter-bench-ns-'));
  const etcdServer = await startEtcd();
  const etcd = connectEtcd(etcdServer.endpoints);
  const keyspace = new Keyspace();
  const procs: ProcessHandle[] = [];
  let router: NamespaceRouter | undefined;
  try {
    await ensureClusterConfig(etcd, keyspace, defaultClusterConfig({ partitions: PARTITIONS }));
    for (const id of MEMBERS) {
      const admin = await freePort();
      procs.push(
        await startProcess({
          name: id,
          command: process.execPath,
          args: [MAIN],
          env: {
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
    router = await NamespaceRouter.open({ etcd, keyspace, logger });
    const ns = router;
    const bucket = 'bench-bucket';
    await ns.createBucket({ writeId: 'bench-create', name: bucket, ownerAccountId: 'acct-1' });
    const body = Buffer.from('x'.repeat(100));
    const put = (key: string, i: number) =>
      ns.putObject({
        writeId: `bench-${i}-${key}`,
        bucket,
        key,
        size: BigInt(body.length),
        etag: '9dd4e461268c8034f5c8564e155c67a6',
        ownerAccountId: 'acct-1',
        layout: { data: { case: 'inlineData', value: body } },
      });
    // Warm up connections and JIT.
    await closedLoop(8, 1, (i) => put(`warm/${i}`, i));
    const commits = await closedLoop(args.inFlight, args.seconds, (i) => put(`c/${String(i).padStart(8, '0')}`, i));
    const written = commits.count;
    const lookups = await closedLoop(args.inFlight, args.seconds, (i) =>
      ns.getObject({
        bucket,
        key: `c/${String((i * 7919) % written).padStart(8, '0')}`,
        metadataOnly: true,
      }),
    );
    // A listing bucket of listKeys keys (loaded with the same PUTs).
    const listBucket = 'bench-list';
    await ns.createBucket({ writeId: 'bench-list-create', name: listBucket, ownerAccountId: 'acct-1' });
    let loaded = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
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
    const list = await closedLoop(4, args.seconds, async (i) => {
      const start = (i * 104729) % Math.max(1, args.listKeys - 2 * LIST_PAGE);
      const page = await ns.listObjects({
        bucket: listBucket,
        startAfter: `k/${String(start).padStart(8, '0')}`,
        maxKeys: LIST_PAGE,
      });
      // A merged page may stop short of max-keys (exactly, with a token), never be empty.
      if (page.objects.length === 0 || !page.isTruncated) throw new Error(`page of ${page.objects.length} keys`);
      listed += page.objects.length;
    });
    return {
      partitions: PARTITIONS,
      replicas: 3,
      inFlight: args.inFlight,
      commits,
      lookups,
      list1000: { ...list, meanKeysPerPage: Math.round(listed / Math.max(1, list.count)) },
      targets: { commitsPerSecond: 3_000, lookupsPerSecond: 10_000, listP99Ms: 50 },
    };
  } finally {
    await router?.close();
    await Promise.all(procs.map((p) => p.stop(5_000)));
    etcd.close();
    await etcdServer.destroy();
    await rm(dataDir, { recursive: true, force: true });
  }
}
