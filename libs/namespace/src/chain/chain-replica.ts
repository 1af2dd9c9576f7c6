import { mkdir, rm } from 'node:fs/promises';
import type { ChainRecord } from '@platter/cluster';
import { namespaceV1 } from '@platter/proto';
import type { Logger } from '@platter/telemetry';
import { asBuffer } from '@platter/namespace-client';
import { NamespaceError } from '../errors.js';
import type { JournalEntry } from '../journal/journal-entry.js';
import { JournalRowError, decodeJournalRow } from '../journal/journal-row.js';
import type { OpOf, OpResponse, OpType } from '../state/ops.js';
import { PartitionStateMachine } from '../state/partition-state-machine.js';
import { checkChainEpoch } from '../state/epoch-fence.js';
import { PartitionStore } from '../store/partition-store.js';
import { AckLink } from './ack-link.js';
import { chainPosition, inChain, isHead, isTail, type ChainPosition } from './chain-view.js';
import { CommitWaiters } from './commit-waiters.js';
import type { PeerDirectory } from './peer-directory.js';
import { SuccessorLink } from './successor-link.js';

const ROLE = namespaceV1.ReplicaRole;
// A state transfer is one stream for the whole partition: generous, it is
// bounded by the partition's size at a floor throughput, not by a request.
const SNAPSHOT_TIMEOUT_MS = 10 * 60_000;
const TRANSFER_RETRY_MS = 500;
// A joiner turned tail asks its predecessor where to stand before serving reads.
const READ_BARRIER_RETRY_MS = 100;
// Journal entries kept below what the successor (and the tail) hold: room for
// a joiner to catch up after its snapshot and for a successor that restarts
// after a short outage (~100 MB at ~1 KiB per entry). A successor further
// behind than this needs a state transfer.
export const DEFAULT_JOURNAL_RETAIN_ENTRIES = 100_000;
// How often a replica drops journal entries nobody can need any more, and how many at most per pass.
const DEFAULT_JOURNAL_TRIM_INTERVAL_MS = 5_000;
const JOURNAL_TRIM_MAX_ENTRIES = 10_000;
// How long a write id is remembered (a retry with it returns the first
// outcome): far beyond any client's retry horizon (proto/README.md).
export const DEFAULT_WRITE_ID_RETENTION_MS = 24 * 3600_000;
// Write ids forgotten per housekeeping pass: one journal entry of bounded size.
const WRITE_ID_EXPIRY_MAX = 5_000;

export interface ChainReplicaOptions {
  partition: number;
  memberId: string;
  /** This partition's own directory (data.mdb lives inside). */
  dir: string;
  peers: PeerDirectory;
  mapSizeBytes?: number;
  logger: Logger;
  /** Journal entries kept below the successor's durable sequence (default 100,000). */
  journalRetainEntries?: number;
  journalTrimIntervalMs?: number;
  /** How long the head keeps write ids before it journals their expiry (default 24 h). */
  writeIdRetentionMs?: number;
  /** Metrics hooks. */
  onCommit?: (count: number) => void;
  onHop?: (seconds: number, entries: number) => void;
}

export interface WriteOutcome<R> {
  response: R;
  sequence: bigint;
}

/**
 * One partition replica in its chain: the state machine plus the chain
 * protocol around it. The head executes client writes and answers them once
 * the tail acknowledges their sequence; every replica applies what its
 * predecessor forwards and forwards it on; the tail acknowledges and serves
 * reads. The configuration (epoch, neighbours) comes from the chain record
 * in etcd, and every message is fenced by that epoch.
 */
