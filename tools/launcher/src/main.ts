// `npm start [-- --detach]` and `npm run stop`: the local cluster of
// deploy/local/cluster.yaml — etcd, Redis and every service as its own process,
// data under .platter/, kept across restarts.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { newAccessKey } from '@platter/cluster';
import { isAlive, startEtcd, startRedis, waitFor } from '@platter/testkit';
import { Supervisor } from './supervisor.js';
import { START_ORDER, expandTopology, loadTopology, type ProcessSpec } from './topology.js';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TOPOLOGY_FILE = process.env.PLATTER_TOPOLOGY ?? path.join(ROOT, 'deploy/local/cluster.yaml');
const DETACHED_ENV = 'PLATTER_LAUNCHER_DETACHED';
const DETACH_READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 120_000;
// Placement's leader admits joining disks every few seconds; a slow first election adds a lease TTL.
const DISKS_ACTIVE_TIMEOUT_MS = 60_000;

const topology = loadTopology(TOPOLOGY_FILE);
const dataDir = path.resolve(ROOT, topology.dataDir);
const logsDir = path.join(dataDir, 'logs');
const stateFile = path.join(dataDir, 'launcher.json');
const envFile = path.join(dataDir, 'cluster.env');

interface LauncherState {
  pid: number;
  state: 'starting' | 'ready' | 'stopping' | 'failed';
  error?: string;
}

const [command = 'start', ...flags] = process.argv.slice(2);
switch (command) {
  case 'start':
    if (flags.includes('--detach') && !process.env[DETACHED_ENV]) await detach();
    else await runForeground();
    break;
  case 'stop':
    await stop();
    break;
  default:
    console.error('usage: npm start [-- --detach] | npm run stop');
    process.exit(2);
}

async function runForeground(): Promise<void> {
  const running = readState();
  if (running && isAlive(running.pid) && running.pid !== process.pid) {
    say(`already running (pid ${running.pid}); \`npm run stop\` stops it`);
    printEnv();
    process.exit(0);
  }
  fs.mkdirSync(logsDir, { recursive: true });
  writeState({ pid: process.pid, state: 'starting' });

  const etcdClientUrl = `http://127.0.0.1:${topology.etcd.clientPort}`;
  const redisUrl = `redis://127.0.0.1:${topology.redis.port}`;
  const specs = expandTopology(topology, dataDir);
  const supervisor = new Supervisor(
    ROOT,
    logsDir,
    {
      PLATTER_ETCD_ENDPOINTS: etcdClientUrl,
      PLATTER_REDIS_URL: redisUrl,
      PLATTER_LEASE_TTL_SECONDS: String(topology.leaseTtlSeconds),
    },
    say,
    { restartCrashed: topology.restartCrashed, processesFile: path.join(dataDir, 'processes.json') },
  );
  const stopServers: (() => Promise<void>)[] = [];

  let stopping: Promise<void> | undefined;
  const shutdown = (code: number): Promise<void> =>
    (stopping ??= (async () => {
      writeState({ pid: process.pid, state: 'stopping' });
      say('stopping...');
      await supervisor.stopAll(START_ORDER);
      for (const stopServer of stopServers.reverse()) await stopServer();
      fs.rmSync(stateFile, { force: true });
      say('stopped');
      process.exit(code);
    })());
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const etcd = await startEtcd({
      name: 'platter-local',
      dataDir: path.join(dataDir, 'etcd'),
      clientPort: topology.etcd.clientPort,
      peerPort: topology.etcd.peerPort,
      logFile: path.join(logsDir, 'etcd.log'),
    });
    stopServers.push(() => etcd.stop());
    say(`etcd   ${etcd.clientUrl}`);
    const redis = await startRedis({ port: topology.redis.port, logFile: path.join(logsDir, 'redis.log') });
    stopServers.push(() => redis.stop());
    say(`redis  ${redis.url}`);

    const credentials = await bootstrapCluster(etcd.endpoints);
    for (const role of START_ORDER) {
      const group = specs.filter((s) => s.role === role);
      if (group.length === 0) continue;
      await supervisor.startGroup(group);
      say(`${role.padEnd(9)} ${group.length} process${group.length > 1 ? 'es' : ''} ready`);
    }
    await waitForActiveDisks(etcd.endpoints, specs);
    const env = {
      S3_ENDPOINT: `http://127.0.0.1:${topology.s3.port}`,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: topology.s3.region,
      ETCD_ENDPOINTS: etcd.clientUrl,
      REDIS_URL: redis.url,
    };
    fs.writeFileSync(
      envFile,
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    writeState({ pid: process.pid, state: 'ready' });
    say(
      `ready: ${specs.length} services, logs in ${path.relative(ROOT, logsDir)}/, settings in ${path.relative(ROOT, envFile)}`,
    );
    printEnv();
    if (!process.env[DETACHED_ENV]) say('Ctrl-C stops the cluster');
  } catch (err) {
    const message = (err as Error).message;
    say(`failed to start: ${message}`);
    writeState({ pid: process.pid, state: 'failed', error: message });
    await shutdown(1);
  }
}

