import { commonV1 } from '@platter/proto';
import type { Logger } from '@platter/telemetry';
import type { HotDisk, ReadSteering } from '../data/read-steering.js';
import type { PlacementClient } from './placement-allocator.js';

// Feeds read steering from placement's watched fleet view: once a second,
// the disks at or above the line (GetFleetHeat with min_relative_heat, a few
// percent of a fleet), never Redis or etcd per read. When placement cannot
// answer for a while the steering is dropped: without fresh heat, reads go
// back to the data shards, and hedging still covers a slow disk.

const CALL_TIMEOUT_MS = 2_000;
/** Rows per call: hot disks are a few percent of a fleet; a longer tail is left for the next refresh. */
const PAGE_SIZE = 10_000;
/** Refreshes without an answer after which steering is dropped. */
const STALE_AFTER_FAILURES = 5;

export interface HotDiskFeedOptions {
  placement: () => PlacementClient;
  steering: ReadSteering;
  /** Heat score under which a disk is never steered around (an idle fleet's spread is noise). */
  minHeat: number;
  intervalMs: number;
  logger: Logger;
}

export class HotDiskFeed {
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly o: HotDiskFeedOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.refresh().finally(() => (this.running = undefined));
    }, this.o.intervalMs);
    this.timer.unref();
  }

  /** One refresh: asks placement for the hot disks and updates the steering. Never rejects. */
  async refresh(): Promise<void> {
    try {
      const res = await this.o.placement().getFleetHeat(
        // A little under the line, so that a disk just below it is seen taking its reads back.
        { minRelativeHeat: this.o.steering.line * 0.98, pageSize: PAGE_SIZE },
        { timeoutMs: CALL_TIMEOUT_MS, signal: this.abort.signal },
      );
      const mean = res.aggregates?.heatMean ?? 0;
      const hot: HotDisk[] = [];
      if (mean > 0)
        for (const row of res.disks) {
          // Unknown heat is listed too (it may be the hottest), but is no evidence to steer on.
          if (row.sample === undefined || !row.disk || row.state === commonV1.DiskState.FAILED) continue;
          if (row.heat < this.o.minHeat) continue;
          hot.push({ diskId: row.disk.diskId, relativeHeat: row.heat / mean });
        }
      this.o.steering.update(hot);
      this.failures = 0;
    } catch (err) {
      if (this.abort.signal.aborted) return;
      if (++this.failures === STALE_AFTER_FAILURES) {
        this.o.steering.reset();
        this.o.logger.warn({ err }, 'no fleet heat from placement: read steering paused');
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.abort.abort(new Error('frontend shutting down'));
    await this.running;
  }
}
