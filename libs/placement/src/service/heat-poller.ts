import { setTimeout as sleep } from 'node:timers/promises';
import type { HeatReader } from '@platter/heat';
import type { Logger } from '@platter/telemetry';
import type { PlacementState } from './placement-state.js';

export interface HeatPollerOptions {
  reader: HeatReader;
  state: PlacementState;
  intervalMs: number;
  /** Monotonic clock, ms (the one allocations use for reservations). */
  now: () => number;
  logger: Logger;
}

/**
 * Reads every inventoried disk's heat from Redis (one MGET) about once per
 * interval and applies it to the placement state. HeatReader never rejects:
 * with Redis down every disk's heat becomes unknown, and allocation goes on
 * by fill alone — static stability, not an outage.
 */
export class HeatPoller {
  /** Polls done, and the duration of the last one, for metrics. */
  polls = 0;
  lastPollSeconds = 0;

  constructor(private readonly opts: HeatPollerOptions) {}

  /** One poll: read and apply. */
  async pollOnce(): Promise<void> {
    const { reader, state, now } = this.opts;
    const ids = state.inventory().map((d) => d.record.diskId);
    const t0 = now();
    const readings = await reader.read(ids);
    state.applyHeat(readings, now());
    this.polls++;
    this.lastPollSeconds = (now() - t0) / 1000;
  }

  /** Polls until the signal aborts; the interval is measured start to start. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = this.opts.now();
      try {
        await this.pollOnce();
      } catch (err) {
        this.opts.logger.warn({ err }, 'heat poll failed');
      }
      const wait = Math.max(0, this.opts.intervalMs - (this.opts.now() - started));
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }
}
