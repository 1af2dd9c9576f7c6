import { randomInt } from 'node:crypto';
import { LeaderElection, type Etcd3, type Keyspace } from '@platter/cluster';
import { HeatKeyspace, HeatReader, type Redis } from '@platter/heat';
import type { placementV1 } from '@platter/proto';
import type { ServiceImpl } from '@platter/rpc';
import type { Logger } from '@platter/telemetry';
import type { Registry } from 'prom-client';
import { Allocator } from '../allocator.js';
import { ByteRateLimiter } from '../byte-rate-limiter.js';
import { allocatorOptionsFromConfig, rebalancePolicyFromConfig, type PlacementConfig } from '../config.js';
import { RebalancePlanner } from '../rebalance-planner.js';
import { createRng } from '../rng.js';
import { EtcdDiskStateStore } from './disk-state-store.js';
import { HeatPoller } from './heat-poller.js';
import { InventoryWatch } from './inventory-watch.js';
import { moveStreamKey, RedisMoveTaskSink, type MoveTaskSink } from './move-stream.js';
import { PlacementMetrics } from './placement-metrics.js';
import { createPlacementService } from './placement-service.js';
import { PlacementState } from './placement-state.js';
import { RebalanceLoop } from './rebalance-loop.js';

/** Name of the election among placement replicas: its leader runs the rebalancer. */
export const REBALANCER_ELECTION = 'placement-rebalancer';

export interface PlacementRuntimeOptions {
  config: PlacementConfig;
  etcd: Etcd3;
  keyspace: Keyspace;
  /** Heat and the move stream; without it heat is unknown and no move task is published. */
  redis: Redis | undefined;
  registry: Registry;
  logger: Logger;
  /** Seed of every random choice; random per process by default. */
  seed?: number;
}

/** A sink for a replica without Redis: plans nothing it cannot hand over. */
const NO_SINK: MoveTaskSink = {
  publish: () => Promise.reject(new Error('no redisUrl: move tasks cannot be published')),
};

/**
 * Everything of a placement replica except its servers: the inventory watch,
 * the heat poller, the state they feed, the service over it, the disk state
 * writer and the leader's rebalance loop. main.ts opens it, adds `service` to
 * the gRPC server, serves, then `start`s the background work.
 */
export class PlacementRuntime {
  readonly state = new PlacementState();
  readonly service: ServiceImpl<typeof placementV1.PlacementService>;
  readonly metrics: PlacementMetrics;
  readonly election: LeaderElection;
  readonly loop: RebalanceLoop;
  private readonly poller: HeatPoller | undefined;
  private readonly now = (): number => performance.now();
  private workers: Promise<void> | undefined;

  private constructor(
    private readonly opts: PlacementRuntimeOptions,
    private readonly watch: InventoryWatch,
  ) {
    const { config, logger } = opts;
    const rng = createRng(opts.seed ?? randomInt(2 ** 31));
    this.state.setInventory(watch.disks(), watch.revision);
    watch.on('change', (disks, revision: string) => this.state.setInventory(disks, revision));
    this.metrics = new PlacementMetrics(opts.registry, this.state);
    const store = new EtcdDiskStateStore({
      etcd: opts.etcd,
      keyspace: opts.keyspace,
      logger: logger.child({ component: 'disk-state' }),
    });
    this.service = createPlacementService({
      state: this.state,
      allocator: new Allocator(allocatorOptionsFromConfig(config, rng)),
      store,
      metrics: this.metrics,
      now: this.now,
      logger,
    });
    if (opts.redis !== undefined)
      this.poller = new HeatPoller({
        reader: new HeatReader({ redis: opts.redis, keyspace: new HeatKeyspace(config.heatKeyPrefix) }),
        state: this.state,
        intervalMs: config.heatPollIntervalMs,
        now: this.now,
        logger: logger.child({ component: 'heat-poller' }),
      });
    this.election = new LeaderElection({
      etcd: opts.etcd,
      keyspace: opts.keyspace,
      name: REBALANCER_ELECTION,
      candidateId: config.id,
      ttlSeconds: config.electionTtlSeconds,
      logger,
    });
    const policy = rebalancePolicyFromConfig(config);
    this.loop = new RebalanceLoop({
      state: this.state,
      planner: new RebalancePlanner({ rng, policy }),
      limiter: new ByteRateLimiter(config.rebalanceBytesPerSecond, config.rebalanceBurstBytes),
      sink:
        opts.redis === undefined
          ? NO_SINK
          : new RedisMoveTaskSink(opts.redis, moveStreamKey(config.heatKeyPrefix), config.rebalanceStreamMaxLen),
      store,
      metrics: this.metrics,
      autoActivateJoining: config.autoActivateJoining,
      maxSources: config.rebalanceMaxSources,
      intervalMs: config.rebalanceIntervalMs,
      now: this.now,
      logger: logger.child({ component: 'rebalancer' }),
    });
  }

  /** Opens the inventory watch: fails fast when etcd cannot be reached. */
  static async open(opts: PlacementRuntimeOptions): Promise<PlacementRuntime> {
    const watch = await InventoryWatch.open({
      etcd: opts.etcd,
      keyspace: opts.keyspace,
      logger: opts.logger.child({ component: 'inventory' }),
    });
    return new PlacementRuntime(opts, watch);
  }

  /** Reads heat once (so the first allocations see it), then starts polling, campaigning and the leader's loop. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.poller !== undefined) await this.poller.pollOnce();
    this.election.start();
    this.workers = Promise.all([this.poller?.run(signal), this.loop.run(signal, () => this.election.epoch)]).then(
      () => undefined,
    );
  }

  /** Resigns leadership (a successor is elected at once) and closes the watches. Abort the signal given to start() first. */
  async close(): Promise<void> {
    await this.workers;
    await this.election.stop();
    await this.watch.close();
  }
}
