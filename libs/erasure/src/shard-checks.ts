import { ShardIndexError, ShardSizeError, TooFewShardsError } from './errors.js';

/** Shape every implementation shares; validated once here so each one can trust its inputs. */
export interface Geometry {
  readonly k: number;
  readonly m: number;
  readonly shardAlignment: number;
}

/** Checks count and sizes; returns the common shard size. */
export function checkShards(g: Geometry, shards: readonly Uint8Array[]): number {
  if (shards.length !== g.k + g.m)
    throw new ShardIndexError(`expected ${g.k + g.m} shard buffers (k=${g.k}, m=${g.m}), got ${shards.length}`);
  const size = shards[0]!.byteLength;
  if (size === 0) throw new ShardSizeError('shards must not be empty');
  if (size % g.shardAlignment !== 0)
    throw new ShardSizeError(`shard size ${size} is not a multiple of ${g.shardAlignment}`);
  for (let i = 1; i < shards.length; i++) {
    const n = shards[i]!.byteLength;
    if (n !== size) throw new ShardSizeError(`shard ${i} is ${n} bytes, shard 0 is ${size}`);
  }
  return size;
}

function checkIndices(g: Geometry, what: string, indices: readonly number[]): void {
  const seen = new Set<number>();
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= g.k + g.m)
      throw new ShardIndexError(`${what} index ${i} is outside [0, ${g.k + g.m})`);
    if (seen.has(i)) throw new ShardIndexError(`${what} index ${i} is repeated`);
    seen.add(i);
  }
}

export interface ReconstructPlan {
  /** The k present shards decoding reads from, ascending (data shards first: cheapest rows). */
  readonly sources: number[];
  /** Shards to compute, ascending. */
  readonly targets: number[];
}

/** Validates present/targets and picks the k sources; throws TooFewShardsError below k. */
export function planReconstruct(
  g: Geometry,
  present: readonly number[],
  targets: readonly number[] | undefined,
): ReconstructPlan {
  checkIndices(g, 'present', present);
  if (present.length < g.k) throw new TooFewShardsError(present.length, g.k);
  const presentSet = new Set(present);
  let wanted: number[];
  if (targets === undefined) {
    wanted = [];
    for (let i = 0; i < g.k + g.m; i++) if (!presentSet.has(i)) wanted.push(i);
  } else {
    checkIndices(g, 'target', targets);
    for (const t of targets) if (presentSet.has(t)) throw new ShardIndexError(`target ${t} is also listed as present`);
    wanted = [...targets].sort((a, b) => a - b);
  }
  const sources = [...present].sort((a, b) => a - b).slice(0, g.k);
  return { sources, targets: wanted };
}
