import type { commonV1 } from '@platter/proto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ShardAllocator, StorageDirectory, StripeCodec } from './data-path-types.js';
import { ShardSink } from './shard-sink.js';
import { assembleStripes } from './stripe-assembler.js';
import { stripeGeometry } from './stripe-geometry.js';

// The write path of one part (ARCHITECTURE.md, PUT 2–4): allocate k+m disks,
// cut the body into stripes, encode each, and stream shard i of every stripe
// to disk i, all shards in parallel and paced by the slowest live one. The
// part is stored once a write quorum of shards is durable; the shards that
// failed are returned so that the caller queues them for repair after its
// namespace commit (the commit, not this, is the linearization point).

type PartLayoutInit = MessageInitShape<typeof commonV1.PartLayoutSchema>;

/** Deadline of one shard stream: a floor plus the time to move its bytes at a pessimistic rate. */
const SHARD_DEADLINE_FLOOR_MS = 30_000;
const SHARD_DEADLINE_BYTES_PER_MS = 2_000; // 2 MB/s: an overloaded HDD, not a healthy one

/** Fewer shards than the write quorum reached their disks: nothing was stored. */
export class WriteQuorumError extends Error {
  constructor(
    readonly stored: number,
    readonly quorum: number,
    readonly causes: readonly unknown[],
  ) {
    super(`only ${stored} shard(s) stored, quorum is ${quorum}`);
    this.name = 'WriteQuorumError';
  }
}

export interface PartScheme {
  k: number;
  m: number;
  blockSize: number;
  codecId: string;
  writeQuorum: number;
}

export interface WrittenPart {
  layout: PartLayoutInit;
  /** Shard indexes that did not reach their disk: to be repaired. */
  missing: number[];
  /** Placement had to relax a spread rule: to be re-spread. */
  underSpread: boolean;
}

export interface PartWriterDeps {
  allocator: ShardAllocator;
  storage: StorageDirectory;
  codec: StripeCodec;
}

export async function writePart(
  deps: PartWriterDeps,
  scheme: PartScheme,
  partNumber: number,
  size: number,
  body: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
): Promise<WrittenPart> {
  const { k, m, blockSize } = scheme;
  const g = stripeGeometry(size, k, m, blockSize);
  const allocation = await deps.allocator.allocate(k, m, g.shardLength, signal);
  // Aborted on the first fatal error or when the caller gives up, so that no
  // node keeps a half-written shard open (a cut stream is a failed put there).
  const abort = new AbortController();
  const onCallerAbort = (): void => abort.abort(signal.reason);
  signal.addEventListener('abort', onCallerAbort, { once: true });
  const sinks = allocation.targets.map(
    (target) =>
      new ShardSink({
        target,
        client: deps.storage.client(target.address),
        shardLength: g.shardLength,
        blockSize,
        allocationId: allocation.allocationId,
        signal: abort.signal,
        timeoutMs: SHARD_DEADLINE_FLOOR_MS + g.shardLength / SHARD_DEADLINE_BYTES_PER_MS,
      }),
  );
  const live = (): number => sinks.filter((s) => !s.failed).length;
  try {
    for await (const stripe of assembleStripes(body, g)) {
      const bs = stripe.blockSize;
      const blocks = Array.from({ length: k + m }, (_, i) =>
        i < k ? stripe.data.subarray(i * bs, (i + 1) * bs) : Buffer.allocUnsafe(bs),
      );
      await deps.codec.encode(blocks);
      await Promise.all(sinks.map((sink, i) => sink.push(blocks[i]!)));
      if (live() < scheme.writeQuorum)
        throw new WriteQuorumError(
          live(),
          scheme.writeQuorum,
          sinks.map((s) => s.error).filter((e) => e !== undefined),
        );
    }
    for (const s of sinks) s.end();
    const results = await Promise.allSettled(sinks.map((s) => s.done));
    const stored = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    if (stored.length < scheme.writeQuorum)
      throw new WriteQuorumError(
        stored.length,
        scheme.writeQuorum,
        results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])),
      );
    return {
      layout: {
        partNumber,
        size: BigInt(size),
        scheme: { dataShards: k, parityShards: m, blockSize, codec: scheme.codecId },
        stripeCount: BigInt(g.stripeCount),
        shardLength: BigInt(g.shardLength),
        shards: stored.map((i) => ({
          diskId: allocation.targets[i]!.diskId,
          shardId: sinks[i]!.shardId,
          shardIndex: i,
        })),
      },
      missing: [...sinks.keys()].filter((i) => !stored.includes(i)),
      underSpread: allocation.underSpread,
    };
  } catch (err) {
    abort.abort(err);
    await Promise.allSettled(sinks.map((s) => s.done));
    throw err;
  } finally {
    signal.removeEventListener('abort', onCallerAbort);
  }
}
