import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { openCodec } from '@platter/erasure';
import { commonV1, storageV1 } from '@platter/proto';
import { create } from '@bufbuild/protobuf';
import { createRpcClient } from '@platter/rpc';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeStorageNode } from '../testing/fake-storage-node.js';
import type { ShardAllocator, StorageClient, StorageDirectory } from './data-path-types.js';
import { LatencyTracker } from './latency-tracker.js';
import { PartUnreadableError, readPart, type ReadStats } from './part-reader.js';
import { ReadSteering } from './read-steering.js';
import { WriteQuorumError, writePart, type PartScheme } from './part-writer.js';

// The write and read paths over real gRPC against nine in-memory storage
// nodes (one per shard), with the real Reed-Solomon codec.

const K = 5;
const M = 4;
const BLOCK = 4096;
const CODEC = 'rs-cauchy-gf256';
const scheme: PartScheme = { k: K, m: M, blockSize: BLOCK, codecId: CODEC, writeQuorum: K + 2 };
const codec = openCodec(CODEC, K, M);

let nodes: FakeStorageNode[];
const clients = new Map<string, StorageClient>();
const storage: StorageDirectory = {
  client(address) {
    let c = clients.get(address);
    if (!c)
      clients.set(address, (c = createRpcClient(storageV1.StorageService, address, { defaultTimeoutMs: 10_000 })));
    return c;
  },
  addressOf: (diskId) => nodes[Number(diskId.slice(1))]?.address,
};
const allocator: ShardAllocator = {
  allocate: async () => ({
    allocationId: 'a1',
    underSpread: false,
    targets: nodes.map((n, i) => ({
      shardIndex: i,
      diskId: `d${i}`,
      diskUuid: '',
      address: n.address,
      diskStateEpoch: 0n,
    })),
  }),
};

beforeAll(async () => {
  nodes = await Promise.all(Array.from({ length: K + M }, () => FakeStorageNode.start()));
});
afterAll(async () => {
  for (const c of clients.values()) c.close();
  await Promise.all(nodes.map((n) => n.stop()));
});
beforeEach(() => {
  for (const n of nodes) n.faults = {};
});

async function* chunks(bytes: Buffer, size = 1000): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function put(body: Buffer) {
  const w = await writePart(
    { allocator, storage, codec },
    scheme,
    1,
    body.length,
    chunks(body),
    new AbortController().signal,
  );
  return { ...w, part: create(commonV1.PartLayoutSchema, w.layout) };
}

async function read(
  part: commonV1.PartLayout,
  from: number,
  to: number,
  stats?: ReadStats,
  steering?: ReadSteering,
): Promise<Buffer> {
  const latency = new LatencyTracker(50, 5);
  const out: Buffer[] = [];
  for await (const c of readPart(
    { storage, codec: () => codec, latency, steering },
    part,
    from,
    to,
    new AbortController().signal,
    stats,
  ))
    out.push(c);
  return Buffer.concat(out);
}

