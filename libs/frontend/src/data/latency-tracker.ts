// Recent shard-read latencies, for the hedging threshold: a read slower than
// the recent p95 is a straggler worth racing against a parity read.

const WINDOW = 512;
/** Until this many reads were seen, hedge after the default delay. */
const MIN_SAMPLES = 32;

export class LatencyTracker {
  private readonly samples = new Float64Array(WINDOW);
  private count = 0;
  private cached?: number;

  constructor(
    private readonly defaultMs: number,
    private readonly floorMs: number,
  ) {}

  observe(ms: number): void {
    this.samples[this.count % WINDOW] = ms;
    this.count++;
    // Recomputed lazily, at most every few dozen reads: sorting per read would cost more than it saves.
    if (this.count % 32 === 0) this.cached = undefined;
  }

  /** The delay after which a still-pending read is hedged. */
  hedgeAfterMs(): number {
    if (this.count < MIN_SAMPLES) return this.defaultMs;
    if (this.cached === undefined) {
      const n = Math.min(this.count, WINDOW);
      const sorted = Array.from(this.samples.subarray(0, n)).sort((a, b) => a - b);
      this.cached = Math.max(this.floorMs, sorted[Math.min(n - 1, Math.floor(n * 0.95))]!);
    }
    return this.cached;
  }
}
