// ShardStore against raw `fs` on the same directory, in one run:
//   1. sequential puts of 8 MiB shards streamed in 1 MiB chunks vs raw 1 MiB
//      appends with an fdatasync per 8 MiB (the same durability unit), each
//      side first in half of the rounds; the ratio is the median of the
//      rounds' ratios;
//   2. streaming gets of those shards vs raw 1 MiB sequential reads of the
//      very extent files that hold them (same bytes, same place on the
//      disk), in GET_PAIRS pairs per round, each side first in half of
//      them, with the page cache
//      dropped before each pass; the ratio is the median of the pairs'.
//      (The VM's host caches its disk, so "cold" throughput swings 3× from
//      pass to pass; reading one set of blocks both ways cancels that.)
//   3. 4 KiB puts from 32 concurrent writers (group commit) vs a raw
//      write + fdatasync per 4 KiB (one writer), plus the engine with
//      group commit turned off (maxBatch 1) and raw with 32 concurrent
//      fsyncers. `ratio` is against raw (one writer); the engine pays one
//      durable sync per batch (the extent, its redo log; LMDB catches up
//      every 100 ms off the acknowledgement path), raw one per write.
//   4. the same sequential puts and gets through the gRPC StorageService
//      (libs/storage) over loopback, server in this process (so client and
//      server share the machine's cores), each as a fraction of the engine
//      alone: what the RPC layer costs on the data path.
// Every engine/raw ratio is a median of ratios of pairs run back to back,
// each side first as often as the other.
// Targets: puts ≥ 80% of raw, gets ≥ 90% of raw, small puts ≥ 10× raw.
// Args: --dir <path> (default: the OS temp dir) --mib <per round, default 512>
//       --rounds <default 4> --seconds <per small-put case, default 4>
//       --smallPairs <even, default 4>
//       --warmupSeconds <default 2>: 4 KiB puts from 32 writers on a scratch
//       store before the small-put pairs, reported apart as `warmup`. The
//       sequential cases before them run other code (a small put is one
//       coalesced write, a large one is streamed), and a path's first seconds
//       run before V8 has optimised it: in nine fresh processes here (three
//       young-generation sizes, which made no difference) the first 4 s round
//       of small puts averaged ~39 k/s, the next two ~42.5 k/s. A storage
//       node serves for weeks, as the other suites' warm-ups say.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { storageV1 } from '@platter/proto';
import { createRpcClient, createRpcServer } from '@platter/rpc';
import { ShardStore } from '@platter/shardstore';
import { createStorageService, DiskSet, FixedDiskStates } from '@platter/storage';
import { createLogger, createMetricsRegistry } from '@platter/telemetry';

const MiB = 2 ** 20;
/** Shard size of the sequential cases: an 8 MiB shard is 8 blocks of the default 1 MiB. */
const SHARD_BYTES = 8 * MiB;
const SMALL_BYTES = 4096;
const SMALL_WRITERS = 32;
/** Engine/raw read pairs per round (each pass after a cache drop); even, so each side goes first as often. */
const GET_PAIRS = 4;

interface Args {
  dir: string;
  mib: number;
  rounds: number;
  seconds: number;
  /**
   * Small-put pairs (group-commit engine, raw fsync per write); even, so each
   * side goes first as often. Four, not two: on these VMs either side swings
   * ±15% from one 4 s run to the next.
   */
  smallPairs: number;
  warmupSeconds: number;
}

