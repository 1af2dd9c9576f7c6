import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, waitFor, type LocalCluster } from '@platter/testkit';
import { clusterClient } from './s3-client.js';

// The cluster's two dependencies frozen under load (SIGSTOP: the process
// keeps its sockets and answers nothing, which is harder on clients than a
// refused connection), then thawed:
// - Redis (heat telemetry, repair queue): the data path never waits on it,
//   so every PUT and GET succeeds, byte-exact, while it is frozen;
// - placement (allocation): reads and objects inline in the namespace need
//   none, so they go on; erasure-coded writes answer 503 in time;
// - etcd (membership, chains) past the lease TTL: namespace replicas fence
//   themselves, so requests may fail, but each answers promptly (a 503 once
//   the frontend knows etcd is gone, never a wait for a reconfiguration that
//   cannot happen), a GET that answers 200 has the right bytes, and once etcd
//   is back the cluster serves again within a bound; every PUT acknowledged
//   during the outage reads back afterwards.
// No service process may crash meanwhile, or print a Node warning.

const KiB = 1024;
const MiB = 1024 * KiB;
const BUCKET = 'outages';
/** Inline in the namespace, one erasure-coded stripe, several stripes. */
const SIZES = [4 * KiB, MiB, 12 * MiB];
/** How long each dependency stays frozen, ms: past the local cluster's 5 s lease TTL. */
const FROZEN_MS = 10_000;
/**
 * Longest any one request may take while a dependency is frozen, ms: the
 * frontend's namespace router rides out a chain reconfiguration for up to 20 s
 * (its DEFAULT_ROUTER_TIMEOUT_MS) before it answers 503, plus a margin.
 */
const REQUEST_BOUND_MS = 30_000;
/**
 * While etcd is out of reach, a request the namespace refuses is answered
 * this soon, ms: the frontend learns it lost etcd when its own lease lapses
 * (the local TTL, 5 s) and then stops waiting for a reconfiguration; margin.
 */
const ETCD_OUT_ANSWER_MS = 10_000;
/** After etcd thaws, the cluster must serve again within this, ms: lease TTL, re-registration, chain repair. */
const RECOVERY_BOUND_MS = 30_000;

let cluster: LocalCluster;
let s3: S3Client;

beforeAll(async () => {
  cluster = await startLocalCluster();
  // One attempt per call: the test sees every answer the cluster gives, not the SDK's retries.
  s3 = clusterClient(cluster, { maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 240_000);

afterAll(async () => {
  s3?.destroy();
  await cluster?.stop();
}, 120_000);

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

/** The pid of the one process whose command line contains every one of `parts`. */
function pidOf(...parts: string[]): number {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue; // gone meanwhile
    }
    if (parts.every((p) => cmdline.includes(p))) found.push(Number(entry));
  }
  if (found.length !== 1) throw new Error(`expected one process matching ${parts.join(' ')}, found ${found.length}`);
  return found[0]!;
}

const portOf = (url: string): string => new URL(url).port;

type Outcome = { size: number } & ({ ok: true } | { ok: false; status: number | undefined; name: string; ms: number });

/** PUT `body` at `key`, then GET it back; the GET's bytes must be the PUT's whenever it answers 200. */
async function roundTrip(key: string, body: Buffer, written: Map<string, string>): Promise<Outcome> {
  const started = performance.now();
  const fail = (err: unknown): Outcome => {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    return {
      size: body.length,
      ok: false,
      status: e.$metadata?.httpStatusCode,
      name: e.name ?? String(err),
      ms: performance.now() - started,
    };
  };
  const bounded = { abortSignal: AbortSignal.timeout(REQUEST_BOUND_MS) };
  try {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }), bounded);
  } catch (err) {
    return fail(err);
  }
  written.set(key, md5(body));
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
      abortSignal: AbortSignal.timeout(REQUEST_BOUND_MS),
    });
    expect(md5(await got.Body!.transformToByteArray())).toBe(written.get(key));
  } catch (err) {
    if (err instanceof Error && err.name === 'AssertionError') throw err;
    return fail(err);
  }
  return { size: body.length, ok: true };
}

/** Round trips of every size, one after another, at least one of each and until `ms` pass; their outcomes. */
async function roundTripsFor(ms: number, tag: string, written: Map<string, string>): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const end = performance.now() + ms;
  for (let i = 0; i < SIZES.length || performance.now() < end; i++) {
    const size = SIZES[i % SIZES.length]!;
    outcomes.push(await roundTrip(`${tag}/${i}-${size}`, randomBytes(size), written));
  }
  return outcomes;
}

/** Every service process, as `id:pid`: a crash shows as a new pid (the launcher restarts it). */
const servicePids = (): string[] =>
  cluster
    .processes()
    .map((p) => `${p.id}:${p.pid}`)
    .sort();

async function readsBackExactly(written: Map<string, string>): Promise<void> {
  for (const [Key, sum] of written) {
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
    expect(md5(await got.Body!.transformToByteArray()), Key).toBe(sum);
  }
}

