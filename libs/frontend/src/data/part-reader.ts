import { crc32c } from '@platter/isal';
import { commonV1 } from '@platter/proto';
import type { StorageDirectory, StripeCodec } from './data-path-types.js';
import type { LatencyTracker } from './latency-tracker.js';
import type { ReadSteering } from './read-steering.js';
import { blockSizeOf, blocksTouched, shardOffsetOf, stripeGeometry, stripeOf, stripeStart } from './stripe-geometry.js';

// The read path of one part (ARCHITECTURE.md, GET): for each stripe the
// range touches, read only the data blocks that hold wanted bytes; when one
// of them fails, fails its CRC, or is still pending after the recent p95,
// race the stripe's other shards and decode from the first k that arrive.
// A read of a whole stripe may start with parity shards instead of data
// shards on hot disks (read-steering.ts): the same k reads, plus a decode.
// A couple of stripes are read ahead, so memory stays at a few stripes per GET.

/** Stripes fetched ahead of the one being sent. */
const READ_AHEAD_STRIPES = 2;
const BLOCK_READ_TIMEOUT_MS = 30_000;

/** Fewer than k shards of a stripe could be read: the bytes are not available now. */
export class PartUnreadableError extends Error {
  constructor(
    readonly stripe: number,
    readonly causes: readonly unknown[],
  ) {
    super(`stripe ${stripe}: fewer than k shards readable`);
    this.name = 'PartUnreadableError';
  }
}

/** A shard chunk whose CRC32C did not match: the bytes were never used. */
export class ShardChecksumError extends Error {
  constructor(
    readonly diskId: string,
    readonly shardId: string,
  ) {
    super(`CRC32C mismatch reading shard ${shardId} on ${diskId}`);
    this.name = 'ShardChecksumError';
  }
}

export interface PartReaderDeps {
  storage: StorageDirectory;
  codec: (scheme: NonNullable<commonV1.PartLayout['scheme']>) => StripeCodec;
  latency: LatencyTracker;
  /** Which shards a whole-stripe read asks first; data shards only when absent. */
  steering?: ReadSteering;
}

export interface ReadStats {
  /** Stripes whose other shards were raced (a data shard failed, failed its CRC, or outlasted the recent p95). */
  hedged: number;
  /** Stripes rebuilt from parity. */
  decoded: number;
  /** Whole-stripe reads that asked a parity shard instead of a data shard on a hot disk. */
  steered: number;
}

