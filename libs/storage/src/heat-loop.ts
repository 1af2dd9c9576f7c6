import { setTimeout as sleep } from 'node:timers/promises';
import { LogLimiter, type HeatPublisher } from '@platter/heat';
import type { Logger } from '@platter/telemetry';
import type { DiskSet } from './disk-set.js';
import type { HeatSampler } from './heat-sampler.js';

/** At most one "heat not published" line per this interval, ms: Redis down must not flood the log. */
const FAILURE_LOG_INTERVAL_MS = 30_000;

export interface HeatLoopOptions {
  disks: DiskSet;
  sampler: HeatSampler;
  publisher: HeatPublisher;
  intervalMs: number;
  logger: Logger;
}

/** Counters of the publishing loop, for metrics. */
export interface HeatLoopStats {
  published: number;
  failed: number;
}

/**
 * Publishes every disk's heat once per interval until the signal aborts.
 * A failed publication (Redis down, slow, refusing) is counted and logged at
 * a rate limit, and the next tick simply tries again: heat is disposable and
 * the data plane never waits for it.
 */
export class HeatLoop {
  readonly stats: HeatLoopStats = { published: 0, failed: 0 };
  private readonly limiter = new LogLimiter(FAILURE_LOG_INTERVAL_MS);

  constructor(private readonly opts: HeatLoopOptions) {}

  /** One round: sample every disk and publish them together. Never rejects. */
  async tick(): Promise<boolean> {
    try {
      const samples = await Promise.all(this.opts.disks.all().map((d) => this.opts.sampler.sample(d)));
      await this.opts.publisher.publish(samples);
      this.stats.published++;
      return true;
    } catch (err) {
      this.stats.failed++;
      const suppressed = this.limiter.take();
      if (suppressed !== undefined)
        this.opts.logger.warn({ err: (err as Error).message, suppressed }, 'heat not published; will retry');
      return false;
    }
  }

  /** Runs until `signal` aborts; resolves then. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = performance.now();
      await this.tick();
      const wait = Math.max(0, this.opts.intervalMs - (performance.now() - started));
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }
}
