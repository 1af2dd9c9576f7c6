import { connect } from 'node:net';
import { binaryPath } from './binaries.js';
import { freePort } from './free-port.js';
import { ManagedServer, prepareDataDir } from './managed-server.js';

const LOOPBACK = '127.0.0.1';
// redis-server is up in a few ms; the budget covers a loaded machine.
const REDIS_READY_TIMEOUT_MS = 10_000;
// One PING must not hang the readiness loop on a half-open socket.
const PING_TIMEOUT_MS = 1_000;

export interface StartRedisOptions {
  port?: number;
  /** Working dir (nothing is persisted with the default flags). Default: a temp dir. */
  dataDir?: string;
  logFile?: string;
  /** Extra flags, e.g. ['--appendonly', 'yes'] to keep data across restarts. */
  extraArgs?: string[];
  readyTimeoutMs?: number;
  /**
   * Own process group, not killed when this process exits (for a launcher
   * that leaves the cluster running). Give a logFile to keep its output.
   */
  detached?: boolean;
}

export interface RedisHandle {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly running: boolean;
  /** Process id while running. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  pause(): void;
  resume(): void;
  destroy(): Promise<void>;
}

/** Sends a RESP PING and resolves true on +PONG; any error or timeout is false. */
export function pingRedis(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = connect({ host, port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PING_TIMEOUT_MS, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

/** Starts a private, non-persistent redis-server on loopback and waits for PONG. */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisHandle> {
  const port = opts.port ?? (await freePort(LOOPBACK));
  const data = await prepareDataDir(opts.dataDir, 'platter-redis-', opts.detached === true);
  const server = new ManagedServer(
    {
      name: `redis:${port}`,
      command: binaryPath('redis-server'),
      args: [
        '--port',
        String(port),
        '--bind',
        LOOPBACK,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        data.dir,
        '--daemonize',
        'no',
        ...(opts.extraArgs ?? []),
      ],
      ready: () => pingRedis(port),
      readyTimeoutMs: opts.readyTimeoutMs ?? REDIS_READY_TIMEOUT_MS,
      detached: opts.detached === true,
      ...(opts.logFile !== undefined ? { logFile: opts.logFile } : {}),
    },
    data,
  );
  await server.start();
  return {
    url: `redis://${LOOPBACK}:${port}`,
    port,
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
