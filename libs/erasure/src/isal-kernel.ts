import type { IsalAddon } from '@platter/isal';
import type { MatrixKernel } from './matrix-kernel.js';

/**
 * Below this many source bytes per call the kernel runs on the calling
 * thread. Measured with scripts/bench.ts on the shared 2-core VM: a 5×1 MiB
 * encode blocks the event loop 0.22–0.32 ms median, 0.68 ms p99, and runs
 * faster inline (15–18 GB/s) than through the libuv pool (12–16 GB/s), which
 * it would also share with fs and crypto. Larger calls (8 MiB of sources,
 * ≈0.5 ms and up) go to the pool so one call never blocks the loop ≥ 1 ms.
 */
export const ISAL_OFFLOAD_THRESHOLD_BYTES = 8 * 1024 * 1024;

export class IsalKernel implements MatrixKernel<Buffer> {
  readonly implementation = 'isal' as const;

  constructor(
    private readonly addon: IsalAddon,
    private readonly offloadThresholdBytes: number = ISAL_OFFLOAD_THRESHOLD_BYTES,
  ) {}

  prepare(k: number, rows: number, coefficients: Uint8Array): Buffer {
    return this.addon.initTables(k, rows, coefficients);
  }

  apply(tables: Buffer, length: number, sources: readonly Uint8Array[], outputs: readonly Uint8Array[]): Promise<void> {
    if (length * sources.length >= this.offloadThresholdBytes)
      return this.addon.encode(length, tables, sources, outputs);
    try {
      this.addon.encodeSync(length, tables, sources, outputs);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
}
