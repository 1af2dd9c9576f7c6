import { crc32c } from '@platter/isal';
import { InvalidArgumentError } from '../errors.js';
import type { IoFile } from '../io/disk-io.js';
import type { BufferPool } from './buffer-pool.js';

// Writes of one record's data, block by block as the bytes arrive. Up to this
// many block writes are in flight per record, so receiving the next block
// overlaps with writing the last one.
const MAX_INFLIGHT_BLOCK_WRITES = 3;
/** Records up to this size are written header and data in one I/O when given as a buffer. */
export const SINGLE_WRITE_MAX_BYTES = 256 * 1024;

export type ShardSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Thrown inside the writer when the source itself failed; unwrapped by the engine. */
export class SourceError extends Error {
  constructor(readonly original: unknown) {
    super('shard source failed', { cause: original });
  }
}

/** CRC32C of each `blockSize` block of an in-memory buffer. */
export function blockCrcsOf(data: Uint8Array, blockSize: number): number[] {
  const crcs: number[] = [];
  for (let p = 0; p < data.byteLength; p += blockSize)
    crcs.push(crc32c(data.subarray(p, Math.min(data.byteLength, p + blockSize))));
  return crcs;
}

/**
 * Writes `length` bytes from `source` at `position` and returns the block
 * CRCs. A buffer is written in one call; a stream is cut into blocks (copied
 * into pooled buffers, or written in place when a chunk holds whole blocks).
 * Takes ownership of streamed chunks until it resolves.
 */
export async function writeRecordData(
  file: IoFile,
  position: number,
  source: ShardSource,
  length: number,
  blockSize: number,
  pool: BufferPool,
): Promise<number[]> {
  if (source instanceof Uint8Array) {
    if (source.byteLength !== length)
      throw new InvalidArgumentError(`data is ${source.byteLength} bytes, expected ${length}`);
    const crcs = blockCrcsOf(source, blockSize);
    if (length > 0) await file.write(source, 0, length, position);
    return crcs;
  }

  const crcs: number[] = [];
  const inflight: Array<Promise<void>> = [];
  let writeError: unknown;
  let received = 0;
  let block = pool.take();
  let fill = 0;

  const emit = async (buf: Uint8Array, n: number, pooled: Buffer | undefined): Promise<void> => {
    const at = position + crcs.length * blockSize;
    crcs.push(crc32c(buf.subarray(0, n)));
    const p = file.write(buf, 0, n, at).then(
      () => {
        if (pooled) pool.give(pooled);
      },
      (err: unknown) => {
        writeError ??= err;
      },
    );
    inflight.push(p);
    if (inflight.length >= MAX_INFLIGHT_BLOCK_WRITES) await inflight.shift();
    if (writeError !== undefined) throw writeError;
  };

  try {
    let iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
    try {
      iterator =
        Symbol.asyncIterator in source
          ? source[Symbol.asyncIterator]()
          : (source as Iterable<Uint8Array>)[Symbol.iterator]();
    } catch (err) {
      throw new SourceError(err);
    }
    for (;;) {
      let step: IteratorResult<Uint8Array>;
      try {
        step = await iterator.next();
      } catch (err) {
        throw new SourceError(err);
      }
      if (step.done) break;
      const chunk = step.value;
      if (!(chunk instanceof Uint8Array))
        throw new InvalidArgumentError('shard source yielded something other than bytes');
      received += chunk.byteLength;
      if (received > length) throw new InvalidArgumentError(`shard source gave more than the expected ${length} bytes`);
      let p = 0;
      while (p < chunk.byteLength) {
        if (fill === 0 && chunk.byteLength - p >= blockSize) {
          await emit(chunk.subarray(p, p + blockSize), blockSize, undefined);
          p += blockSize;
          continue;
        }
        const n = Math.min(blockSize - fill, chunk.byteLength - p);
        block.set(chunk.subarray(p, p + n), fill);
        fill += n;
        p += n;
        if (fill === blockSize) {
          const full = block;
          block = pool.take();
          fill = 0;
          await emit(full, blockSize, full);
        }
      }
    }
    if (received !== length) throw new InvalidArgumentError(`shard source gave ${received} bytes, expected ${length}`);
    if (fill > 0) {
      const last = block;
      await emit(last, fill, last);
    } else pool.give(block);
    await Promise.all(inflight);
    if (writeError !== undefined) throw writeError;
    return crcs;
  } finally {
    // On any failure, let started writes settle before the caller reuses anything.
    await Promise.all(inflight);
  }
}
