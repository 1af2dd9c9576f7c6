// Test helpers shared by the specs (not exported from the package).
import { openCodec } from '../codec-factory.js';
import { RS_CAUCHY_GF256, RS_GF256_RONOMON } from '../codec-id.js';
import type { StripeCodec } from '../stripe-codec.js';

export interface Variant {
  readonly label: string;
  readonly open: (k: number, m: number) => StripeCodec;
}

/** Every implementation the tests cover; ISA-L twice, on and off the event-loop thread. */
export const VARIANTS: readonly Variant[] = [
  { label: 'isal sync', open: (k, m) => openCodec(RS_CAUCHY_GF256, k, m, { implementation: 'isal' }) },
  {
    label: 'isal thread pool',
    open: (k, m) => openCodec(RS_CAUCHY_GF256, k, m, { implementation: 'isal', isalOffloadThresholdBytes: 0 }),
  },
  { label: 'js', open: (k, m) => openCodec(RS_CAUCHY_GF256, k, m, { implementation: 'js' }) },
  { label: 'ronomon', open: (k, m) => openCodec(RS_GF256_RONOMON, k, m) },
];

/** Deterministic, non-repeating-looking bytes: byte p of shard j. */
export function patternShards(k: number, m: number, shardSize: number): Buffer[] {
  return Array.from({ length: k + m }, (_, j) =>
    Buffer.from(Array.from({ length: shardSize }, (_, p) => (j < k ? (j * 131 + p * 29 + ((p * p) >> 3)) & 0xff : 0))),
  );
}

/** Independent copies, so a codec writing out of bounds or into the wrong shard shows up. */
export function cloneShards(shards: readonly Uint8Array[]): Buffer[] {
  return shards.map((s) => Buffer.from(s));
}
