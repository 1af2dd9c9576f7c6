import { blockSizeOf, dataBytesOf, type StripeGeometry } from './stripe-geometry.js';

// Cuts a body stream into stripes: each stripe's k data blocks contiguous in
// one buffer, the tail zero-padded (stripe-geometry.ts). One stripe is
// buffered at a time, so memory stays at k × blockSize per upload whatever
// the object's size.

export interface DataStripe {
  readonly index: number;
  /** k blocks of `blockSize` bytes, back to back. */
  readonly data: Buffer;
  readonly blockSize: number;
  /** Bytes of the part in `data` (the rest is padding). */
  readonly dataBytes: number;
}

/** The body carried more or fewer bytes than it declared. */
export class BodyLengthError extends Error {
  constructor(
    readonly expected: number,
    readonly received: number,
  ) {
    super(`body carried ${received > expected ? 'more than ' : ''}${received} bytes, declared ${expected}`);
    this.name = 'BodyLengthError';
  }
}

export async function* assembleStripes(body: AsyncIterable<Uint8Array>, g: StripeGeometry): AsyncGenerator<DataStripe> {
  let stripe = 0;
  let received = 0;
  let buf: Buffer | undefined;
  let filled = 0;
  const want = (): number => dataBytesOf(g, stripe);
  for await (const chunk of body) {
    let at = 0;
    while (at < chunk.length) {
      if (stripe >= g.stripeCount) throw new BodyLengthError(g.size, received + chunk.length - at);
      // Fresh buffers: a stripe's blocks are still referenced by shard streams after it is handed on.
      buf ??= Buffer.allocUnsafe(g.k * blockSizeOf(g, stripe));
      const n = Math.min(chunk.length - at, want() - filled);
      buf.set(chunk.subarray(at, at + n), filled);
      filled += n;
      at += n;
      received += n;
      if (filled === want()) {
        buf.fill(0, filled);
        yield { index: stripe, data: buf, blockSize: blockSizeOf(g, stripe), dataBytes: filled };
        stripe++;
        buf = undefined;
        filled = 0;
      }
    }
  }
  if (stripe < g.stripeCount) throw new BodyLengthError(g.size, received);
}