function parseArgs(args: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  return {
    dir: get('dir') ?? os.tmpdir(),
    mib: Number(get('mib') ?? 512),
    rounds: Number(get('rounds') ?? 4),
    seconds: Number(get('seconds') ?? 4),
    smallPairs: 2 * Math.max(1, Math.round(Number(get('smallPairs') ?? 4) / 2)),
    warmupSeconds: Number(get('warmupSeconds') ?? 2),
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length / 2;
  // An even count averages its two middle values, so that two pairs are not judged by the better one.
  return Number.isInteger(mid)
    ? ((s[mid - 1] ?? Number.NaN) + (s[mid] ?? Number.NaN)) / 2
    : (s[Math.floor(mid)] ?? Number.NaN);
};
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Drops the page cache when allowed (root), so that reads come from the disk. */
async function dropCaches(): Promise<boolean> {
  try {
    await fs.writeFile('/proc/sys/vm/drop_caches', '1');
    return true;
  } catch {
    return false;
  }
}

async function syncAll(): Promise<void> {
  // Flush everything dirty before timing the next case, so that cases do not pay for each other.
  const { execFile } = await import('node:child_process');
  await new Promise<void>((resolve) => execFile('sync', () => resolve()));
}

const openStore = (dir: string, groupCommit?: { windowMs: number; maxBatch: number }): Promise<ShardStore> =>
  ShardStore.open({ dir, clusterId: 'bench', groupCommit, reserveFreeBytes: 0 });

async function* shardChunks(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

async function enginePut(dir: string, totalBytes: number, chunks: Buffer[]): Promise<{ mbps: number; ids: string[] }> {
  const store = await openStore(dir);
  const ids: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i * SHARD_BYTES < totalBytes; i++) {
    const id = `seq-${i}`;
    await store.put(id, shardChunks(chunks), { expectedLength: SHARD_BYTES });
    ids.push(id);
  }
  const s = (performance.now() - t0) / 1000;
  await store.close();
  return { mbps: (ids.length * SHARD_BYTES) / 1e6 / s, ids };
}

async function rawPut(file: string, totalBytes: number, chunks: Buffer[]): Promise<number> {
  const fh = await fs.open(file, 'w');
  const t0 = performance.now();
  let pos = 0;
  for (let i = 0; i * SHARD_BYTES < totalBytes; i++) {
    for (const c of chunks) {
      await fh.write(c, 0, c.length, pos);
      pos += c.length;
    }
    await fh.datasync();
  }
  const s = (performance.now() - t0) / 1000;
  await fh.close();
  return pos / 1e6 / s;
}

async function engineGet(dir: string, ids: string[]): Promise<number> {
  const store = await openStore(dir);
  let bytes = 0;
  const t0 = performance.now();
  for (const id of ids) {
    const r = await store.getStream(id, {}, { reuseBuffers: true });
    for await (const c of r.chunks) bytes += c.length;
  }
  const s = (performance.now() - t0) / 1000;
  await store.close();
  return bytes / 1e6 / s;
}

/** Raw 1 MiB sequential reads of every file, one after the other, one buffer. */
async function rawGet(files: string[]): Promise<number> {
  const buf = Buffer.allocUnsafe(MiB);
  let bytes = 0;
  const t0 = performance.now();
  for (const file of files) {
    const fh = await fs.open(file, 'r');
    for (let pos = 0; ;) {
      const { bytesRead } = await fh.read(buf, 0, MiB, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      bytes += bytesRead;
    }
    await fh.close();
  }
  const s = (performance.now() - t0) / 1000;
  return bytes / 1e6 / s;
}

async function extentFiles(storeDir: string): Promise<string[]> {
  const dir = path.join(storeDir, 'extents');
  return (await fs.readdir(dir)).sort().map((f) => path.join(dir, f));
}

/** Runs `op` from `writers` loops until `seconds` pass; ops per second. */
async function rate(writers: number, seconds: number, op: (w: number, i: number) => Promise<void>): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        await op(w, i);
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

async function engineSmall(
  dir: string,
  writers: number,
  seconds: number,
  groupCommit?: { windowMs: number; maxBatch: number },
): Promise<{ perSecond: number; meanBatch: number }> {
  const store = await openStore(dir, groupCommit);
  const data = randomBytes(SMALL_BYTES);
  const before = (await store.stats()).groupCommit;
  const perSecond = await rate(writers, seconds, (w, i) =>
    store.put(`small-${writers}-${groupCommit?.maxBatch ?? 'gc'}-${w}-${i}`, data).then(() => undefined),
  );
  const after = (await store.stats()).groupCommit;
  await store.close();
  return { perSecond, meanBatch: (after.requests - before.requests) / Math.max(1, after.batches - before.batches) };
}

async function rawSmall(file: string, writers: number, seconds: number): Promise<number> {
  const fh = await fs.open(file, 'w');
  const data = randomBytes(SMALL_BYTES);
  let pos = 0;
  const perSecond = await rate(writers, seconds, async () => {
    const at = pos;
    pos += SMALL_BYTES;
    await fh.write(data, 0, SMALL_BYTES, at);
    await fh.datasync();
  });
  await fh.close();
  return perSecond;
}

/** A shard id as the contract wants it (32 lowercase hex), unique per round. */
const grpcShardId = (round: number, i: number): string =>
  `${round.toString(16).padStart(8, '0')}${i.toString(16).padStart(24, '0')}`;

/**
 * Sequential puts then gets of the same shards as the engine cases, through
 * a real StorageService over loopback gRPC (in this process, real grpc-js on
 * both ends, 1 MiB data messages), on a fresh store in `dir`.
 */
async function grpcRound(
  dir: string,
  round: number,
  totalBytes: number,
  chunks: Buffer[],
): Promise<{ putMBps: number; getMBps: number; cold: boolean }> {
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const disks = await DiskSet.open([{ id: 'bench-d1', path: dir }], {
    clusterId: 'bench',
    blockSizeBytes: MiB,
    logger,
    storeOptions: { reserveFreeBytes: 0 },
  });
  const server = createRpcServer({ logger, registry: createMetricsRegistry({ service: 'bench' }) });
  let address = '';
  server.add(
    storageV1.StorageService,
    createStorageService({
      disks,
      states: new FixedDiskStates(),
      node: { nodeId: 'bench', address: () => address, failureDomain: {} },
      blockSizeBytes: MiB,
      logger,
    }),
  );
  address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  const client = createRpcClient(storageV1.StorageService, address, { defaultTimeoutMs: 600_000 });
  try {
    const count = Math.ceil(totalBytes / SHARD_BYTES);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const header = {
        diskId: 'bench-d1',
        shardId: grpcShardId(round, i),
        totalLength: BigInt(SHARD_BYTES),
        blockSize: MiB,
      };
      await client.putShard(
        (async function* () {
          yield { payload: { case: 'header' as const, value: header } };
          for (const c of chunks) yield { payload: { case: 'data' as const, value: c } };
        })(),
      );
    }
    const putS = (performance.now() - t0) / 1000;
    const cold = await dropCaches();
    let bytes = 0;
    const t1 = performance.now();
    for (let i = 0; i < count; i++) {
      for await (const m of client.getShard({ diskId: 'bench-d1', shardId: grpcShardId(round, i) }))
        bytes += m.data.byteLength;
    }
    const getS = (performance.now() - t1) / 1000;
    if (bytes !== count * SHARD_BYTES)
      throw new Error(`gRPC gets returned ${bytes} bytes, expected ${count * SHARD_BYTES}`);
    return { putMBps: (count * SHARD_BYTES) / 1e6 / putS, getMBps: bytes / 1e6 / getS, cold };
  } finally {
    client.close();
    await server.shutdown(1_000);
    await disks.close();
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const a = parseArgs(args);
  const base = await fs.mkdtemp(path.join(a.dir, 'platter-bench-shardstore-'));
  try {
    const totalBytes = a.mib * MiB;
    const chunks = Array.from({ length: SHARD_BYTES / MiB }, () => randomBytes(MiB));
    const put = { engine: [] as number[], raw: [] as number[], grpc: [] as number[], ratios: [] as number[] };
    const get = { engine: [] as number[], raw: [] as number[], grpc: [] as number[], ratios: [] as number[] };
    let cold = true;
    for (let r = 0; r < a.rounds; r++) {
      const storeDir = path.join(base, `store-${r}`);
      const rawFile = path.join(base, `raw-${r}.bin`);
      // Who writes first alternates too: the host writes back the VM's disk
      // behind it, so the second writer of a round often pays for the first.
      const engineFirstPut = r % 2 === 0;
      let ep: { mbps: number; ids: string[] } | undefined;
      let rawMBps = 0;
      for (const side of engineFirstPut ? ['engine', 'raw'] : ['raw', 'engine']) {
        await syncAll();
        if (side === 'engine') ep = await enginePut(storeDir, totalBytes, chunks);
        else rawMBps = await rawPut(rawFile, totalBytes, chunks);
      }
      if (!ep) throw new Error('the engine put did not run');
      put.raw.push(rawMBps);
      put.engine.push(ep.mbps);
      put.ratios.push(ep.mbps / rawMBps);
      const extents = await extentFiles(storeDir);
      for (let pair = 0; pair < GET_PAIRS; pair++) {
        // Who reads first alternates: the first pass after the puts runs while the host still writes them back.
        const pass = async <T>(read: () => Promise<T>): Promise<T> => {
          cold = (await dropCaches()) && cold;
          return read();
        };
        const engineFirst = pair % 2 === 0;
        const first = await pass(() => (engineFirst ? engineGet(storeDir, ep.ids) : rawGet(extents)));
        const second = await pass(() => (engineFirst ? rawGet(extents) : engineGet(storeDir, ep.ids)));
        const [engine, raw] = engineFirst ? [first, second] : [second, first];
        get.engine.push(engine);
        get.raw.push(raw);
        get.ratios.push(engine / raw);
      }
      await fs.rm(storeDir, { recursive: true, force: true });
      await fs.rm(rawFile, { force: true });
      const grpcDir = path.join(base, `grpc-${r}`);
      await syncAll();
      const g = await grpcRound(grpcDir, r, totalBytes, chunks);
      put.grpc.push(g.putMBps);
      get.grpc.push(g.getMBps);
      cold = g.cold && cold;
      await fs.rm(grpcDir, { recursive: true, force: true });
    }

    const warmup =
      a.warmupSeconds > 0
        ? await engineSmall(path.join(base, 'small-warmup'), SMALL_WRITERS, a.warmupSeconds)
        : undefined;
    // Group commit against one fsync per write, in `smallPairs` pairs, each side first in half of them.
    const small = { engine: [] as number[], raw: [] as number[], batches: [] as number[], ratios: [] as number[] };
    for (let pair = 0; pair < a.smallPairs; pair++) {
      let engine = { perSecond: 0, meanBatch: 0 };
      let raw = 0;
      for (const side of pair % 2 === 0 ? ['raw', 'engine'] : ['engine', 'raw']) {
        await syncAll();
        if (side === 'raw') raw = await rawSmall(path.join(base, `small-raw-1-${pair}.bin`), 1, a.seconds);
        else engine = await engineSmall(path.join(base, `small-gc-${pair}`), SMALL_WRITERS, a.seconds);
      }
      small.engine.push(engine.perSecond);
      small.raw.push(raw);
      small.batches.push(engine.meanBatch);
      small.ratios.push(engine.perSecond / raw);
    }
    const rawSerial = median(small.raw);
    const engine32 = { perSecond: median(small.engine), meanBatch: median(small.batches) };
    const raw32 = await rawSmall(path.join(base, 'small-raw-32.bin'), SMALL_WRITERS, a.seconds);
    const engineNoGc = await engineSmall(path.join(base, 'small-nogc'), SMALL_WRITERS, a.seconds, {
      windowMs: 0,
      maxBatch: 1,
    });
    const engine1 = await engineSmall(path.join(base, 'small-1'), 1, a.seconds);

    const putRatio = median(put.ratios);
    const getRatio = median(get.ratios);
    const smallRatio = median(small.ratios);
    const grpcPutRatio = median(put.grpc) / median(put.engine);
    const grpcGetRatio = median(get.grpc) / median(get.engine);
    return {
      dir: a.dir,
      sameDiskForBoth: true,
      sequentialPut: {
        shardMiB: SHARD_BYTES / MiB,
        chunkMiB: 1,
        mibPerRound: a.mib,
        rounds: a.rounds,
        engineMBps: round(median(put.engine)),
        rawAppendFdatasyncMBps: round(median(put.raw)),
        roundRatios: put.ratios.map((r) => round(r, 2)),
        ratio: round(putRatio, 2),
        target: 0.8,
        met: putRatio >= 0.8,
      },
      sequentialGet: {
        cache: cold ? 'cold (page cache dropped before each read pass)' : 'warm (could not drop the page cache)',
        engineMBps: round(median(get.engine)),
        rawReadMBps: round(median(get.raw)),
        rawReads: 'the same extent files, 1 MiB sequential reads',
        pairs: get.ratios.length,
        pairRatios: get.ratios.map((r) => round(r, 2)),
        ratio: round(getRatio, 2),
        target: 0.9,
        met: getRatio >= 0.9,
      },
      grpc: {
        server: 'in-process StorageService over loopback gRPC (client and server share the cores)',
        // Fresh-memory page faults dominate gRPC bulk transfer here (STACK.md, pitfall 12): say how malloc was tuned.
        glibcTunables: process.env.GLIBC_TUNABLES ?? null,
        shardMiB: SHARD_BYTES / MiB,
        chunkMiB: 1,
        grpc_put_mb_s: round(median(put.grpc)),
        grpc_put_ratio_vs_engine: round(grpcPutRatio, 2),
        grpc_get_mb_s: round(median(get.grpc)),
        grpc_get_ratio_vs_engine: round(grpcGetRatio, 2),
      },
      smallPut: {
        bytes: SMALL_BYTES,
        seconds: a.seconds,
        warmup: warmup && { seconds: a.warmupSeconds, engineGroupCommit32PerSec: Math.round(warmup.perSecond) },
        engineGroupCommit32PerSec: Math.round(engine32.perSecond),
        engineMeanBatch: round(engine32.meanBatch),
        engineNoGroupCommit32PerSec: Math.round(engineNoGc.perSecond),
        engineOneWriterPerSec: Math.round(engine1.perSecond),
        rawFsyncPerWrite1WriterPerSec: Math.round(rawSerial),
        rawFsyncPerWrite32WritersPerSec: Math.round(raw32),
        pairRatios: small.ratios.map((r) => round(r, 1)),
        ratio: round(smallRatio, 1),
        ratioVsEngineWithoutGroupCommit: round(engine32.perSecond / engineNoGc.perSecond, 1),
        target: 10,
        met: smallRatio >= 10,
      },
    };
  } finally {
    await fs.rm(base, { recursive: true, force: true });
  }
}
