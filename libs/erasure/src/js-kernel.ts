import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { gfMulTable } from './gf256.js';
import type { MatrixKernel } from './matrix-kernel.js';

/**
 * Columns processed between yields to the event loop: at the ≈100–300 MB/s
 * this kernel manages, 64 KiB × (k·rows) table lookups keep each slice to a
 * few milliseconds, so a slow fallback still does not freeze the process.
 */
const JS_SLICE_BYTES = 64 * 1024;

/** rows × k multiplication-table rows (256 bytes each); undefined marks coefficient 0. */
type JsTables = { k: number; rows: number; mul: Array<Uint8Array | undefined>; coefficients: Uint8Array };

/**
 * Pure TypeScript kernel: the reference the native kernels are tested
 * against, and a slow but byte-identical fallback for rs-cauchy-gf256 on a
 * machine where the ISA-L addon could not be built.
 */
export class JsKernel implements MatrixKernel<JsTables> {
  readonly implementation = 'js' as const;

  prepare(k: number, rows: number, coefficients: Uint8Array): JsTables {
    const mul = Array.from(coefficients, (c) => (c === 0 ? undefined : gfMulTable(c)));
    return { k, rows, mul, coefficients: Uint8Array.from(coefficients) };
  }

  async apply(
    t: JsTables,
    length: number,
    sources: readonly Uint8Array[],
    outputs: readonly Uint8Array[],
  ): Promise<void> {
    for (let start = 0; start < length; start += JS_SLICE_BYTES) {
      if (start > 0) await yieldToEventLoop();
      const end = Math.min(length, start + JS_SLICE_BYTES);
      for (let r = 0; r < t.rows; r++) applyRow(t, r, start, end, sources, outputs[r]!);
    }
  }
}

function applyRow(
  t: JsTables,
  r: number,
  start: number,
  end: number,
  sources: readonly Uint8Array[],
  out: Uint8Array,
): void {
  out.fill(0, start, end);
  for (let j = 0; j < t.k; j++) {
    const c = t.coefficients[r * t.k + j]!;
    const src = sources[j]!;
    if (c === 0) continue;
    if (c === 1) {
      for (let p = start; p < end; p++) out[p] = out[p]! ^ src[p]!;
      continue;
    }
    const tbl = t.mul[r * t.k + j]!;
    for (let p = start; p < end; p++) out[p] = out[p]! ^ tbl[src[p]!]!;
  }
}
