import { cauchyDecodeRows, cauchyEncodeMatrix, checkCauchyGeometry } from './cauchy-matrix.js';
import { RS_CAUCHY_GF256 } from './codec-id.js';
import type { MatrixKernel } from './matrix-kernel.js';
import { checkShards, planReconstruct } from './shard-checks.js';
import type { StripeCodec } from './stripe-codec.js';

/**
 * Erasure patterns whose decode tables are kept. Repair rebuilds many
 * stripes with the same lost disks, so the pattern repeats; tables are
 * 32·k·rows bytes each (≤ 640 B for 5+4), so this bounds memory trivially.
 */
const DECODE_TABLE_CACHE_ENTRIES = 64;

/** rs-cauchy-gf256 (see codec-id.ts) over any matrix kernel; the kernel decides speed, never bytes. */
export class CauchyCodec<Tables> implements StripeCodec {
  readonly id = RS_CAUCHY_GF256;
  readonly shardAlignment = 1;
  readonly implementation: MatrixKernel<Tables>['implementation'];
  private readonly matrix: Uint8Array;
  private readonly encodeTables: Tables;
  private readonly decodeTables = new Map<string, Tables>();

  constructor(
    readonly k: number,
    readonly m: number,
    private readonly kernel: MatrixKernel<Tables>,
  ) {
    checkCauchyGeometry(k, m);
    this.implementation = kernel.implementation;
    this.matrix = cauchyEncodeMatrix(k, m);
    this.encodeTables = kernel.prepare(k, m, this.matrix.subarray(k * k));
  }

  async encode(shards: readonly Uint8Array[]): Promise<void> {
    const size = checkShards(this, shards);
    await this.kernel.apply(this.encodeTables, size, shards.slice(0, this.k), shards.slice(this.k));
  }

  async reconstruct(
    shards: readonly Uint8Array[],
    present: readonly number[],
    targets?: readonly number[],
  ): Promise<number[]> {
    const size = checkShards(this, shards);
    const plan = planReconstruct(this, present, targets);
    if (plan.targets.length === 0) return [];
    const tables = this.tablesFor(plan.sources, plan.targets);
    await this.kernel.apply(
      tables,
      size,
      plan.sources.map((i) => shards[i]!),
      plan.targets.map((i) => shards[i]!),
    );
    return plan.targets;
  }

  private tablesFor(sources: readonly number[], targets: readonly number[]): Tables {
    const key = `${sources.join(',')}>${targets.join(',')}`;
    let tables = this.decodeTables.get(key);
    if (tables === undefined) {
      const rows = cauchyDecodeRows(this.matrix, this.k, sources, targets);
      tables = this.kernel.prepare(this.k, targets.length, rows);
      if (this.decodeTables.size >= DECODE_TABLE_CACHE_ENTRIES) {
        // Oldest-inserted out: Map iterates in insertion order.
        this.decodeTables.delete(this.decodeTables.keys().next().value!);
      }
    } else {
      this.decodeTables.delete(key);
    }
    this.decodeTables.set(key, tables);
    return tables;
  }
}
