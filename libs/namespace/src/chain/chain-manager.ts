import {
  ChainRecordCodec,
  LeaderElection,
  readClusterConfig,
  type ChainRecord,
  type Etcd3,
  type Keyspace,
  type MemberView,
} from '@platter/cluster';
import { namespaceV1 } from '@platter/proto';
import type { Logger } from '@platter/telemetry';
import { chainLoad, initialChains, planPromotion, planRepair } from './chain-planner.js';
import type { PeerDirectory } from './peer-directory.js';
import { Wakeup } from './wakeup.js';

export const CHAIN_MANAGER_ELECTION = 'namespace-chains';
// How often the elected manager re-checks every chain without a membership
// event while there is work in progress (joiners finishing their transfer are
// found this way)...
const TICK_MS = 250;
// ...and when every chain is whole: membership events wake it at once anyway,
// and two etcd reads four times a second per idle cluster cost more than they
// found.
const IDLE_TICK_MS = 2_000;
const STATUS_TIMEOUT_MS = 2_000;

export interface ChainManagerOptions {
  etcd: Etcd3;
  keyspace: Keyspace;
  memberId: string;
  members: MemberView;
  peers: PeerDirectory;
  replicationFactor: number;
  /** Lease TTL of the election (seconds). */
  ttlSeconds: number;
  /**
   * At cluster start, wait this long for `replicationFactor` namespace members
   * before creating chains on fewer (a one-member development cluster).
   */
  bootstrapWaitMs: number;
  logger: Logger;
  onReconfigure?: (kind: 'create' | 'remove' | 'join' | 'promote') => void;
}

/**
 * The single elected process that changes chain records: it creates them at
 * cluster start, drops members whose membership key vanished, adds
 * replacements as joiners and appends each joiner at the tail once its state
 * transfer is done. Every change is a compare-and-set on the record's
 * mod revision that bumps the epoch, so a deposed manager's late write fails
 * and replicas fence on the epoch.
 */
export class ChainManager {
  private readonly election: LeaderElection;
  private readonly wakeup = new Wakeup();
  private readonly stopped = new AbortController();
  private loop: Promise<void> | undefined;
  private leading: AbortController | undefined;
  private readonly startedAt = Date.now();
  private readonly log: Logger;

  constructor(private readonly opts: ChainManagerOptions) {
    this.log = opts.logger;
    this.election = new LeaderElection({
      etcd: opts.etcd,
      keyspace: opts.keyspace,
      name: CHAIN_MANAGER_ELECTION,
      candidateId: opts.memberId,
      ttlSeconds: opts.ttlSeconds,
      logger: opts.logger,
    });
    this.election.on('elected', () => {
      this.leading = new AbortController();
      this.loop = this.run(this.leading.signal);
    });
    this.election.on('deposed', () => this.leading?.abort());
    opts.members.on('change', () => this.wakeup.notify());
  }

  get isLeader(): boolean {
    return this.election.isLeader;
  }

  start(): void {
    this.election.start();
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    this.leading?.abort();
    this.wakeup.notify();
    await this.election.stop();
    await this.loop;
  }

  private async run(signal: AbortSignal): Promise<void> {
    this.log.info('chain manager elected');
    while (!signal.aborted && !this.stopped.signal.aborted) {
      let busy = true;
      try {
        busy = await this.tick(signal);
      } catch (err) {
        if (!signal.aborted) this.log.warn({ err }, 'chain manager pass failed; retrying');
      }
      await this.wakeup.wait(busy ? TICK_MS : IDLE_TICK_MS, signal);
    }
  }

  private liveMembers(): Set<string> {
    return new Set(this.opts.members.byRole('namespace').map((m) => m.id));
  }

