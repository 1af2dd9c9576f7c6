/**
 * A token bucket in bytes: `bytesPerSecond` refill, at most `burstBytes`
 * banked. Time is passed in (ms, monotonic), so the planner stays pure and
 * the simulator can run it on simulated time.
 */
export class ByteRateLimiter {
  private tokens: number;
  private lastMs: number | undefined;

  constructor(
    readonly bytesPerSecond: number,
    readonly burstBytes: number,
  ) {
    if (
      !(bytesPerSecond >= 0) ||
      !(burstBytes >= 0) ||
      !Number.isFinite(bytesPerSecond) ||
      !Number.isFinite(burstBytes)
    )
      throw new RangeError('rate and burst must be finite and non-negative');
    this.tokens = burstBytes;
  }

  /** Bytes that may be spent now. */
  available(nowMs: number): number {
    this.refill(nowMs);
    return Math.floor(this.tokens);
  }

  /** Spends `bytes` (call after planning with what the plan actually uses). */
  take(bytes: number, nowMs: number): void {
    this.refill(nowMs);
    this.tokens = Math.max(0, this.tokens - bytes);
  }

  private refill(nowMs: number): void {
    if (this.lastMs !== undefined && nowMs > this.lastMs)
      this.tokens = Math.min(this.burstBytes, this.tokens + ((nowMs - this.lastMs) / 1000) * this.bytesPerSecond);
    if (this.lastMs === undefined || nowMs > this.lastMs) this.lastMs = nowMs;
  }
}
