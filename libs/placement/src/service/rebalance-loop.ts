import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@platter/telemetry';
import type { ByteRateLimiter } from '../byte-rate-limiter.js';
import type { RebalancePlanner } from '../rebalance-planner.js';
import type { DiskStateStore } from './disk-state-store.js';
import type { MoveTask, MoveTaskSink } from './move-stream.js';
import type { PlacementMetrics } from './placement-metrics.js';
import type { PlacementState } from './placement-state.js';

export interface RebalanceLoopOptions {
  state: PlacementState;
  planner: RebalancePlanner;
  limiter: ByteRateLimiter;
  sink: MoveTaskSink;
  store: DiskStateStore;
  metrics: PlacementMetrics;
  autoActivateJoining: boolean;
  /** Source disks per round at most. */
  maxSources: number;
  intervalMs: number;
  /** Monotonic clock, ms (the rate limiter's time). */
  now: () => number;
  logger: Logger;
}

export interface RoundResult {
  activated: string[];
  tasks: MoveTask[];
}

/**
 * The leader's background round, every interval while this replica leads:
 * activate JOINING disks that are live (only with autoActivateJoining), then
 * ask the planner which disks should shed data and publish one move task per
 * source, the bytes of all tasks bounded by the rate limiter. Replicas that do
 * not lead only keep their views warm, so a successor takes over in one round.
 */
export class RebalanceLoop {
  constructor(private readonly opts: RebalanceLoopOptions) {}

  async round(leaderEpoch: string): Promise<RoundResult> {
    const activated = this.opts.autoActivateJoining ? await this.activateJoining() : [];
    const tasks = this.plan(leaderEpoch);
    if (tasks.length > 0) {
      await this.opts.sink.publish(tasks);
      this.opts.limiter.take(
        tasks.reduce((sum, t) => sum + t.bytes, 0),
        this.opts.now(),
      );
      this.opts.metrics.plannedMoves(tasks.length);
      this.opts.logger.info(
        { tasks: tasks.length, bytes: tasks.reduce((sum, t) => sum + t.bytes, 0), epoch: leaderEpoch },
        'move tasks published',
      );
    }
    return { activated, tasks };
  }

  /** Runs rounds while `leaderEpoch()` names an epoch, until the signal aborts. */
  async run(signal: AbortSignal, leaderEpoch: () => string | undefined): Promise<void> {
    while (!signal.aborted) {
      const epoch = leaderEpoch();
      this.opts.metrics.setLeader(epoch !== undefined);
      if (epoch !== undefined && this.opts.state.ready) {
        try {
          await this.round(epoch);
        } catch (err) {
          this.opts.logger.warn({ err }, 'rebalance round failed; next round retries');
        }
      }
      await sleep(this.opts.intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  private plan(leaderEpoch: string): MoveTask[] {
    const { state, planner, limiter, now, maxSources } = this.opts;
    const view = state.view;
    let budget = limiter.available(now());
    const tasks: MoveTask[] = [];
    if (budget <= 0) return tasks;
    const plannedAt = new Date().toISOString();
    for (const source of planner.selectSources(view, maxSources)) {
      const bytes = Math.floor(Math.min(source.bytesToShed, planner.policy.maxBytesPerSource, budget));
      if (bytes <= 0) break;
      budget -= bytes;
      tasks.push({
        taskId: randomBytes(8).toString('hex'),
        sourceDiskId: source.diskId,
        reason: source.reason,
        bytes,
        leaderEpoch,
        plannedAt,
        sourceFill: view.fillRatio(source.diskIndex),
        meanFill: view.meanFill,
      });
    }
    return tasks;
  }

  private async activateJoining(): Promise<string[]> {
    const { state, store, logger, metrics } = this.opts;
    const done: string[] = [];
    for (const d of state.inventory()) {
      if (d.record.state !== 'joining' || d.live === undefined) continue;
      try {
        const res = await store.setState(
          {
            diskId: d.record.diskId,
            state: 'active',
            reason: 'auto-activated: joining with a live storage node (autoActivateJoining)',
            expectedStateEpoch: d.stateEpoch,
          },
          () => undefined,
        );
        if (res.changed) done.push(d.record.diskId);
      } catch (err) {
        // Someone else changed it first (operator, previous leader): the watch will show what it is now.
        logger.warn({ err, disk: d.record.diskId }, 'could not auto-activate a joining disk');
      }
    }
    metrics.autoActivated(done.length);
    return done;
  }
}
