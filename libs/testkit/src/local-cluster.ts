import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { freePort } from './free-port.js';

// A whole cluster for end-to-end tests and benchmarks, started the way a
// user starts one (the launcher, detached, so it must be built) but on free
// ports and in a temp dir. The default shape is small: three zones of one
// host with three disks each, three namespace replicas, one placement, one
// frontend; `hostsPerZone: 3` gives the shipped nine-host topology.

const execFileAsync = promisify(execFile);
// Same depth from src/ and dist/: libs/testkit/{src,dist}/local-cluster.*
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const LAUNCHER = path.join(ROOT, 'tools/launcher/dist/main.js');
const START_TIMEOUT_MS = 180_000;

/** What every service process of the shipped topology runs with (deploy/local/cluster.yaml). */
export interface ShippedProcessSettings {
  /** Flags for `node` before the main module. */
  nodeArgs: string[];
  /** Environment every service process gets. */
  serviceEnv: Record<string, string>;
  /** Namespace partitions the cluster is created with. */
  partitions: number;
}

/**
 * For harnesses that start service processes themselves (a benchmark of one
 * service): the same flags, environment and partition count as `npm start`,
 * so that their figures are the shipped cluster's.
 */
export function shippedProcessSettings(): ShippedProcessSettings {
  const topology = shippedTopology() as {
    nodeArgs?: string[];
    serviceEnv?: Record<string, string>;
    cluster: { partitions: number };
  };
  return {
    nodeArgs: topology.nodeArgs ?? [],
    serviceEnv: topology.serviceEnv ?? {},
    partitions: topology.cluster.partitions,
  };
}

/** deploy/local/cluster.yaml as parsed YAML (the launcher validates it; here it is only read or adapted). */
function shippedTopology(): ReturnType<typeof parse> {
  return parse(fs.readFileSync(path.join(ROOT, 'deploy/local/cluster.yaml'), 'utf8'));
}

/** One service process of a running local cluster, as the launcher last started it. */
export interface ClusterProcess {
  id: string;
  role: string;
  pid: number | undefined;
  grpcPort: number;
  adminPort: number;
}

export interface LocalCluster {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  dataDir: string;
  /** The cluster's Redis (heat telemetry, work queues). */
  redisUrl: string;
  /** The cluster's etcd client URL (membership, inventory, chains). */
  etcdUrl: string;
  /** Every service process, e.g. `storage-host-b2`, `frontend-1`. */
  processes(): ClusterProcess[];
  /** Sends a signal to one service process by id (SIGKILL, SIGSTOP, SIGCONT…). */
  signal(id: string, signal: NodeJS.Signals): ClusterProcess;
  /**
   * The warnings Node printed in the service logs so far (a listener leak, an
   * unhandled rejection, a deprecation): `<log file>: <line>`. None is the norm.
   */
  processWarnings(): string[];
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  /** Storage hosts per zone (three zones); default 1. */
  hostsPerZone?: number;
  disksPerHost?: number;
  /** Default true; false keeps a killed process down, for fault-injection tests. */
  restartCrashed?: boolean;
  /** Extra environment for chosen processes by id, e.g. `PLATTER_DISK_FAULTS` for one storage node. */
  processEnv?: Record<string, Record<string, string>>;
  /** Extra environment for every service process, over the shipped topology's `serviceEnv`. */
  serviceEnv?: Record<string, string>;
}

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platter-e2e-'));
  const topology = shippedTopology();
  topology.dataDir = path.join(dir, 'data');
  topology.etcd = { clientPort: await freePort(), peerPort: await freePort() };
  topology.redis = { port: await freePort() };
  topology.s3.port = await freePort();
  // Below the kernel's ephemeral range, where other tests' sockets live.
  const base = 10_000 + Math.floor(Math.random() * 10_000);
  topology.ports = { grpcBase: base, adminBase: base + 5_000 };
  topology.leaseTtlSeconds = 5;
  const hosts = options.hostsPerZone ?? 1;
  topology.zones = ['a', 'b', 'c'].map((z) => ({
    name: `zone-${z}`,
    racks: [{ name: `rack-${z}1`, hosts: Array.from({ length: hosts }, (_, i) => `host-${z}${i + 1}`) }],
  }));
  topology.storage = { disksPerHost: options.disksPerHost ?? 3 };
  topology.auditor = { replicas: 0 };
  topology.repair = { replicas: 0 };
  topology.restartCrashed = options.restartCrashed ?? true;
  topology.processEnv = options.processEnv ?? {};
  topology.serviceEnv = { ...(topology.serviceEnv as Record<string, string> | undefined), ...options.serviceEnv };
  const topologyFile = path.join(dir, 'cluster.yaml');
  fs.writeFileSync(topologyFile, stringify(topology));
  const env = { ...process.env, PLATTER_TOPOLOGY: topologyFile };
  const run = async (args: string[], timeout: number) => {
    try {
      return await execFileAsync(process.execPath, [LAUNCHER, ...args], { env, cwd: ROOT, timeout });
    } catch (err) {
      const e = err as Error & { stdout?: string };
      const log = path.join(topology.dataDir, 'logs', 'launcher.log');
      const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-4000) : '';
      throw new Error(`${e.message}\n${e.stdout ?? ''}\n--- launcher.log ---\n${tail}`);
    }
  };
  await run(['start', '--detach'], START_TIMEOUT_MS);
  const clusterEnv = Object.fromEntries(
    fs
      .readFileSync(path.join(topology.dataDir, 'cluster.env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const processesFile = path.join(topology.dataDir, 'processes.json');
  const processes = (): ClusterProcess[] => JSON.parse(fs.readFileSync(processesFile, 'utf8')) as ClusterProcess[];
  return {
    processes,
    signal: (id, signal) => {
      const p = processes().find((x) => x.id === id);
      if (p?.pid === undefined) throw new Error(`no running process ${id} in this cluster`);
      process.kill(p.pid, signal);
      return p;
    },
    endpoint: clusterEnv.S3_ENDPOINT!,
    region: clusterEnv.AWS_REGION!,
    credentials: { accessKeyId: clusterEnv.AWS_ACCESS_KEY_ID!, secretAccessKey: clusterEnv.AWS_SECRET_ACCESS_KEY! },
    dataDir: topology.dataDir,
    redisUrl: `redis://127.0.0.1:${(topology.redis as { port: number }).port}`,
    etcdUrl: clusterEnv.ETCD_ENDPOINTS!,
    processWarnings: () => nodeWarnings(path.join(topology.dataDir, 'logs')),
    stop: async () => {
      await run(['stop'], 120_000).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Node writes its process warnings to stderr as `(node:<pid>) <Name>Warning: <message>`. */
const NODE_WARNING = /^\(node:\d+\) \w*Warning: /;

function nodeWarnings(logDir: string): string[] {
  const out: string[] = [];
  for (const file of fs.readdirSync(logDir).sort()) {
    for (const line of fs.readFileSync(path.join(logDir, file), 'utf8').split('\n')) {
      if (NODE_WARNING.test(line)) out.push(`${file}: ${line}`);
    }
  }
  return out;
}