/** The part's bytes [from, to) as chunks, in order. */
export async function* readPart(
  deps: PartReaderDeps,
  part: commonV1.PartLayout,
  from: number,
  to: number,
  signal: AbortSignal,
  stats: ReadStats = { hedged: 0, decoded: 0, steered: 0 },
): AsyncGenerator<Buffer> {
  if (to <= from) return;
  const scheme = part.scheme;
  if (!scheme) throw new Error(`part ${part.partNumber} has no scheme`);
  const g = stripeGeometry(Number(part.size), scheme.dataShards, scheme.parityShards, scheme.blockSize);
  const first = stripeOf(g, from);
  const last = stripeOf(g, to - 1);
  const codec = deps.codec(scheme);
  const cancel = new AbortController();
  const onAbort = (): void => cancel.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const inFlight: Promise<Buffer[]>[] = [];
  let next = first;
  const fetchNext = (): void => {
    const s = next++;
    const p = readStripeRange(deps, codec, part, g, s, from, to, cancel.signal, stats);
    p.catch(() => undefined); // awaited in order below
    inFlight.push(p);
  };
  try {
    while (next <= last && inFlight.length < READ_AHEAD_STRIPES) fetchNext();
    while (inFlight.length > 0) {
      const slices = await inFlight.shift()!;
      if (next <= last) fetchNext();
      yield* slices;
    }
  } finally {
    cancel.abort(new Error('read finished'));
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The wanted bytes of stripe `s`, read (and if need be decoded) from its
 * shards: a slice of each block it touches. Not joined: a copy of every
 * stripe (5 MiB) cost ~4% of a 64 MiB GET's frontend CPU and fed the GC.
 */
async function readStripeRange(
  deps: PartReaderDeps,
  codec: StripeCodec,
  part: commonV1.PartLayout,
  g: ReturnType<typeof stripeGeometry>,
  s: number,
  from: number,
  to: number,
  signal: AbortSignal,
  stats: ReadStats,
): Promise<Buffer[]> {
  const { first, last } = blocksTouched(g, s, from, to);
  const wanted = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const blocks = await readStripeBlocks(deps, codec, part, g, s, wanted, signal, stats);
  const bs = blockSizeOf(g, s);
  const start = stripeStart(g, s);
  // [lo, hi) of the wanted bytes, counted from the first block's start.
  const lo = Math.max(from, start) - (start + first * bs);
  const hi = Math.min(to, start + (last + 1) * bs) - (start + first * bs);
  const slices: Buffer[] = [];
  let at = 0;
  for (const block of blocks) {
    const a = Math.max(lo, at);
    const b = Math.min(hi, at + block.length);
    if (b > a) slices.push(block.subarray(a - at, b - at));
    at += block.length;
  }
  return slices;
}

async function readStripeBlocks(
  deps: PartReaderDeps,
  codec: StripeCodec,
  part: commonV1.PartLayout,
  g: ReturnType<typeof stripeGeometry>,
  s: number,
  wanted: number[],
  signal: AbortSignal,
  stats: ReadStats,
): Promise<Buffer[]> {
  const n = g.k + g.m;
  const bs = blockSizeOf(g, s);
  const got = new Map<number, Buffer>();
  const causes: unknown[] = [];
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const asked = new Set<number>();
  let settled = 0;
  let hedged = false;
  let wake: () => void = () => undefined;
  const start = (i: number): void => {
    asked.add(i);
    const t0 = performance.now();
    readBlock(deps, part, i, shardOffsetOf(g, s), bs, stop.signal)
      .then(
        (b) => {
          deps.latency.observe(performance.now() - t0);
          got.set(i, b);
        },
        (err: unknown) => {
          causes.push(err);
          hedge();
        },
      )
      .finally(() => {
        settled++;
        wake();
      });
  };
  const hedge = (): void => {
    if (hedged) return;
    hedged = true;
    stats.hedged++;
    for (let i = 0; i < n; i++) if (!asked.has(i)) start(i);
  };
  for (const i of firstShards(deps.steering, part, wanted, g.k, n, stats)) start(i);
  const timer = setTimeout(hedge, deps.latency.hedgeAfterMs());
  try {
    for (;;) {
      if (wanted.every((i) => got.has(i))) return wanted.map((i) => got.get(i)!);
      if (got.size >= g.k) {
        const missing = wanted.filter((i) => !got.has(i));
        // Exactly k inputs: the codec needs no more, and extra parity costs decode time.
        const present = [...got.keys()].slice(0, g.k);
        const shards = Array.from({ length: n }, (_, i) => got.get(i) ?? Buffer.allocUnsafe(bs));
        await codec.reconstruct(shards, present, missing);
        stats.decoded++;
        return wanted.map((i) => shards[i]!);
      }
      if (settled === asked.size && (hedged || asked.size === n)) throw new PartUnreadableError(s, causes);
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    clearTimeout(timer);
    stop.abort(new Error('stripe done'));
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The shards a stripe read asks first: the wanted data blocks, or for a read
 * of the whole stripe the k shards steering picks (no more reads than the
 * data blocks; a range of fewer blocks is never steered, since rebuilding it
 * would read k shards instead of a few).
 */
function firstShards(
  steering: ReadSteering | undefined,
  part: commonV1.PartLayout,
  wanted: number[],
  k: number,
  n: number,
  stats: ReadStats,
): number[] {
  if (steering === undefined || wanted.length !== k || steering.steeredDisks === 0) return wanted;
  const diskIds = Array.from({ length: n }, (_, i) => part.shards.find((l) => l.shardIndex === i)?.diskId ?? '');
  const chosen = steering.chooseShards(diskIds, k);
  if (chosen.some((i) => i >= k)) stats.steered++;
  return chosen;
}

/** One block of one shard, every chunk's CRC checked before it is kept. */
async function readBlock(
  deps: PartReaderDeps,
  part: commonV1.PartLayout,
  shardIndex: number,
  offset: number,
  length: number,
  signal: AbortSignal,
): Promise<Buffer> {
  const loc = part.shards.find((l) => l.shardIndex === shardIndex);
  if (!loc) throw new Error(`shard ${shardIndex} has no known copy`);
  const address = deps.storage.addressOf(loc.diskId);
  if (address === undefined) throw new Error(`disk ${loc.diskId} is not live`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const msg of deps.storage.client(address).getShard(
    {
      diskId: loc.diskId,
      shardId: loc.shardId,
      offset: BigInt(offset),
      length: BigInt(length),
      ioClass: commonV1.IoClass.FOREGROUND,
    },
    { signal, timeoutMs: BLOCK_READ_TIMEOUT_MS },
  )) {
    if (crc32c(msg.data) >>> 0 !== msg.dataCrc32c >>> 0) throw new ShardChecksumError(loc.diskId, loc.shardId);
    const b = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
    chunks.push(b);
    total += b.length;
  }
  if (total !== length) throw new Error(`shard ${loc.shardId} returned ${total} bytes, wanted ${length}`);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
