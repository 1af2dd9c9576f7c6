import type { CodecId } from './codec-id.js';

/** Which code computes the bytes; several implementations may share one codec id. */
export type CodecImplementation = 'isal' | 'ronomon' | 'js';

/**
 * A Reed-Solomon codec for one (k, m). A stripe is k + m equally sized shards:
 * indices [0, k) hold data, [k, k+m) parity. The code is systematic, so a
 * healthy read never decodes.
 *
 * Shards are passed as k + m `Uint8Array`s; the codec writes only into the
 * shards it computes and never keeps a reference after the promise settles.
 * The caller must not touch the shard buffers while a call is in flight
 * (the work may run on another thread). Pooled `Stripe`s from `StripePool`
 * are the fast path (one contiguous buffer, no copies, no first-touch faults).
 */
export interface StripeCodec {
  /** The id recorded per cluster; names the coding matrix. */
  readonly id: CodecId;
  readonly implementation: CodecImplementation;
  readonly k: number;
  readonly m: number;
  /** Shard sizes must be a positive multiple of this many bytes. */
  readonly shardAlignment: number;
  /** Computes the m parity shards from the k data shards, in place. */
  encode(shards: readonly Uint8Array[]): Promise<void>;
  /**
   * Rebuilds shards from any k of those listed in `present`, in place.
   * `targets` (default: every index not present) says which to compute,
   * e.g. only the missing data shards for a read. Returns the rebuilt indices.
   */
  reconstruct(
    shards: readonly Uint8Array[],
    present: readonly number[],
    targets?: readonly number[],
  ): Promise<number[]>;
}