export class ChainReplica {
  private store: PartitionStore;
  private sm: PartitionStateMachine;
  private pos: ChainPosition;
  private fenced = false;
  private closed = false;
  private readonly waiters = new CommitWaiters();
  private readonly successor: SuccessorLink;
  private readonly ack: AckLink;
  /** Set while a joiner (or a member re-seeding) wipes and restores; the store must not be touched. */
  private transfer: Promise<void> | undefined;
  /**
   * A member of the chain that stands below its predecessor's journal floor:
   * it copies a neighbour's state in place (see transferSource) instead of
   * waiting for entries nobody has any more.
   */
  private reseeding = false;
  /** What our last successful Forward answer told the predecessor: a gap after it is deliberate. */
  private lastReport: { epoch: bigint; sender: string; durable: bigint } | undefined;
  private restoredAtEpoch: bigint | undefined;
  /** The tail of the newest record seen while joining: where a retried transfer copies from. */
  private latestTail: string | undefined;
  /** A joiner turned tail serves reads only once it holds everything its predecessor had. */
  private readBarrier: bigint | undefined = 0n;
  private barrierLoop: Promise<void> | undefined;
  private readonly trimTimer: NodeJS.Timeout;
  private trimming: Promise<unknown> | undefined;
  /** (time, applied sequence) samples at the head: which sequences are older than the write-id retention. */
  private sequenceClock: Array<{ atMs: number; sequence: bigint }> = [];
  private readonly log: Logger;

  private constructor(
    private readonly opts: ChainReplicaOptions,
    store: PartitionStore,
  ) {
    this.store = store;
    this.sm = new PartitionStateMachine({ store });
    this.log = opts.logger.child({ partition: opts.partition });
    this.pos = {
      partition: opts.partition,
      epoch: 0n,
      role: ROLE.NOT_MEMBER,
      predecessor: undefined,
      successor: undefined,
    };
    this.successor = new SuccessorLink({
      partition: opts.partition,
      memberId: opts.memberId,
      peers: opts.peers,
      // While our own store is being replaced there is nothing to forward.
      durable: () => this.durable,
      readJournal: (from, max) => {
        if (this.transfer !== undefined) throw new NamespaceError('NOT_SERVING', 'state transfer in progress');
        return this.store.readJournalRows(from, max);
      },
      journalFloor: () => (this.transfer !== undefined ? 0n : this.store.journalFloor()),
      onCommitted: (sequence) => this.advanceCommitted(sequence),
      onHop: (s, n) => opts.onHop?.(s, n),
      logger: this.log.child({ component: 'successor-link' }),
    });
    this.ack = new AckLink({
      partition: opts.partition,
      memberId: opts.memberId,
      peers: opts.peers,
      committed: () => this.waiters.committed,
      logger: this.log.child({ component: 'ack-link' }),
    });
    this.trimTimer = setInterval(
      () => this.housekeeping(),
      opts.journalTrimIntervalMs ?? DEFAULT_JOURNAL_TRIM_INTERVAL_MS,
    );
    this.trimTimer.unref();
  }

  static async open(opts: ChainReplicaOptions): Promise<ChainReplica> {
    await mkdir(opts.dir, { recursive: true });
    let store: PartitionStore;
    try {
      store = PartitionStore.open({ path: opts.dir, mapSizeBytes: opts.mapSizeBytes });
    } catch (error) {
      // Only a state transfer cut short refuses to open: that replica was a
      // joiner, never in the chain, so nothing in it is worth keeping.
      if (!(error instanceof NamespaceError && error.code === 'UNSUPPORTED_FORMAT')) throw error;
      opts.logger.warn({ partition: opts.partition, dir: opts.dir }, 'half-restored replica found: starting it over');
      await rm(opts.dir, { recursive: true, force: true });
      await mkdir(opts.dir, { recursive: true });
      store = PartitionStore.open({ path: opts.dir, mapSizeBytes: opts.mapSizeBytes });
    }
    return new ChainReplica(opts, store);
  }

  get partition(): number {
    return this.opts.partition;
  }

  get position(): ChainPosition {
    return this.pos;
  }

  get stateMachine(): PartitionStateMachine {
    return this.sm;
  }

  get durable(): bigint {
    return this.transfer !== undefined ? 0n : this.store.applied().sequence;
  }

  get committed(): bigint {
    return this.waiters.committed;
  }

  /** Entries the successor has not yet acknowledged as durable (the lag gauge). */
  get successorLag(): bigint {
    const acked = this.successor.acknowledgedBySuccessor;
    if (this.pos.successor === undefined || acked === undefined) return 0n;
    const lag = this.durable - acked;
    return lag > 0n ? lag : 0n;
  }

