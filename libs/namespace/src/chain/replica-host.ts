import path from 'node:path';
import {
  ChainRecordCodec,
  PrefixCache,
  type ChainRecord,
  type Etcd3,
  type Keyspace,
  type Membership,
  type PrefixChange,
} from '@platter/cluster';
import type { Logger } from '@platter/telemetry';
import { ChainReplica } from './chain-replica.js';
import type { PeerDirectory } from './peer-directory.js';

export interface ReplicaHostOptions {
  etcd: Etcd3;
  keyspace: Keyspace;
  memberId: string;
  /** Each partition's store lives in `<dataDir>/p<partition>`. */
  dataDir: string;
  peers: PeerDirectory;
  mapSizeBytes?: number;
  /** How long heads keep write ids (default 24 h). */
  writeIdRetentionMs?: number;
  logger: Logger;
  onCommit?: (count: number) => void;
  onHop?: (seconds: number, entries: number) => void;
}

/**
 * The replicas one namespace process hosts: one ChainReplica (and LMDB store)
 * per partition whose chain record names this member, configured from the
 * chains/ prefix in etcd as it changes. A replica stays open after it leaves
 * its chain (it holds data but serves nothing) until it is asked to join
 * again, which starts it over from a state transfer.
 */
export class ReplicaHost {
  private readonly replicas = new Map<number, ChainReplica>();
  private queue: Promise<void> = Promise.resolve();
  private fenced = false;
  private closed = false;
  private readonly log: Logger;

  private constructor(
    private readonly opts: ReplicaHostOptions,
    private readonly chains: PrefixCache<ChainRecord>,
  ) {
    this.log = opts.logger;
  }

  static async open(opts: ReplicaHostOptions): Promise<ReplicaHost> {
    const chains = await PrefixCache.open<ChainRecord>({
      etcd: opts.etcd,
      prefix: opts.keyspace.chainsPrefix(),
      decode: (raw, key) => ChainRecordCodec.decode(raw, key),
      logger: opts.logger.child({ component: 'chain-watch' }),
    });
    const host = new ReplicaHost(opts, chains);
    chains.on('change', (changes: PrefixChange<ChainRecord>[]) => {
      for (const c of changes) if (c.value !== undefined) host.enqueue(c.value);
    });
    for (const record of chains.values()) host.enqueue(record);
    await host.queue;
    return host;
  }

  replica(partition: number): ChainReplica | undefined {
    return this.replicas.get(partition);
  }

  all(): ChainReplica[] {
    return [...this.replicas.values()].sort((a, b) => a.partition - b.partition);
  }

  /** The chain records as this process sees them (for the service's routing checks). */
  chainRecords(): ChainRecord[] {
    return this.chains.values();
  }

  /** Wait until every configuration change seen so far is applied (tests). */
  settled(): Promise<void> {
    return this.queue;
  }

  /**
   * Fencing by lease: while our membership lease is not confirmed, every
   * replica refuses to serve (the chain manager may already have replaced us;
   * the epoch in every message stops us anyway, this stops us sooner).
   */
  attachMembership(membership: Membership): void {
    membership.on('lost', () => this.setFenced(true));
    membership.on('registered', () => this.setFenced(false));
  }

  setFenced(fenced: boolean): void {
    this.fenced = fenced;
    for (const r of this.replicas.values()) r.setFenced(fenced);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chains.close();
    await this.queue.catch(() => undefined);
    await Promise.all([...this.replicas.values()].map((r) => r.close()));
    this.replicas.clear();
  }

  private enqueue(record: ChainRecord): void {
    this.queue = this.queue
      .then(() => this.apply(record))
      .catch((err: unknown) => this.log.error({ err, partition: record.partition }, 'chain configuration failed'));
  }

  private async apply(record: ChainRecord): Promise<void> {
    if (this.closed) return;
    let replica = this.replicas.get(record.partition);
    const named = record.replicas.includes(this.opts.memberId) || record.joining.includes(this.opts.memberId);
    if (replica === undefined) {
      if (!named) return;
      replica = await ChainReplica.open({
        partition: record.partition,
        memberId: this.opts.memberId,
        dir: path.join(this.opts.dataDir, `p${record.partition}`),
        peers: this.opts.peers,
        mapSizeBytes: this.opts.mapSizeBytes,
        writeIdRetentionMs: this.opts.writeIdRetentionMs,
        logger: this.log.child({ component: 'replica' }),
        onCommit: this.opts.onCommit,
        onHop: this.opts.onHop,
      });
      replica.setFenced(this.fenced);
      this.replicas.set(record.partition, replica);
    }
    replica.configure(record);
  }
}
