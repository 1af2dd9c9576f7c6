import { EventEmitter } from 'node:events';
import type { Etcd3 } from 'etcd3';
import type { Logger } from '@platter/telemetry';
import { aborted, backoffDelay, sleepUnlessAborted } from './backoff.js';
import { CandidateRecordCodec, type Keyspace } from './keyspace.js';
import { LeaseKeeper, REVOKE_TIMEOUT_MS } from './lease-keeper.js';
import { waitForDelete } from './watch-util.js';

export interface LeaderElectionOptions {
  etcd: Etcd3;
  keyspace: Keyspace;
  name: string;
  candidateId: string;
  ttlSeconds: number;
  logger: Logger;
}

export interface ElectedEvent {
  epoch: string;
}

export type DeposedReason = 'lease-lost' | 'key-deleted' | 'stopped' | 'error';

export interface ElectionLeader {
  candidateId: string;
  /** The create revision of the leader's key: strictly increasing across leaders. */
  epoch: string;
}

/**
 * etcd's election recipe with our own lease keeping: each candidate puts a
 * lease-bound key under elections/<name>/; the key with the lowest create
 * revision leads; the others each wait for the deletion of the key just
 * before theirs. The leader's create revision is its epoch, a fencing token
 * that strictly increases across leaders: receivers must reject requests
 * carrying an older epoch than they have seen, because a deposed leader can
 * act for a moment before it learns of its deposition.
 *
 * The leader steps down ('deposed') as soon as its lease cannot be confirmed
 * within the TTL — before etcd can have expired it — or its key is deleted.
 * It then campaigns again automatically until stop().
 *
 * Events: 'elected' (ElectedEvent), 'deposed' (DeposedReason).
 */
export class LeaderElection extends EventEmitter {
  private readonly stopController = new AbortController();
  private loop: Promise<void> | undefined;
  private leaderEpoch: string | undefined;
  private readonly prefix: string;
  private readonly log: Logger;

  constructor(private readonly opts: LeaderElectionOptions) {
    super();
    if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds < 1)
      throw new RangeError('ttlSeconds must be a positive integer');
    this.prefix = opts.keyspace.election(opts.name);
    // Validates the id up front rather than on every campaign.
    CandidateRecordCodec.encode({ candidateId: opts.candidateId, since: new Date().toISOString() });
    this.log = opts.logger.child({ component: 'election', election: opts.name, candidateId: opts.candidateId });
  }

  get isLeader(): boolean {
    return this.leaderEpoch !== undefined;
  }

  /** The fencing token while leader, else undefined. */
  get epoch(): string | undefined {
    return this.leaderEpoch;
  }

  start(): void {
    if (this.stopController.signal.aborted) throw new Error('a stopped election cannot be restarted; create a new one');
    this.loop ??= this.campaignForever();
  }

  /** Resigns (revokes the lease, so a successor is elected at once) and stops campaigning. */
  async stop(): Promise<void> {
    if (this.stopController.signal.aborted) return;
    this.stopController.abort();
    if (this.isLeader) this.depose('stopped');
    // The campaign loop revokes its lease on the way out.
    await this.loop;
  }

  private depose(reason: DeposedReason): void {
    if (this.leaderEpoch === undefined) return;
    const epoch = this.leaderEpoch;
    this.leaderEpoch = undefined;
    this.log.warn({ reason, epoch }, 'deposed');
    this.emit('deposed', reason);
  }

  private async campaignForever(): Promise<void> {
    const stop = this.stopController.signal;
    let attempt = 0;
    while (!stop.aborted) {
      let keeper: LeaseKeeper | undefined;
      const round = new AbortController();
      try {
        keeper = await LeaseKeeper.grant({ etcd: this.opts.etcd, ttlSeconds: this.opts.ttlSeconds, logger: this.log });
        if (stop.aborted) break;
        void keeper.ended().then(() => round.abort());
        const roundSignal = AbortSignal.any([stop, round.signal]);
        const myKey = `${this.prefix}${BigInt(keeper.id).toString(16)}`;
        const myRevision = await this.enter(myKey, keeper.id);
        await this.waitForTurn(myRevision, roundSignal);
        if (roundSignal.aborted) {
          if (!stop.aborted) this.log.info('lease lost while waiting for leadership; campaigning again');
        } else {
          attempt = 0;
          this.leaderEpoch = myRevision.toString();
          this.log.info({ epoch: this.leaderEpoch }, 'elected');
          this.emit('elected', { epoch: this.leaderEpoch } satisfies ElectedEvent);
          const deleted = waitForDelete(this.opts.etcd, myKey, myRevision + 1n, roundSignal).then(
            () => 'key-deleted' as const,
          );
          const lost = keeper.ended().then(() => 'lease-lost' as const);
          const reason = await Promise.race([deleted, lost, aborted(stop).then(() => 'stopped' as const)]);
          round.abort();
          this.depose(reason);
        }
      } catch (err) {
        this.depose('error');
        if (stop.aborted) break;
        this.log.warn({ err }, 'election round failed; retrying');
        await sleepUnlessAborted(backoffDelay(attempt++), stop);
      } finally {
        round.abort();
        // Leaving a round for any reason gives the seat up explicitly, so a successor need not wait a TTL.
        await keeper?.revoke(REVOKE_TIMEOUT_MS);
      }
    }
  }

  /** Puts our candidate key (idempotently) and returns its create revision. */
  private async enter(myKey: string, leaseId: string): Promise<bigint> {
    const value = CandidateRecordCodec.encode({ candidateId: this.opts.candidateId, since: new Date().toISOString() });
    const res = await this.opts.etcd
      .if(myKey, 'Create', '==', 0)
      .then(this.opts.etcd.put(myKey).value(value).lease(leaseId))
      .else(this.opts.etcd.get(myKey))
      .commit();
    if (res.succeeded) return BigInt(res.header.revision);
    const kv = res.responses[0]?.response_range?.kvs[0];
    if (kv === undefined) throw new Error(`candidate key ${myKey} vanished`);
    return BigInt(kv.create_revision);
  }

  /** Resolves when no candidate older than us remains, or when the signal aborts. */
  private async waitForTurn(myRevision: bigint, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const res = await this.opts.etcd
        .getAll()
        .prefix(this.prefix)
        .maxCreateRevision((myRevision - 1n).toString())
        .sort('Create', 'Descend')
        .limit(1)
        .exec();
      const predecessor = res.kvs[0];
      if (predecessor === undefined) return;
      this.log.debug({ waitingFor: predecessor.key.toString() }, 'waiting for the previous candidate');
      await waitForDelete(this.opts.etcd, predecessor.key.toString(), BigInt(res.header.revision) + 1n, signal);
    }
  }
}

/** Who leads an election now (one range read), or undefined when nobody does. */
export async function readElectionLeader(
  etcd: Etcd3,
  keyspace: Keyspace,
  name: string,
): Promise<ElectionLeader | undefined> {
  const res = await etcd.getAll().prefix(keyspace.election(name)).sort('Create', 'Ascend').limit(1).exec();
  const kv = res.kvs[0];
  if (kv === undefined) return undefined;
  const record = CandidateRecordCodec.decode(kv.value, kv.key.toString());
  return { candidateId: record.candidateId, epoch: kv.create_revision };
}
