/**
 * Lets one line through per interval and counts what it held back, so that a
 * dependency that is down (Redis, for a second-by-second publisher) costs one
 * log line per interval instead of one per attempt.
 */
export class LogLimiter {
  private lastAt = Number.NEGATIVE_INFINITY;
  private held = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The number of lines held back since the last one let through, or undefined if this one must be held back too. */
  take(): number | undefined {
    const t = this.now();
    if (t - this.lastAt < this.intervalMs) {
      this.held++;
      return undefined;
    }
    this.lastAt = t;
    const suppressed = this.held;
    this.held = 0;
    return suppressed;
  }
}