  /** One pass over every chain; true while something is in progress (a joiner, a change made, chains missing). */
  private async tick(signal: AbortSignal): Promise<boolean> {
    const { etcd, keyspace } = this.opts;
    const config = await readClusterConfig(etcd, keyspace);
    if (config === undefined) return true;
    const res = await etcd.getAll().prefix(keyspace.chainsPrefix()).exec();
    const records = new Map<number, { record: ChainRecord; modRevision: string }>();
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      const partition = keyspace.parseChain(key);
      if (partition === undefined) continue;
      records.set(partition, { record: ChainRecordCodec.decode(kv.value, key), modRevision: kv.mod_revision });
    }
    const live = this.liveMembers();
    if (records.size < config.partitions) {
      await this.createMissing(config.partitions, records, live);
      return true;
    }
    let busy = false;
    const now = new Date().toISOString();
    const load = chainLoad([...records.values()].map((r) => r.record));
    for (const { record, modRevision } of records.values()) {
      if (signal.aborted) return true;
      if (record.joining.length > 0) busy = true;
      const repaired = planRepair(record, live, this.opts.replicationFactor, load, now);
      if (repaired !== undefined) {
        busy = true;
        if (await this.swap(record, repaired, modRevision)) {
          const after = new Set([...repaired.replicas, ...repaired.joining]);
          const added = repaired.joining.some((id) => !record.joining.includes(id));
          if ([...record.replicas, ...record.joining].some((id) => !after.has(id))) this.opts.onReconfigure?.('remove');
          if (added) this.opts.onReconfigure?.('join');
          for (const id of repaired.joining) load.set(id, (load.get(id) ?? 0) + (record.joining.includes(id) ? 0 : 1));
        }
        continue;
      }
      for (const joiner of record.joining) {
        if (await this.transferDone(record, joiner)) {
          const promoted = planPromotion(record, joiner, now);
          if (promoted !== undefined && (await this.swap(record, promoted, modRevision))) {
            this.opts.onReconfigure?.('promote');
          }
          break;
        }
      }
    }
    return busy;
  }

  private async createMissing(partitions: number, records: Map<number, unknown>, live: Set<string>): Promise<void> {
    const waited = Date.now() - this.startedAt;
    if (live.size === 0) return;
    if (live.size < this.opts.replicationFactor && waited < this.opts.bootstrapWaitMs) return;
    const chains = initialChains(partitions, [...live], this.opts.replicationFactor, new Date().toISOString());
    for (const record of chains) {
      if (records.has(record.partition)) continue;
      const key = this.opts.keyspace.chain(record.partition);
      const r = await this.opts.etcd
        .if(key, 'Create', '==', 0)
        .then(this.opts.etcd.put(key).value(ChainRecordCodec.encode(record)))
        .commit();
      if (r.succeeded) {
        this.opts.onReconfigure?.('create');
        this.log.info({ partition: record.partition, replicas: record.replicas }, 'chain created');
      }
    }
  }

  private async swap(from: ChainRecord, to: ChainRecord, modRevision: string): Promise<boolean> {
    const key = this.opts.keyspace.chain(to.partition);
    const r = await this.opts.etcd
      .if(key, 'Mod', '==', modRevision)
      .then(this.opts.etcd.put(key).value(ChainRecordCodec.encode(to)))
      .commit();
    if (r.succeeded) {
      this.log.info(
        {
          partition: to.partition,
          epoch: to.epoch,
          from: { replicas: from.replicas, joining: from.joining },
          to: { replicas: to.replicas, joining: to.joining },
        },
        'chain reconfigured',
      );
    }
    return r.succeeded;
  }

  private async transferDone(record: ChainRecord, joiner: string): Promise<boolean> {
    const client = this.opts.peers.replicaClient(joiner);
    if (client === undefined) return false;
    try {
      const res = await client.getReplicaStatus({ partitionIds: [record.partition] }, { timeoutMs: STATUS_TIMEOUT_MS });
      const status = res.replicas.find((s) => s.partitionId === record.partition);
      return (
        status !== undefined &&
        status.role === namespaceV1.ReplicaRole.NOT_MEMBER &&
        status.chainEpoch === BigInt(record.epoch)
      );
    } catch {
      return false;
    }
  }
}
