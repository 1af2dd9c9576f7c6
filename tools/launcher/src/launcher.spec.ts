// The local cluster as a user starts it: `npm start -- --detach` brings up every
// process of the topology, `platter status --json` reports every role healthy,
// every admin port serves default and platter_rpc_* metrics, a restart keeps
// the cluster's identity and keys, and `npm run stop` leaves nothing running.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort } from '@platter/testkit';

const execFileAsync = promisify(execFile);
// execFile's own error says only "Command failed"; the launcher says why on stdout.
async function run(
  file: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string; timeout?: number },
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(file, args, opts);
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${e.message}\n--- stdout ---\n${e.stdout ?? ''}\n--- stderr ---\n${e.stderr ?? ''}`);
  }
}
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const LAUNCHER = path.join(ROOT, 'tools/launcher/dist/main.js');
const CLI = path.join(ROOT, 'tools/cli/dist/main.js');
const ROLES = ['frontend', 'namespace', 'storage', 'placement', 'auditor', 'repair'];

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'platter-launcher-'));
const topologyFile = path.join(dataDir, 'cluster.yaml');
let env: NodeJS.ProcessEnv;

afterAll(async () => {
  await run(process.execPath, [LAUNCHER, 'stop'], { env, cwd: ROOT }).catch(() => undefined);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Status {
  healthy: boolean;
  members: { role: string; id: string; adminUrl: string; healthy: boolean; labels: { zone?: string } }[];
}

describe('npm start -- --detach', () => {
  it('brings up every process of the topology, all healthy', async () => {
    for (const f of [LAUNCHER, CLI])
      if (!fs.existsSync(f)) throw new Error(`${f} is missing: build first (npm test does)`);
    // The shipped topology, moved to free ports and a temp dir so that it never
    // meets a cluster a developer is running.
    const topology = parse(fs.readFileSync(path.join(ROOT, 'deploy/local/cluster.yaml'), 'utf8'));
    topology.dataDir = path.join(dataDir, 'data');
    topology.etcd = { clientPort: await freePort(), peerPort: await freePort() };
    topology.redis = { port: await freePort() };
    topology.s3.port = await freePort();
    // Below the kernel's ephemeral range (32768+), where other tests' sockets live, and
    // clear of the shipped local cluster's own ports.
    const base = 10_000 + Math.floor(Math.random() * 10_000);
    topology.ports = { grpcBase: base, adminBase: base + 5_000 };
    fs.writeFileSync(topologyFile, stringify(topology));
    env = { ...process.env, PLATTER_TOPOLOGY: topologyFile };

    const started = await run(process.execPath, [LAUNCHER, 'start', '--detach'], { env, cwd: ROOT, timeout: 180_000 });
    expect(started.stdout).toMatch(/^S3_ENDPOINT=http:\/\/127\.0\.0\.1:\d+$/m);
    expect(started.stdout).toMatch(/^AWS_ACCESS_KEY_ID=PT[A-Z2-7]{18}$/m);
    const clusterEnv = fs.readFileSync(path.join(topology.dataDir, 'cluster.env'), 'utf8');
    for (const k of [
      'S3_ENDPOINT',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_REGION',
      'ETCD_ENDPOINTS',
      'REDIS_URL',
    ]) {
      expect(clusterEnv).toMatch(new RegExp(`^${k}=.+$`, 'm'));
    }
    const etcdEndpoints = /^ETCD_ENDPOINTS=(.+)$/m.exec(clusterEnv)![1]!;

    const { stdout } = await run(process.execPath, [CLI, 'status', '--json'], {
      env: { ...env, ETCD_ENDPOINTS: etcdEndpoints },
      cwd: ROOT,
    });
    const status = JSON.parse(stdout) as Status;
    const expected = 9 + 3 + 1 + 1 + 1 + 1;
    expect(status.members).toHaveLength(expected);
    expect(status.healthy).toBe(true);
    for (const role of ROLES) expect(status.members.some((m) => m.role === role)).toBe(true);
    expect(new Set(status.members.filter((m) => m.role === 'storage').map((m) => m.labels.zone)).size).toBe(3);

    // `platter status` made a health call to every member, so each now counts it.
    for (const m of status.members) {
      const metrics = await (await fetch(`${m.adminUrl}/metrics`)).text();
      expect(metrics, m.id).toContain('process_cpu_user_seconds_total');
      expect(metrics, m.id).toContain('nodejs_eventloop_lag_seconds');
      expect(metrics, m.id).toMatch(/^platter_rpc_server_handled_total\{.*method="Check".*\} [1-9]/m);
    }
  }, 300_000);

  it('keeps the cluster identity and keys across a restart, and stops everything', async () => {
    const envFile = path.join(dataDir, 'data', 'cluster.env');
    const before = fs.readFileSync(envFile, 'utf8');
    const pidsBefore = JSON.parse(fs.readFileSync(path.join(dataDir, 'data', 'launcher.json'), 'utf8')).pid as number;
    await run(process.execPath, [LAUNCHER, 'stop'], { env, cwd: ROOT, timeout: 120_000 });
    expect(() => process.kill(pidsBefore, 0)).toThrow();
    await run(process.execPath, [LAUNCHER, 'start', '--detach'], { env, cwd: ROOT, timeout: 180_000 });
    expect(fs.readFileSync(envFile, 'utf8')).toBe(before);
    await run(process.execPath, [LAUNCHER, 'stop'], { env, cwd: ROOT, timeout: 120_000 });
    const etcdPort = Number(/127\.0\.0\.1:(\d+)/.exec(/^ETCD_ENDPOINTS=(.+)$/m.exec(before)![1]!)![1]);
    await expect(fetch(`http://127.0.0.1:${etcdPort}/health`)).rejects.toThrow();
  }, 420_000);
});
