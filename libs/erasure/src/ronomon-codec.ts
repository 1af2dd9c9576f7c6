import { RS_GF256_RONOMON } from './codec-id.js';
import { GeometryError } from './errors.js';
import type { RonomonBinding } from './ronomon-binding.js';
import { checkShards, planReconstruct } from './shard-checks.js';
import type { StripeCodec } from './stripe-codec.js';
import { StripePool } from './stripe-pool.js';

/** ronomon rejects shard sizes that are not a multiple of 8 bytes (its widest word size). */
const RONOMON_SHARD_ALIGNMENT = 8;

/**
 * rs-gf256-ronomon: @ronomon/reed-solomon, which runs on the libuv thread
 * pool and wants data and parity each contiguous. Pooled `Stripe`s are passed
 * through untouched; any other shard layout is copied through a scratch
 * stripe (correct, but a copy of the whole stripe each way).
 */
export class RonomonCodec implements StripeCodec {
  readonly id = RS_GF256_RONOMON;
  readonly implementation = 'ronomon' as const;
  readonly shardAlignment = RONOMON_SHARD_ALIGNMENT;
  private readonly context: Buffer;
  private scratch: StripePool | undefined;

  constructor(
    readonly k: number,
    readonly m: number,
    private readonly binding: RonomonBinding,
  ) {
    if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 1 || k > binding.MAX_K || m > binding.MAX_M)
      throw new GeometryError(
        `rs-gf256-ronomon needs integers 1 <= k <= ${binding.MAX_K}, 1 <= m <= ${binding.MAX_M}; got k=${k}, m=${m}`,
      );
    this.context = binding.create(k, m);
  }

  async encode(shards: readonly Uint8Array[]): Promise<void> {
    checkShards(this, shards);
    await this.run(
      shards,
      maskOf(range(0, this.k)),
      maskOf(range(this.k, this.k + this.m)),
      range(this.k, this.k + this.m),
    );
  }

  async reconstruct(
    shards: readonly Uint8Array[],
    present: readonly number[],
    targets?: readonly number[],
  ): Promise<number[]> {
    checkShards(this, shards);
    const plan = planReconstruct(this, present, targets);
    if (plan.targets.length === 0) return [];
    // Give ronomon every present shard: it picks the cheapest rows itself.
    await this.run(shards, maskOf(present), maskOf(plan.targets), plan.targets);
    return plan.targets;
  }

  private async run(shards: readonly Uint8Array[], sources: number, targets: number, written: number[]): Promise<void> {
    const data = contiguous(shards.slice(0, this.k));
    const parity = contiguous(shards.slice(this.k));
    if (data !== undefined && parity !== undefined) return this.call(data, parity, sources, targets);

    const size = shards[0]!.byteLength;
    // One scratch size at a time: callers use one block size, so this is reused, not churned.
    if (this.scratch?.shardSize !== size)
      this.scratch = new StripePool({ k: this.k, m: this.m, shardSize: size, maxIdle: 2 });
    const pool = this.scratch;
    const stripe = pool.acquire();
    try {
      for (let i = 0; i < shards.length; i++) if ((sources >>> i) & 1) stripe.shards[i]!.set(shards[i]!);
      await this.call(stripe.data, stripe.parity, sources, targets);
      for (const i of written) shards[i]!.set(stripe.shards[i]!);
    } finally {
      pool.release(stripe);
    }
  }

  private call(data: Buffer, parity: Buffer, sources: number, targets: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.binding.encode(this.context, sources, targets, data, 0, data.length, parity, 0, parity.length, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function maskOf(indices: readonly number[]): number {
  let mask = 0;
  for (const i of indices) mask |= 1 << i;
  return mask;
}

/** A Buffer view spanning `views` when they sit back to back in one ArrayBuffer, else undefined. */
function contiguous(views: readonly Uint8Array[]): Buffer | undefined {
  const first = views[0]!;
  let end = first.byteOffset + first.byteLength;
  for (let i = 1; i < views.length; i++) {
    const v = views[i]!;
    if (v.buffer !== first.buffer || v.byteOffset !== end) return undefined;
    end += v.byteLength;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}