  /** Lease lost (or regained): a fenced replica serves nothing until it is registered again. */
  setFenced(fenced: boolean): void {
    if (this.fenced === fenced) return;
    this.fenced = fenced;
    this.log.warn({ fenced }, fenced ? 'membership lease lost: not serving' : 'membership regained: serving');
    if (fenced) this.waiters.failAll(new NamespaceError('NOT_SERVING', 'membership lease lost'));
  }

  /** A new chain record for this partition (from the etcd watch). Older epochs are ignored. */
  configure(record: ChainRecord): void {
    if (this.closed) return;
    const next = chainPosition(record, this.opts.memberId);
    if (next.epoch < this.pos.epoch) return;
    const previous = this.pos;
    this.pos = next;
    if (next.epoch !== previous.epoch || next.role !== previous.role) {
      this.log.info(
        { epoch: next.epoch, role: ROLE[next.role], predecessor: next.predecessor, successor: next.successor },
        'chain configuration',
      );
    }
    if (next.role === ROLE.JOINING) {
      this.latestTail = record.replicas[record.replicas.length - 1];
      // Whatever we held before (an old suffix of our own as a former head) must go: rejoin empty.
      if (previous.role !== ROLE.JOINING && this.restoredAtEpoch === undefined) this.startTransfer(record);
    } else if (!inChain(next.role)) {
      this.restoredAtEpoch = undefined;
    }
    if (this.transfer === undefined) this.sm.setChainEpoch(next.epoch);
    if (isHead(previous.role) && !isHead(next.role)) {
      // Clients waiting here retry at the new head with their write ids.
      this.waiters.failAll(new NamespaceError('NOT_SERVING', 'no longer the head'));
    }
    if (isTail(next.role) && this.transfer === undefined) {
      if (!isTail(previous.role) && !inChain(previous.role) && next.predecessor !== undefined) {
        this.readBarrier = undefined;
        this.barrierLoop ??= this.establishReadBarrier();
      }
      this.advanceCommitted(this.store.applied().sequence);
    }
    if (inChain(next.role)) this.restoredAtEpoch = undefined;
    this.successor.retarget(
      inChain(next.role) && next.successor !== undefined ? { successor: next.successor, epoch: next.epoch } : undefined,
    );
    this.ack.retarget(
      inChain(next.role) && next.predecessor !== undefined
        ? { predecessor: next.predecessor, epoch: next.epoch }
        : undefined,
    );
  }

  // ---------------------------------------------------------------- client side

  /** Head: executes a write and resolves once the tail holds it. */
  async write<T extends OpType>(
    op: OpOf<T>,
    route: namespaceV1.PartitionRoute | undefined,
    signal?: AbortSignal,
  ): Promise<WriteOutcome<OpResponse<T>> | NamespaceError> {
    const refused = this.refuse(route, isHead, 'head');
    if (refused) return refused;
    const outcome = await this.sm.execute(op);
    if (outcome instanceof NamespaceError) return outcome;
    if (!outcome.duplicate) {
      this.opts.onCommit?.(1);
      if (isTail(this.pos.role)) this.advanceCommitted(outcome.sequence);
      else this.successor.kick();
    }
    await this.waiters.wait(outcome.sequence, signal);
    return { response: outcome.response, sequence: outcome.sequence };
  }

  /** Tail: the state machine to read from, or why not. */
  reader(route: namespaceV1.PartitionRoute | undefined): PartitionStateMachine | NamespaceError {
    const refused = this.refuse(route, isTail, 'tail');
    if (refused) return refused;
    if (this.readBarrier === undefined || this.store.applied().sequence < this.readBarrier) {
      return new NamespaceError('NOT_SERVING', 'new tail still catching up', { resource: this.resource() });
    }
    return this.sm;
  }

