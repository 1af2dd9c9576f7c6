// Three real namespace processes (`node apps/namespace/dist/main.js`, built)
// against a real etcd, 4 partitions × chains of 3. The contract suite and the
// bucket deletion suite (PUTs racing DeleteBucket) run through
// NamespaceRouter over real gRPC; then the head, the middle and the
// tail of a chain are SIGKILLed in turn under concurrent writes: each time
// the chain manager must drop the dead member within the stated bound (lease
// TTL + RECONFIGURE_SLACK_MS), writes must resume, the restarted member must
// rejoin through a state transfer, and every acknowledged write must be
// readable afterwards. The nemesis test runs the same kills, a head frozen
// past its lease and an etcd restart under clients doing GET / PUT /
// conditional PUT, and checks every key's history for linearizability.
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChainRecordCodec,
  connectEtcd,
  defaultClusterConfig,
  ensureClusterConfig,
  Keyspace,
  type ChainRecord,
  type Etcd3,
} from '@platter/cluster';
import { namespaceV1 } from '@platter/proto';
import { createRpcClient } from '@platter/rpc';
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
import { NamespaceRouter } from '@platter/namespace-client';
import { describeBucketDeletionContract } from './testing/bucket-deletion-contract.js';
import { describeNamespaceContract } from './testing/namespace-contract.js';
import { checkRegisterHistory, type KeyedOperation } from './linearizability/index.js';
import { md5Hex, putObjectOp } from './testing/requests.js';
import { errorReason } from '@platter/rpc';
import { partitionOfKey } from '@platter/namespace-client';
import { commonV1 } from '@platter/proto';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = path.join(ROOT, 'apps', 'namespace', 'dist', 'main.js');
const PARTITIONS = 4;
const LEASE_TTL_S = 2;
// The bound the README states: a dead member's key goes after the lease TTL
// (etcd checks expiry every 500 ms), the manager's watch fires, one CAS per
// chain, replicas see the record through their own watch. 5 s covers that
// with room for a loaded 2-core machine (and an election when the manager died).
const RECONFIGURE_SLACK_MS = 5_000;
// A rejoin is a state transfer (snapshot + journal suffix) competing for two cores with
// the writers and the rest of the suite: generous, it is not the reconfiguration bound.
const REJOIN_BOUND_MS = 60_000;
const MEMBERS = ['ns-1', 'ns-2', 'ns-3'];

const cleanup = new Cleanup();
const keyspace = new Keyspace();
let etcdServer: EtcdHandle;
let etcd: Etcd3;
let dataDir: string;
let router: NamespaceRouter;
const ports = new Map<string, { grpc: number; admin: number }>();
const procs = new Map<string, ProcessHandle>();

async function startMember(id: string): Promise<ProcessHandle> {
  const port = ports.get(id);
  if (port === undefined) throw new Error(`no ports for ${id}`);
  const p = await startProcess({
    name: id,
    command: process.execPath,
    args: [MAIN],
    env: {
      PLATTER_ID: id,
      PLATTER_ETCD_ENDPOINTS: etcdServer.clientUrl,
      PLATTER_GRPC_PORT: String(port.grpc),
      PLATTER_ADMIN_PORT: String(port.admin),
      PLATTER_LEASE_TTL_SECONDS: String(LEASE_TTL_S),
      PLATTER_SHUTDOWN_GRACE_MS: '2000',
      PLATTER_DATA_DIR: path.join(dataDir, id),
      PLATTER_BOOTSTRAP_WAIT_MS: '20000',
      PLATTER_MAP_SIZE_BYTES: String(2 ** 30),
      PLATTER_LOG_LEVEL: 'warn',
    },
    logFile: path.join(dataDir, `${id}.log`),
    readyUrl: `http://127.0.0.1:${port.admin}/readyz`,
    readyTimeoutMs: 30_000,
  });
  procs.set(id, p);
  cleanup.add(() => p.stop(5_000));
  return p;
}

async function chains(): Promise<ChainRecord[]> {
  const res = await etcd.getAll().prefix(keyspace.chainsPrefix()).exec();
  return res.kvs
    .map((kv) => ChainRecordCodec.decode(kv.value, kv.key.toString()))
    .sort((a, b) => a.partition - b.partition);
}

async function fullChains(): Promise<boolean> {
  const all = await chains();
  return all.length === PARTITIONS && all.every((c) => c.replicas.length === 3 && c.joining.length === 0);
}

