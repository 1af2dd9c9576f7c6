// Per-operation counters and latency histograms, kept as plain numbers so the
// storage service can export them with prom-client without us depending on it.

/** Upper bounds in seconds: from a page-cache hit to a queued HDD under load. */
export const LATENCY_BUCKETS_SECONDS = [
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

export type OpName =
  'put' | 'get' | 'delete' | 'stat' | 'list' | 'verify' | 'compact' | 'fsync' | 'durableWrite' | 'indexCommit';

export interface OpSnapshot {
  count: number;
  errors: number;
  bytes: number;
  latencySeconds: { sum: number; buckets: Array<{ le: number; count: number }> };
}

class OpCounter {
  count = 0;
  errors = 0;
  bytes = 0;
  sum = 0;
  readonly buckets = new Array<number>(LATENCY_BUCKETS_SECONDS.length).fill(0);

  observe(seconds: number, ok: boolean, bytes: number): void {
    this.count++;
    if (!ok) this.errors++;
    this.bytes += bytes;
    this.sum += seconds;
    const i = LATENCY_BUCKETS_SECONDS.findIndex((le) => seconds <= le);
    if (i >= 0) this.buckets[i]!++;
  }

  snapshot(): OpSnapshot {
    let cumulative = 0;
    return {
      count: this.count,
      errors: this.errors,
      bytes: this.bytes,
      latencySeconds: {
        sum: this.sum,
        // Cumulative, as Prometheus histograms are.
        buckets: LATENCY_BUCKETS_SECONDS.map((le, i) => ({ le, count: (cumulative += this.buckets[i]!) })),
      },
    };
  }
}

export class OpStats {
  private readonly ops = new Map<OpName, OpCounter>();

  observe(op: OpName, startedNs: bigint, ok: boolean, bytes = 0): void {
    let c = this.ops.get(op);
    if (!c) this.ops.set(op, (c = new OpCounter()));
    c.observe(Number(process.hrtime.bigint() - startedNs) / 1e9, ok, bytes);
  }

  /** Runs `fn`, timing it under `op`; `bytesOf` reads the byte count from a result. */
  async time<T>(op: OpName, fn: () => Promise<T>, bytesOf?: (r: T) => number): Promise<T> {
    const t0 = process.hrtime.bigint();
    try {
      const r = await fn();
      this.observe(op, t0, true, bytesOf ? bytesOf(r) : 0);
      return r;
    } catch (err) {
      this.observe(op, t0, false);
      throw err;
    }
  }

  snapshot(): Partial<Record<OpName, OpSnapshot>> {
    const out: Partial<Record<OpName, OpSnapshot>> = {};
    for (const [name, c] of this.ops) out[name] = c.snapshot();
    return out;
  }
}