  private refuse(
    route: namespaceV1.PartitionRoute | undefined,
    roleOk: (role: namespaceV1.ReplicaRole) => boolean,
    roleName: string,
  ): NamespaceError | undefined {
    if (this.closed) return new NamespaceError('NOT_SERVING', 'replica closed', { resource: this.resource() });
    if (this.fenced) return new NamespaceError('NOT_SERVING', 'membership lease lost', { resource: this.resource() });
    const stale = checkChainEpoch(this.pos.epoch, route?.chainEpoch ?? 0n);
    if (stale) return stale;
    if (!roleOk(this.pos.role) || this.transfer !== undefined) {
      return new NamespaceError('WRONG_ROLE', `not the ${roleName} of partition ${this.opts.partition}`, {
        resource: this.resource(),
        currentEpoch: this.pos.epoch,
      });
    }
    return undefined;
  }

  // ---------------------------------------------------------------- replica side

  /** Forward from the predecessor: apply durably, pass on, report where we stand. */
  async onForward(request: namespaceV1.ForwardRequest): Promise<namespaceV1.ForwardResponse | NamespaceError> {
    const refused = this.refuseReplicaMessage(request.chainEpoch, request.senderReplicaId, this.pos.predecessor);
    if (refused) return refused;
    const forwarded = forwardedEntries(request);
    if (forwarded instanceof NamespaceError) return forwarded;
    const { entries, rows } = forwarded;
    if (entries.length > 0) {
      const gap = this.deliberateGap(request, entries[0]?.sequence);
      if (gap !== undefined) return gap;
      const result = await this.sm.apply(entries, rows);
      if (result.applied > 0) {
        if (isTail(this.pos.role)) this.advanceCommitted(result.durableSequence);
        else this.successor.kick();
      }
      if (result.error !== undefined) {
        if (result.error.code === 'SEQUENCE_GAP') {
          return new NamespaceError('SEQUENCE_GAP', result.error.message, { currentSequence: result.durableSequence });
        }
        return result.error;
      }
    }
    const committed = this.waiters.committed;
    // Synchronously, before the AckLink's loop runs: the response carries the mark.
    this.ack.reportedInResponse(request.chainEpoch, committed);
    const durable = this.store.applied().sequence;
    this.lastReport = { epoch: request.chainEpoch, sender: request.senderReplicaId, durable };
    return {
      $typeName: 'platter.namespace.v1.ForwardResponse',
      durableSequence: durable,
      committedSequence: committed,
      readsJournalRows: true,
    };
  }

  /**
   * The predecessor's link always sends from the durable sequence we last
   * told it, so entries starting past it — while we still hold exactly what
   * we told it, in the same epoch — mean it no longer has the entries in
   * between (its journal floor passed us). Catching up from the journal is
   * then impossible: re-seed from a neighbour. Any other gap (our store went
   * back, e.g. restored from an old disk) is a plain SEQUENCE_GAP and the
   * predecessor probes again.
   */
  private deliberateGap(request: namespaceV1.ForwardRequest, first: bigint | undefined): NamespaceError | undefined {
    const held = this.store.applied().sequence;
    const told = this.lastReport;
    if (first === undefined || first <= held + 1n) return undefined;
    if (told === undefined || told.epoch !== request.chainEpoch || told.sender !== request.senderReplicaId)
      return undefined;
    if (told.durable !== held) return undefined;
    this.log.warn(
      { predecessor: request.senderReplicaId, durable: held, predecessorFirst: first },
      "behind the predecessor's journal floor: re-seeding by a state transfer",
    );
    this.startReseed();
    return new NamespaceError('NOT_SERVING', `re-seeding: entries ${held + 1n}..${first - 1n} are gone upstream`, {
      resource: this.resource(),
    });
  }

  /** Ack from the successor: entries up to the mark are durable at the tail. */
  onAck(request: namespaceV1.AckRequest): NamespaceError | undefined {
    const refused = this.refuseReplicaMessage(request.chainEpoch, request.senderReplicaId, this.pos.successor);
    if (refused) return refused;
    this.advanceCommitted(request.committedSequence);
    return undefined;
  }

