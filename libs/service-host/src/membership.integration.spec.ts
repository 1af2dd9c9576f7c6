// Membership over real processes and a real etcd: two services see each other,
// a SIGKILLed one vanishes within the lease TTL plus a stated bound, and a
// service keeps serving health while etcd is away and registers again when it
// returns — even to an etcd that lost everything. (G4: nothing hangs; static
// stability of the data plane while etcd is down.)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyspace, MemberView, connectEtcd } from '@platter/cluster';
import { ServingStatus, checkHealth } from '@platter/rpc';
import { createLogger } from '@platter/telemetry';
import {
  Cleanup,
  freePort,
  startEtcd,
  startProcess,
  waitFor,
  type EtcdHandle,
  type ProcessHandle,
} from '@platter/testkit';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const LEASE_TTL_S = 3;
// Stated bound: a SIGKILLed member leaves every live view within the lease TTL
// plus this. etcd expires leases on its own schedule (checked every 500 ms) and
// the watch event then reaches the viewer; 2 s covers both with room to spare.
const VANISH_BOUND_MS = 2_000;

interface Member {
  proc: ProcessHandle;
  adminUrl: string;
  grpcAddress: string;
}

const cleanup = new Cleanup();
let etcd: EtcdHandle;

beforeAll(async () => {
  for (const app of ['auditor', 'repair']) {
    const main = path.join(ROOT, 'apps', app, 'dist', 'main.js');
    if (!fs.existsSync(main)) throw new Error(`${main} is missing: build first (npm test does)`);
  }
  etcd = await startEtcd();
  // destroy, not stop: stop keeps the data directory (62 MB of etcd files per run).
  cleanup.add(() => etcd.destroy());
});
afterAll(() => cleanup.run());

async function startMember(role: 'auditor' | 'repair', id: string): Promise<Member> {
  const [grpcPort, adminPort] = [await freePort(), await freePort()];
  const proc = await startProcess({
    name: id,
    command: process.execPath,
    args: [path.join(ROOT, 'apps', role, 'dist', 'main.js')],
    env: {
      PLATTER_ID: id,
      PLATTER_ETCD_ENDPOINTS: etcd.clientUrl,
      PLATTER_GRPC_PORT: String(grpcPort),
      PLATTER_ADMIN_PORT: String(adminPort),
      PLATTER_LEASE_TTL_SECONDS: String(LEASE_TTL_S),
      PLATTER_SHUTDOWN_GRACE_MS: '2000',
      PLATTER_LOG_LEVEL: 'warn',
    },
    readyUrl: `http://127.0.0.1:${adminPort}/readyz`,
    readyTimeoutMs: 30_000,
  });
  cleanup.add(() => proc.stop(5_000));
  return { proc, adminUrl: `http://127.0.0.1:${adminPort}`, grpcAddress: `127.0.0.1:${grpcPort}` };
}

/** How many members of `role` the process behind `adminUrl` sees, from its own metrics. */
async function seen(m: Member, role: string): Promise<number | undefined> {
  const res = await fetch(`${m.adminUrl}/metrics`);
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith(`platter_cluster_members{`) && l.includes(`role="${role}"`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/** Whether etcd itself holds the member's record right now (asked afresh, not through any cached view). */
async function registeredInEtcd(role: 'auditor' | 'repair', id: string): Promise<boolean> {
  const client = connectEtcd(etcd.endpoints);
  try {
    const view = await MemberView.open({
      etcd: client,
      keyspace: new Keyspace(),
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    const found = view.get(role, id) !== undefined;
    await view.close();
    return found;
  } finally {
    client.close();
  }
}

describe('membership across processes', () => {
  let auditor: Member;
  let repair: Member;

  it('two processes register and see each other', async () => {
    [auditor, repair] = await Promise.all([startMember('auditor', 'auditor-1'), startMember('repair', 'repair-1')]);
    await waitFor('auditor to see repair', async () => (await seen(auditor, 'repair')) === 1, { timeoutMs: 10_000 });
    await waitFor('repair to see auditor', async () => (await seen(repair, 'auditor')) === 1, { timeoutMs: 10_000 });
    expect(await seen(auditor, 'auditor')).toBe(1);
    expect(await seen(repair, 'repair')).toBe(1);
  });

  it('a SIGKILLed member vanishes from the other view within the lease TTL plus the bound', async () => {
    const killedAt = performance.now();
    repair.proc.kill('SIGKILL');
    await repair.proc.exited;
    await waitFor('repair to vanish', async () => (await seen(auditor, 'repair')) === 0, {
      timeoutMs: LEASE_TTL_S * 1000 + VANISH_BOUND_MS,
      intervalMs: 100,
    });
    const elapsed = performance.now() - killedAt;
    expect(elapsed).toBeLessThanOrEqual(LEASE_TTL_S * 1000 + VANISH_BOUND_MS);
    // Still visible right after the kill would mean the lease, not the process exit, removed it.
    expect(elapsed).toBeGreaterThan(500);
  });

  it('keeps serving health while etcd is stopped, and is registered again after etcd restarts', async () => {
    await etcd.stop();
    // Longer than the lease TTL: the lease is gone as far as the client can tell.
    const outage = LEASE_TTL_S * 1000 + 1_500;
    const until = performance.now() + outage;
    while (performance.now() < until) {
      expect(await checkHealth(auditor.grpcAddress, { timeoutMs: 1_000 })).toBe(ServingStatus.SERVING);
      expect((await fetch(`${auditor.adminUrl}/healthz`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
    }
    await etcd.start();
    // Registered again, and still registered once any lease from before the outage has expired.
    await waitFor('auditor to be registered again', () => registeredInEtcd('auditor', 'auditor-1'), {
      timeoutMs: 15_000,
    });
    await new Promise((r) => setTimeout(r, (LEASE_TTL_S + 2) * 1000));
    expect(await registeredInEtcd('auditor', 'auditor-1')).toBe(true);
    expect(auditor.proc.running).toBe(true);
  });

  it('registers again with an etcd that lost all its data', async () => {
    const ports = { clientPort: Number(new URL(etcd.clientUrl).port), peerPort: Number(new URL(etcd.peerUrl).port) };
    await etcd.destroy();
    const fresh = await startEtcd(ports);
    cleanup.add(() => fresh.destroy());
    etcd = fresh;
    await waitFor('auditor to register with the new etcd', () => registeredInEtcd('auditor', 'auditor-1'), {
      timeoutMs: 20_000,
    });
    expect(await checkHealth(auditor.grpcAddress, { timeoutMs: 1_000 })).toBe(ServingStatus.SERVING);
  });
});
