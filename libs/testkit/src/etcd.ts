import { binaryPath } from './binaries.js';
import { freePort } from './free-port.js';
import { ManagedServer, prepareDataDir } from './managed-server.js';

// Loopback only: test and dev clusters must never be reachable from the network.
const LOOPBACK = '127.0.0.1';
// A fresh single-member etcd answers /health in ~200 ms here; allow for a loaded machine.
const ETCD_READY_TIMEOUT_MS = 20_000;

export interface StartEtcdOptions {
  /** Kept on stop. Default: a temp dir removed by destroy() or when this process exits. */
  dataDir?: string;
  clientPort?: number;
  peerPort?: number;
  /** etcd's own log (JSON), appended. */
  logFile?: string;
  /** Member name. Default "default". */
  name?: string;
  /** Extra command-line flags, e.g. ['--auto-compaction-retention=1']. */
  extraArgs?: string[];
  readyTimeoutMs?: number;
  /**
   * Own process group, not killed when this process exits (for a launcher
   * that leaves the cluster running). Give a logFile to keep its output.
   */
  detached?: boolean;
}

export interface EtcdHandle {
  readonly endpoints: string[];
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly running: boolean;
  /** Process id while running. */
  readonly pid: number | undefined;
  /** SIGTERM and wait; data and ports are kept for start(). */
  stop(): Promise<void>;
  /** Starts again on the same ports and data, waits until healthy. */
  start(): Promise<void>;
  /** Default SIGKILL; waits for the exit when the signal terminates. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  pause(): void;
  resume(): void;
  /** stop() and remove the data dir if the kit created it. */
  destroy(): Promise<void>;
}

function withoutEtcdEnv(): Record<string, string> {
  // etcd reads ETCD_* variables as flags; a stray one on the host would change our cluster.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ETCD_') && v !== undefined) env[k] = v;
  }
  return env;
}

/** Starts a private single-member etcd on loopback and waits until GET /health answers. */
export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EtcdHandle> {
  const clientPort = opts.clientPort ?? (await freePort(LOOPBACK));
  const peerPort = opts.peerPort ?? (await freePort(LOOPBACK));
  const name = opts.name ?? 'default';
  const data = await prepareDataDir(opts.dataDir, 'platter-etcd-', opts.detached === true);
  const clientUrl = `http://${LOOPBACK}:${clientPort}`;
  const peerUrl = `http://${LOOPBACK}:${peerPort}`;
  const server = new ManagedServer(
    {
      name: `etcd:${clientPort}`,
      command: binaryPath('etcd'),
      args: [
        `--name=${name}`,
        `--data-dir=${data.dir}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=${name}=${peerUrl}`,
        '--logger=zap',
        '--log-outputs=stderr',
        ...(opts.extraArgs ?? []),
      ],
      env: withoutEtcdEnv(),
      inheritEnv: false,
      readyUrl: `${clientUrl}/health`,
      readyTimeoutMs: opts.readyTimeoutMs ?? ETCD_READY_TIMEOUT_MS,
      detached: opts.detached === true,
      ...(opts.logFile !== undefined ? { logFile: opts.logFile } : {}),
    },
    data,
  );
  await server.start();
  return {
    endpoints: [clientUrl],
    clientUrl,
    peerUrl,
    dataDir: data.dir,
    get running() {
      return server.running;
    },
    get pid() {
      return server.pid;
    },
    stop: () => server.stop(),
    start: () => server.start(),
    kill: (signal) => server.kill(signal),
    pause: () => server.pause(),
    resume: () => server.resume(),
    destroy: () => server.destroy(),
  };
}