  /**
   * StreamSnapshot: a consistent copy of this replica, for a joiner (from the
   * tail) or for a neighbour in this epoch that re-seeds in place (see
   * transferSource).
   */
  snapshot(request: namespaceV1.StreamSnapshotRequest): Iterable<namespaceV1.StreamSnapshotResponse> | NamespaceError {
    if (this.fenced || this.closed) return new NamespaceError('NOT_SERVING', 'not serving');
    const stale = checkChainEpoch(this.pos.epoch, request.chainEpoch);
    if (stale) return stale;
    const neighbour =
      inChain(this.pos.role) &&
      request.requesterReplicaId !== '' &&
      (request.requesterReplicaId === this.pos.predecessor || request.requesterReplicaId === this.pos.successor);
    if (!(isTail(this.pos.role) || neighbour) || this.transfer !== undefined) {
      return new NamespaceError('WRONG_ROLE', 'snapshots come from the tail or a neighbour', {
        resource: this.resource(),
      });
    }
    // A neighbour re-seeding in place takes our journal too: its own successor may stand below
    // our snapshot and is caught up (or told to re-seed) from it.
    return this.store.snapshot(request.maxBatchBytes === 0 ? undefined : request.maxBatchBytes, {
      journal: neighbour,
    });
  }

  status(): namespaceV1.ReplicaStatus {
    let role = this.pos.role;
    // A joiner whose transfer is done reports NOT_MEMBER: "holds the data, not in the chain yet".
    if (role === ROLE.JOINING && this.transfer === undefined && this.restoredAtEpoch !== undefined) {
      role = ROLE.NOT_MEMBER;
    }
    return {
      $typeName: 'platter.namespace.v1.ReplicaStatus',
      partitionId: this.opts.partition,
      chainEpoch: this.pos.epoch,
      replicaId: this.opts.memberId,
      role,
      predecessorReplicaId: this.pos.predecessor ?? '',
      successorReplicaId: this.pos.successor ?? '',
      durableSequence: this.durable,
      committedSequence: this.waiters.committed,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.trimTimer);
    this.waiters.failAll(new NamespaceError('NOT_SERVING', 'replica closed'));
    await Promise.all([this.successor.stop(), this.ack.stop()]);
    await this.transfer?.catch(() => undefined);
    await this.barrierLoop;
    await this.trimming?.catch(() => undefined);
    await this.store.close();
  }

  private refuseReplicaMessage(
    epoch: bigint,
    sender: string,
    expected: string | undefined,
  ): NamespaceError | undefined {
    if (this.closed || this.fenced)
      return new NamespaceError('NOT_SERVING', 'not serving', { resource: this.resource() });
    if (epoch === 0n)
      return new NamespaceError('STALE_EPOCH', 'replica messages need an epoch', { currentEpoch: this.pos.epoch });
    const stale = checkChainEpoch(this.pos.epoch, epoch);
    if (stale) return stale;
    if (this.transfer !== undefined || expected === undefined || sender !== expected) {
      return new NamespaceError('WRONG_ROLE', `${sender} is not our neighbour in epoch ${epoch}`, {
        resource: this.resource(),
        currentEpoch: this.pos.epoch,
      });
    }
    return undefined;
  }

  private advanceCommitted(sequence: bigint): void {
    // Never past what we hold ourselves: the tail's mark is ≤ every predecessor's durable.
    const durable = this.transfer !== undefined ? 0n : this.store.applied().sequence;
    const mark = sequence < durable ? sequence : durable;
    if (mark <= this.waiters.committed) return;
    this.waiters.advance(mark);
    this.ack.kick();
  }

  private housekeeping(): void {
    this.trimJournal();
    this.expireWriteIds();
  }

