// Where each byte of a part lives. A part of `size` bytes is cut into stripes
// of k × blockSize data bytes; shard i holds block i of every stripe, back to
// back. The last stripe may be short: its blocks shrink to ceil(rest / k)
// bytes rounded up to TAIL_ALIGN_BYTES, and the data that does not fill them
// is followed by zeros. So the tail stripe is simply the remaining bytes,
// zero-padded to k equal blocks, and every shard of a part has one length.
// This padding is part of the on-disk format: readers, repair and the auditor
// all depend on it.

/** Tail blocks are a multiple of 8 bytes: what word-wise Reed-Solomon codecs require. */
export const TAIL_ALIGN_BYTES = 8;

export interface StripeGeometry {
  readonly k: number;
  readonly m: number;
  readonly blockSize: number;
  /** Bytes of data in the part. */
  readonly size: number;
  readonly stripeCount: number;
  /** Block size of the last stripe (equals blockSize when the part fills whole stripes). */
  readonly tailBlockSize: number;
  /** Bytes in every shard of the part. */
  readonly shardLength: number;
}

export function stripeGeometry(size: number, k: number, m: number, blockSize: number): StripeGeometry {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`part size ${size} is not a byte count`);
  if (!Number.isInteger(k) || k < 1 || !Number.isInteger(m) || m < 0) throw new RangeError(`bad scheme ${k}+${m}`);
  if (!Number.isInteger(blockSize) || blockSize < TAIL_ALIGN_BYTES || blockSize % TAIL_ALIGN_BYTES !== 0)
    throw new RangeError(`block size ${blockSize} must be a positive multiple of ${TAIL_ALIGN_BYTES}`);
  const stripeBytes = k * blockSize;
  const full = Math.floor(size / stripeBytes);
  const rest = size - full * stripeBytes;
  const stripeCount = full + (rest > 0 ? 1 : 0);
  const tailBlockSize = rest > 0 ? alignUp(Math.ceil(rest / k), TAIL_ALIGN_BYTES) : blockSize;
  const shardLength = stripeCount === 0 ? 0 : (stripeCount - 1) * blockSize + tailBlockSize;
  return { k, m, blockSize, size, stripeCount, tailBlockSize, shardLength };
}

/** Block size of stripe `s`. */
export function blockSizeOf(g: StripeGeometry, s: number): number {
  return s === g.stripeCount - 1 ? g.tailBlockSize : g.blockSize;
}

/** Data bytes stripe `s` carries (the tail carries fewer than k × its block size). */
export function dataBytesOf(g: StripeGeometry, s: number): number {
  return s < g.stripeCount - 1 ? g.k * g.blockSize : g.size - (g.stripeCount - 1) * g.k * g.blockSize;
}

/** Offset of stripe `s`'s first data byte in the part. */
export function stripeStart(g: StripeGeometry, s: number): number {
  return s * g.k * g.blockSize;
}

/** Offset in every shard of stripe `s`'s block. */
export function shardOffsetOf(g: StripeGeometry, s: number): number {
  return s * g.blockSize;
}

/** The stripe holding part byte `offset`. */
export function stripeOf(g: StripeGeometry, offset: number): number {
  return Math.floor(offset / (g.k * g.blockSize));
}

/**
 * The data blocks of stripe `s` that hold any of the part's bytes
 * [from, to): first and last data-block index, inclusive.
 */
export function blocksTouched(g: StripeGeometry, s: number, from: number, to: number): { first: number; last: number } {
  const start = stripeStart(g, s);
  const bs = blockSizeOf(g, s);
  const lo = Math.max(from, start) - start;
  const hi = Math.min(to, start + dataBytesOf(g, s)) - start;
  if (hi <= lo) throw new RangeError(`stripe ${s} holds none of [${from}, ${to})`);
  return { first: Math.floor(lo / bs), last: Math.floor((hi - 1) / bs) };
}

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
