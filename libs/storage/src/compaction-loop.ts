import { setTimeout as sleep } from 'node:timers/promises';
import { DiskFailedError } from '@platter/shardstore';
import type { Logger } from '@platter/telemetry';
import type { DiskSet } from './disk-set.js';

/**
 * Extents one disk compacts per pass: at most one extent's live records
 * (≤ 1 GiB by default) are copied per disk between pauses, so compaction never
 * takes a disk's whole bandwidth from foreground reads and writes.
 */
export const COMPACTION_EXTENTS_PER_PASS = 1;

export interface CompactionLoopOptions {
  disks: DiskSet;
  /** Pause between passes, ms. */
  intervalMs: number;
  logger: Logger;
}

/**
 * Background compaction: every interval, each healthy disk compacts at most
 * COMPACTION_EXTENTS_PER_PASS of its emptiest sealed extents (the engine
 * picks them and copies through the normal group-committed write path).
 * Stops with the host's signal; a compaction in flight stops at its next record.
 */
export class CompactionLoop {
  readonly stats = { passes: 0, extentsRemoved: 0, bytesReclaimed: 0, errors: 0 };

  constructor(private readonly opts: CompactionLoopOptions) {}

  /** One pass over the disks. Never rejects. */
  async pass(signal?: AbortSignal): Promise<void> {
    for (const disk of this.opts.disks.all()) {
      if (signal?.aborted) return;
      if (disk.failed || disk.store === undefined) continue;
      disk.begin();
      try {
        const report = await disk.store.compact({ signal, maxExtents: COMPACTION_EXTENTS_PER_PASS });
        this.stats.extentsRemoved += report.extentsRemoved;
        this.stats.bytesReclaimed += report.bytesReclaimed;
        if (report.extentsRemoved > 0 || report.skipped.length > 0)
          this.opts.logger.info({ disk: disk.id, report }, 'compaction pass');
      } catch (err) {
        this.stats.errors++;
        if (err instanceof DiskFailedError) disk.markFailed(err.message);
        if (!signal?.aborted) this.opts.logger.warn({ disk: disk.id, err }, 'compaction failed');
      } finally {
        disk.end();
      }
    }
    this.stats.passes++;
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.opts.intervalMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      await this.pass(signal);
    }
  }
}