  /**
   * The head forgets write ids older than the retention, through a journaled
   * entry (so every replica forgets the same ones). Age comes from samples of
   * the applied sequence taken here; after a restart or a new head the clock
   * starts over, which only keeps ids longer.
   */
  private expireWriteIds(): void {
    if (this.closed || this.fenced || this.transfer !== undefined || !isHead(this.pos.role)) {
      this.sequenceClock = [];
      return;
    }
    const now = Date.now();
    this.sequenceClock.push({ atMs: now, sequence: this.store.applied().sequence });
    const retention = this.opts.writeIdRetentionMs ?? DEFAULT_WRITE_ID_RETENTION_MS;
    let through: bigint | undefined;
    while (this.sequenceClock.length > 0 && (this.sequenceClock[0]?.atMs ?? now) <= now - retention) {
      through = this.sequenceClock.shift()?.sequence;
    }
    if (through === undefined || through === 0n || this.trimming !== undefined) return;
    this.trimming = this.sm
      .expireWriteIds(through, WRITE_ID_EXPIRY_MAX)
      .then((entry) => {
        if (entry === undefined) return;
        if (isTail(this.pos.role)) this.advanceCommitted(entry.sequence);
        else this.successor.kick();
      })
      .catch((err: unknown) => this.log.warn({ err }, 'write-id expiry failed'))
      .finally(() => {
        this.trimming = undefined;
      });
  }

  /**
   * Local housekeeping: drops journal entries that lie more than the
   * retention below both the committed mark and what the successor holds
   * (the tail has no successor: its committed mark is its own).
   */
  private trimJournal(): void {
    if (this.closed || this.transfer !== undefined || this.trimming !== undefined || !inChain(this.pos.role)) return;
    let needed = this.waiters.committed;
    if (this.pos.successor !== undefined) {
      const acked = this.successor.acknowledgedBySuccessor;
      if (acked === undefined) return;
      if (acked < needed) needed = acked;
    }
    const through = needed - BigInt(this.opts.journalRetainEntries ?? DEFAULT_JOURNAL_RETAIN_ENTRIES);
    if (through <= this.store.journalFloor()) return;
    this.trimming = this.store
      .truncateJournal(through, JOURNAL_TRIM_MAX_ENTRIES)
      .catch((err: unknown) => this.log.warn({ err }, 'journal truncation failed'))
      .finally(() => {
        this.trimming = undefined;
      });
  }

  private resource(): string {
    return `partition/${this.opts.partition}`;
  }

  // ---------------------------------------------------------------- joining

  private startTransfer(record: ChainRecord): void {
    this.latestTail = record.replicas[record.replicas.length - 1];
    this.runTransfer();
  }

  /** A member below its predecessor's floor: the same transfer, from a neighbour, in place. */
  private startReseed(): void {
    this.reseeding = true;
    this.runTransfer();
  }

  private runTransfer(): void {
    if (this.transfer !== undefined) return;
    this.transfer = this.transferLoop().finally(() => {
      this.transfer = undefined;
      this.reseeding = false;
      if (this.closed) return;
      this.sm.setChainEpoch(this.pos.epoch);
      if (!inChain(this.pos.role)) return;
      // Re-seeded in place: take up our position with the copied state.
      if (isTail(this.pos.role)) this.advanceCommitted(this.store.applied().sequence);
      this.successor.kick();
      this.ack.kick();
    });
  }

  /**
   * Where the next attempt copies from, or undefined to stop. A joiner copies
   * the tail and is appended after it. A member re-seeding in place copies
   * its predecessor, which holds every entry it should hold and has the ones
   * after its snapshot in its journal (our failing Forwards stop it from
   * trimming meanwhile); without one (it became the head) its successor,
   * whose state is the longest left in the chain, so the entries it then
   * orders never clash with ones the chain already holds.
   */
  private transferSource(): { source: string | undefined } | undefined {
    if (this.pos.role === ROLE.JOINING) return { source: this.latestTail };
    if (this.reseeding && inChain(this.pos.role)) return { source: this.pos.predecessor ?? this.pos.successor };
    return undefined;
  }