/** `signal`s a process SIGSTOP, runs round trips for FROZEN_MS (then `alsoFrozen`), and SIGCONTs it; the outcomes. */
async function roundTripsFrozen(
  signal: (sig: NodeJS.Signals) => void,
  tag: string,
  written: Map<string, string>,
  alsoFrozen?: () => Promise<void>,
): Promise<Outcome[]> {
  signal('SIGSTOP');
  try {
    const during = await roundTripsFor(FROZEN_MS, tag, written);
    await alsoFrozen?.();
    return during;
  } finally {
    signal('SIGCONT');
  }
}

/**
 * Waits (within RECOVERY_BOUND_MS) until a PUT and GET of every size, on new
 * keys, succeed again after `what` is back. One success is not enough: the
 * partitions come back one by one (each chain rejoins on its own), and a key
 * of one still reconfiguring would fail the checks that follow.
 */
async function servingAgain(what: string, written: Map<string, string>): Promise<void> {
  let round = 0;
  await waitFor(
    `a PUT and GET of every size to succeed after ${what} is back`,
    async () => (await roundTripsFor(0, `${what}-again-${round++}`, written)).every((o) => o.ok),
    { timeoutMs: RECOVERY_BOUND_MS, intervalMs: 250 },
  );
}

/** Each failed round trip was an answer in time saying the service is unavailable. */
function expectPrompt503s(during: Outcome[], boundMs: number): void {
  for (const o of during.filter((x): x is Extract<Outcome, { ok: false }> => !x.ok)) {
    expect(o.status, JSON.stringify(o)).toBe(503);
    expect(o.ms).toBeLessThan(boundMs);
  }
}

describe('dependencies frozen under a running cluster', () => {
  it('Redis frozen: every PUT and GET still succeeds, byte-exact, and nothing restarts', async () => {
    const written = new Map<string, string>();
    expect((await roundTripsFor(0, 'redis-before', written)).filter((o) => !o.ok)).toEqual([]);
    const pids = servicePids();
    // Redis names itself after its address in its process title.
    const redis = pidOf('redis-server', `127.0.0.1:${portOf(cluster.redisUrl)}`);
    const during = await roundTripsFrozen((sig) => process.kill(redis, sig), 'redis-frozen', written);
    expect(during.filter((o) => !o.ok)).toEqual([]);
    expect((await roundTripsFor(0, 'redis-after', written)).filter((o) => !o.ok)).toEqual([]);
    await readsBackExactly(written);
    expect(servicePids()).toEqual(pids);
  }, 120_000);

  it('etcd frozen past the lease TTL: refused requests get a prompt 503, service back after the thaw', async () => {
    const written = new Map<string, string>();
    const pids = servicePids();
    const etcd = pidOf('etcd', `127.0.0.1:${portOf(cluster.etcdUrl)}`, '--listen-client-urls');
    const during = await roundTripsFrozen((sig) => process.kill(etcd, sig), 'etcd-frozen', written);
    expectPrompt503s(during, ETCD_OUT_ANSWER_MS);
    const thawed = performance.now();
    await servingAgain('etcd', written);
    console.log(
      `etcd frozen ${FROZEN_MS} ms: ${during.filter((o) => o.ok).length} of ${during.length} round trips served, ` +
        `the slowest refusal in ${Math.round(Math.max(0, ...during.map((o) => (o.ok ? 0 : o.ms))))} ms; ` +
        `serving again ${Math.round(performance.now() - thawed)} ms after the thaw`,
    );
    expect((await roundTripsFor(0, 'etcd-after', written)).filter((o) => !o.ok)).toEqual([]);
    // No acknowledged write was lost to the outage.
    await readsBackExactly(written);
    expect(servicePids()).toEqual(pids);
  }, 180_000);

  it('placement frozen: reads and inline writes go on, erasure-coded writes answer 503 in time, all resume after', async () => {
    const before = new Map<string, string>();
    expect((await roundTripsFor(0, 'placement-before', before)).filter((o) => !o.ok)).toEqual([]);
    const written = new Map<string, string>();
    const pids = servicePids();
    // Reading needs no placement: what was written before reads back byte-exact meanwhile.
    const during = await roundTripsFrozen(
      (sig) => cluster.signal('placement-1', sig),
      'placement-frozen',
      written,
      () => readsBackExactly(before),
    );
    expectPrompt503s(during, REQUEST_BOUND_MS);
    // Objects small enough to live in the namespace need no placement at all.
    const inline = during.filter((o) => o.size === SIZES[0]);
    expect(inline.length).toBeGreaterThan(0);
    expect(inline.filter((o) => !o.ok)).toEqual([]);
    await servingAgain('placement', written);
    console.log(
      `placement frozen ${FROZEN_MS} ms: ${during.filter((o) => o.ok).length} of ${during.length} round trips served`,
    );
    await readsBackExactly(written);
    expect(servicePids()).toEqual(pids);
  }, 180_000);

  it('left no Node process warnings in any service log', () => {
    expect(cluster.processWarnings()).toEqual([]);
  });
});