describe('data path', () => {
  it('reads back any range of what it wrote, byte-exact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 120_000 }), fc.nat(), fc.nat(), async (size, a, b) => {
        const body = randomBytes(size);
        const { part, missing } = await put(body);
        expect(missing).toEqual([]);
        expect(part.shards).toHaveLength(K + M);
        const from = a % size;
        const to = from + 1 + (b % (size - from));
        expect((await read(part, from, to)).equals(body.subarray(from, to))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('stores at the write quorum and reports the shards that failed', async () => {
    nodes[1]!.faults = { failPutAfterBytes: 10_000 };
    nodes[6]!.faults = { failPutAfterBytes: 0 };
    const body = randomBytes(200_000);
    const { part, missing } = await put(body);
    expect(missing).toEqual([1, 6]);
    expect(part.shards.map((s) => s.shardIndex)).toEqual([0, 2, 3, 4, 5, 7, 8]);
    nodes[1]!.faults = {};
    const stats: ReadStats = { hedged: 0, decoded: 0, steered: 0 };
    expect((await read(part, 0, body.length, stats)).equals(body)).toBe(true);
    expect(stats.decoded).toBeGreaterThan(0);
  });

  it('fails below the write quorum', async () => {
    for (const i of [0, 3, 8]) nodes[i]!.faults = { failPutAfterBytes: 5_000 };
    await expect(put(randomBytes(200_000))).rejects.toBeInstanceOf(WriteQuorumError);
  });

  it('hedges around a failed, a corrupt and a slow data shard and returns the right bytes', async () => {
    const body = randomBytes(150_000);
    const { part } = await put(body);
    for (const fault of [{ failGets: true }, { corruptGets: true }, { getDelayMs: 2_000 }]) {
      nodes[2]!.faults = fault;
      const stats: ReadStats = { hedged: 0, decoded: 0, steered: 0 };
      const t0 = performance.now();
      expect((await read(part, 0, body.length, stats)).equals(body)).toBe(true);
      expect(stats.hedged).toBeGreaterThan(0);
      expect(stats.decoded).toBeGreaterThan(0);
      // The slow shard was raced, not waited for.
      expect(performance.now() - t0).toBeLessThan(1_500);
    }
  });

  it('reads only the blocks a small range needs', async () => {
    const body = randomBytes(5 * BLOCK * 3);
    const { part } = await put(body);
    const before = nodes.map((n) => n.gets);
    expect((await read(part, BLOCK + 10, BLOCK + 20)).equals(body.subarray(BLOCK + 10, BLOCK + 20))).toBe(true);
    const after = nodes.map((n, i) => n.gets - before[i]!);
    expect(after).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('steers whole-stripe reads off a hot disk to parity, same number of reads, right bytes; ranges stay put', async () => {
    const body = randomBytes(5 * BLOCK * 4 + 777);
    const { part } = await put(body);
    const steering = new ReadSteering({ above: 1.05, gain: 1, release: 0.5, random: () => 0.5 });
    steering.update([{ diskId: 'd2', relativeHeat: 1e9 }]);
    const before = nodes.map((n) => n.gets);
    const stats: ReadStats = { hedged: 0, decoded: 0, steered: 0 };
    expect((await read(part, 0, body.length, stats, steering)).equals(body)).toBe(true);
    const after = nodes.map((n, i) => n.gets - before[i]!);
    expect(after[2]).toBe(0);
    // Five stripes, k reads each: one parity shard stood in for shard 2 every time.
    expect(after.reduce((a, b) => a + b, 0)).toBe(5 * K);
    expect(stats).toMatchObject({ steered: 5, decoded: 5, hedged: 0 });
    // A range inside block 2 reads block 2: rebuilding it would cost k reads.
    const mid = nodes[2]!.gets;
    expect(
      (await read(part, 2 * BLOCK + 5, 2 * BLOCK + 50, undefined, steering)).equals(
        body.subarray(2 * BLOCK + 5, 2 * BLOCK + 50),
      ),
    ).toBe(true);
    expect(nodes[2]!.gets - mid).toBe(1);
  });

  it('fails a read with fewer than k readable shards, never with wrong bytes', async () => {
    const body = randomBytes(60_000);
    const { part } = await put(body);
    for (const i of [0, 1, 5, 6, 7]) nodes[i]!.faults = { failGets: true };
    await expect(read(part, 0, body.length)).rejects.toBeInstanceOf(PartUnreadableError);
  });

  it('abandons every shard when the client goes away mid-body', async () => {
    const stored = nodes.reduce((n, x) => n + x.shards.size, 0);
    async function* vanishing(): AsyncGenerator<Buffer> {
      yield randomBytes(50_000);
      throw new Error('client went away');
    }
    await expect(
      writePart({ allocator, storage, codec }, scheme, 1, 100_000, vanishing(), new AbortController().signal),
    ).rejects.toThrow('client went away');
    await new Promise((r) => setTimeout(r, 100));
    expect(nodes.reduce((n, x) => n + x.shards.size, 0)).toBe(stored);
  });
});