  private async transferLoop(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      const plan = this.transferSource();
      if (plan === undefined) return;
      const source = plan.source;
      const epoch = this.pos.epoch;
      const inPlace = this.pos.role !== ROLE.JOINING;
      try {
        if (source === undefined) throw new NamespaceError('NOT_SERVING', 'no replica to copy from');
        await this.wipe();
        const client = this.opts.peers.replicaClient(source);
        if (client === undefined) throw new NamespaceError('NOT_SERVING', `tail ${source} not registered`);
        const started = performance.now();
        const mark = await this.store.restore(
          client.streamSnapshot(
            {
              partitionId: this.opts.partition,
              chainEpoch: epoch,
              requesterReplicaId: this.opts.memberId,
              maxBatchBytes: 0,
            },
            { timeoutMs: SNAPSHOT_TIMEOUT_MS },
          ),
        );
        // A neighbour's copy may hold entries the tail never got; once the chain has moved on
        // (that neighbour gone, a new head ordering other entries at those sequences) it is not
        // ours to keep. A tail's copy is committed state, a prefix of any later history.
        if (inPlace && this.pos.epoch !== epoch) {
          throw new NamespaceError('NOT_SERVING', `configuration changed during the transfer (epoch ${epoch})`);
        }
        const joining = this.pos.role === ROLE.JOINING;
        if (joining) this.restoredAtEpoch = this.pos.epoch;
        this.log.info(
          { source, sequence: mark.sequence, seconds: (performance.now() - started) / 1000 },
          joining ? 'state transfer done; waiting to be appended at the tail' : 're-seeded in place; catching up',
        );
        return;
      } catch (error) {
        if (this.closed) return;
        this.log.warn({ err: error, source, attempt }, 'state transfer failed; retrying');
        // The configuration (and so the source) may change meanwhile: the next attempt asks again.
        await new Promise((r) => setTimeout(r, TRANSFER_RETRY_MS));
      }
    }
  }

  private async wipe(): Promise<void> {
    // Even an empty-looking store may hold a journal floor from an abandoned restore: always start over.
    if (this.store.applied().sequence > 0n) {
      this.log.warn({ durable: this.store.applied().sequence }, 'wiping local replica before state transfer');
    }
    this.lastReport = undefined;
    await this.store.close();
    await rm(this.opts.dir, { recursive: true, force: true });
    await mkdir(this.opts.dir, { recursive: true });
    this.store = PartitionStore.open({ path: this.opts.dir, mapSizeBytes: this.opts.mapSizeBytes });
    this.sm = new PartitionStateMachine({ store: this.store });
  }

  private async establishReadBarrier(): Promise<void> {
    try {
      while (!this.closed && isTail(this.pos.role) && this.readBarrier === undefined) {
        const predecessor = this.pos.predecessor;
        const epoch = this.pos.epoch;
        if (predecessor === undefined) {
          this.readBarrier = 0n;
          break;
        }
        try {
          const client = this.opts.peers.replicaClient(predecessor);
          const res = await client?.getReplicaStatus({ partitionIds: [this.opts.partition] });
          const status = res?.replicas.find((r) => r.partitionId === this.opts.partition);
          // Only once the predecessor acts in our epoch has it stopped serving reads as the old tail.
          if (status !== undefined && status.chainEpoch >= epoch) {
            this.readBarrier = status.durableSequence;
            this.log.info({ barrier: status.durableSequence }, 'new tail: serving reads from this sequence on');
            break;
          }
        } catch {
          // retried below
        }
        await new Promise((r) => setTimeout(r, READ_BARRIER_RETRY_MS));
      }
    } finally {
      this.barrierLoop = undefined;
    }
  }
}

/** A Forward's entries, from whichever field carries them (with their rows when sent as rows). */
function forwardedEntries(
  request: namespaceV1.ForwardRequest,
): { entries: readonly JournalEntry[]; rows?: Buffer[] } | NamespaceError {
  if (request.journalRows.length === 0) return { entries: request.entries };
  if (request.entries.length > 0) {
    return new NamespaceError('INVALID_ARGUMENT', 'a Forward carries entries or journal rows, not both');
  }
  const rows = request.journalRows.map(asBuffer);
  try {
    return { entries: rows.map(decodeJournalRow), rows };
  } catch (error) {
    if (!(error instanceof JournalRowError)) throw error;
    return new NamespaceError('INVALID_ARGUMENT', `bad journal row in Forward: ${error.message}`);
  }
}