/**
 * Waits, within the stated reconfiguration bound (TTL + RECONFIGURE_SLACK_MS),
 * until `victim` is out of every chain; the milliseconds since `since`.
 */
async function removedFromChains(victim: string, what: string, since = performance.now()): Promise<number> {
  await waitFor(
    `${victim} (${what}) removed from the chains`,
    async () => (await chains()).every((c) => !c.replicas.includes(victim)),
    { timeoutMs: LEASE_TTL_S * 1000 + RECONFIGURE_SLACK_MS, intervalMs: 50 },
  );
  return performance.now() - since;
}

/** Every replica of every partition reports the same durable sequence (quiet chain). */
async function replicasAgree(): Promise<boolean> {
  const statuses = await Promise.all(
    MEMBERS.map(async (id) => {
      const port = ports.get(id);
      const client = createRpcClient(namespaceV1.NamespaceReplicaService, `127.0.0.1:${port?.grpc}`, {
        defaultTimeoutMs: 2_000,
      });
      try {
        return (await client.getReplicaStatus({})).replicas;
      } finally {
        client.close();
      }
    }),
  );
  for (let p = 0; p < PARTITIONS; p++) {
    const durable = statuses.map((s) => s.find((r) => r.partitionId === p)?.durableSequence);
    if (durable.some((d) => d === undefined || d !== durable[0])) return false;
  }
  return true;
}

/**
 * Clients doing GET, PUT and conditional PUT (If-None-Match: *, If-Match a
 * recent value) on a few keys as fast as they can, recording every operation
 * for the linearizability checker. A call that fails without a definite
 * answer (a deadline during a reconfiguration) is recorded without an
 * outcome: it may or may not have happened.
 */
function startRegisterClients(bucket: string, keys: string[], count: number) {
  const bodyOfEtag = new Map<string, string>();
  const history: KeyedOperation[] = [];
  let stopped = false;
  let opsDone = 0;
  const read = async (key: string): Promise<void> => {
    const invokedAt = performance.now();
    try {
      const res = await router.getObject({ bucket, key, metadataOnly: true }, { timeoutMs: 15_000 });
      const etag = res.version?.etag ?? '';
      const value = bodyOfEtag.get(etag) ?? `?${etag}`;
      history.push({
        key,
        input: { kind: 'read' },
        invokedAt,
        completed: { at: performance.now(), output: { kind: 'read', value } },
      });
    } catch (err) {
      if (errorReason(err) === commonV1.ErrorReason.NO_SUCH_KEY) {
        history.push({
          key,
          input: { kind: 'read' },
          invokedAt,
          completed: { at: performance.now(), output: { kind: 'read', value: null } },
        });
      }
    }
  };
  const client = async (c: number): Promise<void> => {
    for (let i = 0; !stopped; i++) {
      const key = keys[(c * 7 + i * 3) % keys.length] as string;
      const choice = (c + i * 5) % 10;
      if (choice < 4) {
        await read(key);
        opsDone++;
        continue;
      }
      const invokedAt = performance.now();
      const body = `c${c}-${i}`;
      bodyOfEtag.set(md5Hex(body), body);
      let expected: string | null | undefined;
      let condition: { kind: 'ifNoneMatch' } | { kind: 'ifMatch'; etag: string } | undefined;
      if (choice < 6) {
        expected = null;
        condition = { kind: 'ifNoneMatch' };
      } else if (choice < 8) {
        const recent = [...bodyOfEtag.values()].slice(-4)[i % 4] ?? body;
        expected = recent;
        condition = { kind: 'ifMatch', etag: md5Hex(recent) };
      }
      const input: KeyedOperation['input'] =
        expected === undefined ? { kind: 'write', value: body } : { kind: 'cas', expected, value: body };
      try {
        await router.putObject(putObjectOp({ bucket, key, body, condition }).request, { timeoutMs: 15_000 });
        const output = expected === undefined ? ({ kind: 'write' } as const) : ({ kind: 'cas', ok: true } as const);
        history.push({ key, input, invokedAt, completed: { at: performance.now(), output } });
      } catch (err) {
        const reason = errorReason(err);
        if (
          expected !== undefined &&
          (reason === commonV1.ErrorReason.PRECONDITION_FAILED || reason === commonV1.ErrorReason.NO_SUCH_KEY)
        ) {
          history.push({
            key,
            input,
            invokedAt,
            completed: { at: performance.now(), output: { kind: 'cas', ok: false } },
          });
        } else {
          history.push({ key, input, invokedAt });
        }
      }
      opsDone++;
    }
  };
  const running = Array.from({ length: count }, (_, c) => client(c));
  return {
    history,
    read,
    ops: (): number => opsDone,
    stop: async (): Promise<void> => {
      stopped = true;
      await Promise.all(running);
    },
  };
}

