import type { Rng } from './rng.js';

/**
 * Walker's alias method: draws an item with probability proportional to its
 * weight in O(1) (one random number, one comparison), after an O(n) build.
 * Placement draws every candidate this way, weighted by capacity × weight,
 * so a draw costs the same at 27 disks and at 36,000.
 */
export class AliasTable {
  private readonly items: Int32Array;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;
  readonly totalWeight: number;

  /** `items[i]` is drawn with probability weights[i] / Σ weights; non-positive weights are never drawn. */
  constructor(items: ArrayLike<number>, weights: ArrayLike<number>) {
    if (items.length !== weights.length) throw new RangeError('items and weights differ in length');
    const keep: number[] = [];
    let total = 0;
    for (let i = 0; i < items.length; i++) {
      const w = weights[i] ?? 0;
      if (w > 0 && Number.isFinite(w)) {
        keep.push(i);
        total += w;
      }
    }
    const n = keep.length;
    this.totalWeight = total;
    this.items = new Int32Array(n);
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    if (n === 0) return;
    const scaled = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const src = keep[j] as number;
      this.items[j] = items[src] as number;
      scaled[j] = ((weights[src] as number) * n) / total;
    }
    const small = new Int32Array(n);
    const large = new Int32Array(n);
    let ns = 0;
    let nl = 0;
    for (let j = 0; j < n; j++) {
      if ((scaled[j] as number) < 1) small[ns++] = j;
      else large[nl++] = j;
    }
    while (ns > 0 && nl > 0) {
      const s = small[--ns] as number;
      const l = large[--nl] as number;
      this.prob[s] = scaled[s] as number;
      this.alias[s] = l;
      scaled[l] = (scaled[l] as number) + (scaled[s] as number) - 1;
      if ((scaled[l] as number) < 1) small[ns++] = l;
      else large[nl++] = l;
    }
    // What is left is 1 up to rounding error.
    while (nl > 0) this.prob[large[--nl] as number] = 1;
    while (ns > 0) this.prob[small[--ns] as number] = 1;
  }

  get size(): number {
    return this.items.length;
  }

  /** One weighted draw; -1 when the table is empty. */
  draw(rng: Rng): number {
    const n = this.items.length;
    if (n === 0) return -1;
    const u = rng.next() * n;
    const j = Math.floor(u);
    const pick = u - j < (this.prob[j] as number) ? j : (this.alias[j] as number);
    return this.items[pick] as number;
  }
}