// Cluster config and the root access key are created once, in etcd, by
// transactions that only create what is absent (`platter bootstrap`, the same
// command the Helm chart runs); the key pair itself is made here on first start
// and kept in .platter/ (never a default secret).
async function bootstrapCluster(endpoints: string[]): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const credentialsFile = path.join(dataDir, 'credentials.json');
  if (!fs.existsSync(credentialsFile)) {
    const { accessKeyId, secretAccessKey } = newAccessKey('root');
    fs.writeFileSync(credentialsFile, JSON.stringify({ accessKeyId, secretAccessKey }, null, 2), { mode: 0o600 });
  }
  const credentials = JSON.parse(fs.readFileSync(credentialsFile, 'utf8')) as {
    accessKeyId: string;
    secretAccessKey: string;
  };
  const { stdout } = await execFileAsync(process.execPath, [path.join(ROOT, 'tools/cli/dist/main.js'), 'bootstrap'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PLATTER_ETCD_ENDPOINTS: endpoints.join(','),
      PLATTER_CLUSTER: JSON.stringify(topology.cluster),
      PLATTER_ROOT_ACCESS_KEY_ID: credentials.accessKeyId,
      PLATTER_ROOT_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
  });
  say(stdout.trim());
  return credentials;
}

/**
 * Ready means writable: every disk of the topology registered and active
 * (placement admits joining disks of the local cluster on its next round).
 */
async function waitForActiveDisks(endpoints: string[], specs: ProcessSpec[]): Promise<void> {
  const expected = specs.filter((s) => s.role === 'storage').length * topology.storage.disksPerHost;
  if (expected === 0 || !specs.some((s) => s.role === 'placement')) return;
  await waitFor(
    `all ${expected} disks to be active`,
    async () => {
      const { stdout } = await execFileAsync(
        process.execPath,
        [path.join(ROOT, 'tools/cli/dist/main.js'), 'disks', '--json'],
        {
          cwd: ROOT,
          env: { ...process.env, ETCD_ENDPOINTS: endpoints.join(',') },
        },
      ).catch(() => ({ stdout: '{"disks":[]}' }));
      const { disks } = JSON.parse(stdout) as { disks: { state: string }[] };
      return disks.filter((d) => d.state === 'active').length >= expected;
    },
    { timeoutMs: DISKS_ACTIVE_TIMEOUT_MS, intervalMs: 500 },
  );
  say(`disks     ${expected} active`);
}

async function detach(): Promise<void> {
  fs.mkdirSync(logsDir, { recursive: true });
  const running = readState();
  if (running && isAlive(running.pid)) {
    say(`already running (pid ${running.pid})`);
    printEnv();
    return;
  }
  fs.rmSync(stateFile, { force: true });
  const log = fs.openSync(path.join(logsDir, 'launcher.log'), 'a');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'start'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, [DETACHED_ENV]: '1' },
  });
  child.unref();
  say(`started in the background (pid ${child.pid}); waiting until every service is ready...`);
  const state = await waitFor(
    'the local cluster to be ready',
    () => {
      const s = readState();
      if (s?.state === 'ready' || s?.state === 'failed') return s;
      if (child.exitCode !== null)
        return {
          pid: child.pid ?? 0,
          state: 'failed',
          error: `launcher exited with ${child.exitCode}`,
        } as LauncherState;
      return undefined;
    },
    { timeoutMs: DETACH_READY_TIMEOUT_MS, intervalMs: 250 },
  );
  if (state.state === 'failed') {
    say(`failed: ${state.error ?? 'see .platter/logs/launcher.log'}`);
    process.exit(1);
  }
  printEnv();
  say('`npm run stop` stops it');
}

async function stop(): Promise<void> {
  const state = readState();
  if (!state || !isAlive(state.pid)) {
    say('not running');
    fs.rmSync(stateFile, { force: true });
    return;
  }
  process.kill(state.pid, 'SIGTERM');
  await waitFor('the local cluster to stop', () => !isAlive(state.pid), {
    timeoutMs: STOP_TIMEOUT_MS,
    intervalMs: 200,
  });
  say('stopped');
}

function printEnv(): void {
  if (fs.existsSync(envFile)) process.stdout.write(fs.readFileSync(envFile, 'utf8'));
}

function readState(): LauncherState | undefined {
  try {
    return JSON.parse(fs.readFileSync(stateFile, 'utf8')) as LauncherState;
  } catch {
    return undefined;
  }
}

function writeState(state: LauncherState): void {
  fs.writeFileSync(stateFile, JSON.stringify(state));
}

function say(line: string): void {
  process.stdout.write(`platter: ${line}\n`);
}