beforeAll(async () => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -b apps/namespace)`);
  etcdServer = await startEtcd();
  cleanup.add(() => etcdServer.destroy());
  etcd = connectEtcd(etcdServer.endpoints);
  cleanup.add(() => etcd.close());
  await ensureClusterConfig(etcd, keyspace, defaultClusterConfig({ partitions: PARTITIONS }));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'platter-namespace-it-'));
  cleanup.add(async () => {
    // NS_IT_KEEP_LOGS=dir keeps the processes' logs for a post-mortem.
    const keep = process.env['NS_IT_KEEP_LOGS'];
    if (keep !== undefined)
      for (const id of MEMBERS) fs.copyFileSync(path.join(dataDir, `${id}.log`), path.join(keep, `${id}.log`));
    await rm(dataDir, { recursive: true, force: true });
  });
  for (const id of MEMBERS) ports.set(id, { grpc: await freePort(), admin: await freePort() });
  await Promise.all(MEMBERS.map((id) => startMember(id)));
  await waitFor('chains created', fullChains, { timeoutMs: 30_000, intervalMs: 100 });
  router = await NamespaceRouter.open({
    etcd,
    keyspace,
    logger: createLogger({ service: 'test', level: 'silent' }),
  });
  cleanup.add(() => router.close());
}, 90_000);
afterAll(() => cleanup.run(), 60_000);

describe('namespace chains over 3 processes', () => {
  it('creates one chain of 3 per partition, heads spread over the members', async () => {
    const all = await chains();
    expect(all.map((c) => c.epoch)).toEqual([1, 1, 1, 1]);
    expect(new Set(all.map((c) => c.replicas[0])).size).toBe(3);
    expect(router.partitionCount).toBe(PARTITIONS);
  });

  describeNamespaceContract('3 processes, 4 partitions, via NamespaceRouter', () => ({
    ns: router,
    partitionCount: PARTITIONS,
  }));

  describeBucketDeletionContract('3 processes, 4 partitions, via NamespaceRouter', () => ({
    ns: router,
    partitionCount: PARTITIONS,
  }));

  it('keeps every acknowledged write through SIGKILL of the head, the middle and the tail', async () => {
    const bucket = 'crash-bucket';
    await router.createBucket({ writeId: 'crash-bucket-create', name: bucket, ownerAccountId: 'acct-1' });
    const acked: string[] = [];
    let stop = false;
    let counter = 0;
    let failures = 0;
    const writer = async (w: number): Promise<void> => {
      while (!stop) {
        const key = `w${w}/k${counter++}`;
        try {
          await router.putObject(putObjectOp({ bucket, key, body: key }).request, { timeoutMs: 20_000 });
          acked.push(key);
        } catch {
          failures++;
        }
      }
    };
    const writers = [0, 1, 2].map((w) => writer(w));
    const timings: string[] = [];
    try {
      for (const position of ['head', 'middle', 'tail'] as const) {
        const before = (await chains())[0];
        if (before === undefined) throw new Error('no chain 0');
        const victim =
          position === 'head' ? before.replicas[0] : position === 'middle' ? before.replicas[1] : before.replicas[2];
        if (victim === undefined) throw new Error(`no ${position}`);
        const ackedBefore = acked.length;
        await waitFor('writes flowing', () => acked.length >= ackedBefore + 20, { timeoutMs: 20_000 });
        const killedAt = performance.now();
        procs.get(victim)?.kill('SIGKILL');
        await procs.get(victim)?.exited;
        // Reconfigured: the victim is out of every chain within the bound.
        const reconfiguredMs = await removedFromChains(victim, position, killedAt);
        // Writes resume on the shortened chains.
        const resumedFrom = acked.length;
        await waitFor(`writes resume after losing the ${position}`, () => acked.length >= resumedFrom + 20, {
          timeoutMs: LEASE_TTL_S * 1000 + RECONFIGURE_SLACK_MS,
        });
        // The member comes back empty-handed (its old suffix is wiped), is copied and appended at the tail.
        await startMember(victim);
        await waitFor(`${victim} rejoined`, fullChains, { timeoutMs: REJOIN_BOUND_MS, intervalMs: 100 });
        const after = (await chains())[0];
        expect(after?.replicas.at(-1)).toBe(victim);
        expect(after?.epoch).toBeGreaterThan(before.epoch + 1);
        expect(reconfiguredMs).toBeLessThan(LEASE_TTL_S * 1000 + RECONFIGURE_SLACK_MS);
        timings.push(`${position} ${victim}: removed after ${Math.round(reconfiguredMs)} ms`);
      }
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    expect(acked.length).toBeGreaterThan(60);
    // Every acknowledged write is there, read from the tails after all three crashes.
    const missing: string[] = [];
    for (const key of acked) {
      const got = await router.getObject({ bucket, key }).catch(() => undefined);
      if (got?.version?.key !== key) missing.push(key);
    }
    expect(missing).toEqual([]);
    // And the replicas of each partition converge on the same sequence once writes stop.
    await waitFor('replicas agree', replicasAgree, { timeoutMs: 10_000, intervalMs: 200 });
    expect(failures).toBeLessThan(acked.length);
    // The figures the README quotes.
    console.info(`chain crash test: ${acked.length} acked writes, ${failures} failed; ${timings.join('; ')}`);
  }, 240_000);

  it('stays linearizable per key through a nemesis: SIGKILL of the head, the middle and the tail in turn, a head frozen past its lease, an etcd restart', async () => {
    const bucket = 'nemesis-bucket';
    await router.createBucket({ writeId: 'nemesis-bucket-create', name: bucket, ownerAccountId: 'acct-1' });
    const keys = ['n0', 'n1', 'n2', 'n3'];
    const clients = startRegisterClients(bucket, keys, 4);
    const progress = async (what: string, timeoutMs = 30_000): Promise<void> => {
      const from = clients.ops();
      await waitFor(what, () => clients.ops() >= from + 100, { timeoutMs });
    };
    const timings: string[] = [];
    try {
      await progress('clients running');
      // Every member is in every chain (3 members, chains of 3): each fault hits every key.
      for (const position of ['head', 'middle', 'tail'] as const) {
        const chain = (await chains())[1];
        const victim = chain?.replicas[position === 'head' ? 0 : position === 'middle' ? 1 : 2];
        if (victim === undefined) throw new Error(`no ${position} of chain 1`);
        procs.get(victim)?.kill('SIGKILL');
        await procs.get(victim)?.exited;
        timings.push(`SIGKILL ${position}: removed after ${Math.round(await removedFromChains(victim, position))} ms`);
        await progress(`clients resume without the ${position}`);
        await startMember(victim);
        await waitFor(`${victim} rejoined`, fullChains, { timeoutMs: REJOIN_BOUND_MS, intervalMs: 100 });
        await progress(`clients after the ${position} rejoined`);
      }
      // A head frozen past its lease is fenced and replaced; resumed, it rejoins empty.
      const frozen = (await chains())[2]?.replicas[0];
      if (frozen === undefined) throw new Error('no head of chain 2');
      procs.get(frozen)?.pause();
      try {
        timings.push(`SIGSTOP head: removed after ${Math.round(await removedFromChains(frozen, 'frozen head'))} ms`);
        await progress('clients resume without the frozen head');
      } finally {
        procs.get(frozen)?.resume();
      }
      await waitFor(`${frozen} rejoined`, fullChains, { timeoutMs: REJOIN_BOUND_MS, intervalMs: 100 });
      await progress('clients after the frozen head rejoined');
      // etcd away for longer than the lease TTL: every member loses its lease and stops
      // serving; once etcd is back (with its data) they register again, and the chains must
      // be whole and taking operations again within the bound.
      await etcdServer.stop();
      const opsBeforeOutage = clients.ops();
      await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_S * 1000 + 500));
      const opsDuringOutage = clients.ops() - opsBeforeOutage;
      await etcdServer.start();
      const restartedAt = performance.now();
      await progress('clients after the etcd restart', LEASE_TTL_S * 1000 + RECONFIGURE_SLACK_MS);
      await waitFor('chains whole after the etcd restart', fullChains, { timeoutMs: REJOIN_BOUND_MS, intervalMs: 100 });
      timings.push(
        `etcd down ${LEASE_TTL_S * 1000 + 500} ms (${opsDuringOutage} operations meanwhile), 100 more operations ${Math.round(performance.now() - restartedAt)} ms after its restart`,
      );
    } finally {
      await clients.stop();
    }
    // Last, a read of every key: an acknowledged write that went missing shows up here as a stale value.
    for (const key of keys) await clients.read(key);
    const history = clients.history;
    const succeededCas = history.filter(
      (h) => h.input.kind === 'cas' && h.completed?.output.kind === 'cas' && h.completed.output.ok,
    );
    expect(succeededCas.length).toBeGreaterThan(0);
    expect(history.length).toBeGreaterThan(1_000);
    const unknown = history.filter((h) => h.completed === undefined).length;
    const result = checkRegisterHistory(history);
    console.info(
      `nemesis: ${history.length} operations, ${unknown} with unknown outcome; ${timings.join('; ')}; check ${JSON.stringify(result)}`,
    );
    expect(result).toMatchObject({ ok: true });
  }, 300_000);

  it('fences a frozen head: it is replaced, never acknowledges a write once resumed, and rejoins empty', async () => {
    const bucket = 'frozen-bucket';
    await router.createBucket({ writeId: 'frozen-bucket-create', name: bucket, ownerAccountId: 'acct-1' });
    const keys = Array.from({ length: 200 }, (_, i) => `f${i}`).filter(
      (k) => partitionOfKey(bucket, k, PARTITIONS) === 0,
    );
    const [k0, k1, k2] = keys;
    if (k0 === undefined || k1 === undefined || k2 === undefined) throw new Error('no keys in partition 0');
    await router.putObject(putObjectOp({ bucket, key: k0, body: 'before' }).request);
    const before = (await chains())[0];
    const head = before?.replicas[0];
    if (before === undefined || head === undefined) throw new Error('no head of chain 0');
    const proc = procs.get(head);
    proc?.pause();
    try {
      await waitFor(`${head} (frozen) removed`, async () => !(await chains())[0]?.replicas.includes(head), {
        timeoutMs: LEASE_TTL_S * 1000 + RECONFIGURE_SLACK_MS,
        intervalMs: 50,
      });
      // The survivors take writes at once.
      await router.putObject(putObjectOp({ bucket, key: k1, body: 'during' }).request);
    } finally {
      proc?.resume();
    }
    // Straight to the old head, with the old epoch: refused, or never answered — never acknowledged.
    const port = ports.get(head);
    const stale = createRpcClient(namespaceV1.NamespaceService, `127.0.0.1:${port?.grpc}`, {
      defaultTimeoutMs: 3_000,
      retry: false,
    });
    try {
      const outcome = await stale
        .putObject({
          ...putObjectOp({ bucket, key: k2, body: 'zombie' }).request,
          route: create(namespaceV1.PartitionRouteSchema, { partitionId: 0, chainEpoch: BigInt(before.epoch) }),
        })
        .then(
          () => 'acknowledged',
          (err: unknown) => errorReason(err),
        );
      expect(outcome).not.toBe('acknowledged');
    } finally {
      stale.close();
    }
    await waitFor(`${head} rejoined`, fullChains, { timeoutMs: REJOIN_BOUND_MS, intervalMs: 100 });
    expect((await router.getObject({ bucket, key: k0 })).version?.etag).toBe(md5Hex('before'));
    expect((await router.getObject({ bucket, key: k1 })).version?.etag).toBe(md5Hex('during'));
    const zombie = await router.getObject({ bucket, key: k2 }).then(
      (r) => r.version?.etag,
      (err: unknown) => errorReason(err),
    );
    expect(zombie).toBe(commonV1.ErrorReason.NO_SUCH_KEY);
  }, 120_000);

  it('exports commits, chain hops, reconfigurations and lag on /metrics', async () => {
    const sum = (text: string, name: string): number =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
        .reduce((acc, l) => acc + Number(l.split(' ').at(-1)), 0);
    const texts = await Promise.all(
      MEMBERS.map(async (id) => (await fetch(`http://127.0.0.1:${ports.get(id)?.admin}/metrics`)).text()),
    );
    const all = texts.join('\n');
    expect(sum(all, 'platter_namespace_commits_total')).toBeGreaterThan(0);
    expect(sum(all, 'platter_namespace_chain_hop_seconds_count')).toBeGreaterThan(0);
    expect(sum(all, 'platter_namespace_forwarded_entries_total')).toBeGreaterThan(0);
    // The current manager has made at least the last rejoin (a join and a promotion) since it started.
    expect(sum(all, 'platter_namespace_reconfigurations_total')).toBeGreaterThan(0);
    for (let p = 0; p < PARTITIONS; p++)
      expect(all).toContain(`platter_namespace_replica_lag_entries{partition="${p}"`);
  });
});
