import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, RpcError, StreamedCalls, codeName } from '@platter/rpc';
import { commonV1, namespaceV1 } from '@platter/proto';
import type { Logger } from '@platter/telemetry';
import { errorReason, readErrorDetail } from '@platter/rpc';
import { NamespaceError } from '../errors.js';
import { decodeJournalRow } from '../journal/journal-row.js';
import { PeerCalls, REPLICA_CALL_TIMEOUT_MS, type PeerDirectory } from './peer-directory.js';
import { Wakeup } from './wakeup.js';

// Entries per Forward: one group amortises a round trip and the receiver's
// flush over many commits; bounded so a message stays well under the 8 MiB
// gRPC limit with inline objects (4 KiB each plus metadata).
export const FORWARD_BATCH_MAX_ENTRIES = 256;
// How long the loop sleeps when there is nothing to send before it probes
// again anyway (catches a successor that restarted with less than we think).
// A safety net only: new entries, a failed Forward and every reconfiguration
// wake the loop at once. At 1 s, the probes of an idle cluster's links (two
// per partition) were most of an idle namespace process's CPU.
const IDLE_PROBE_MS = 5_000;
// Pause after a refused or failed Forward (receiver behind, unreachable).
const RETRY_PAUSE_MS = 50;
const MAX_RETRY_PAUSE_MS = 1_000;

type ForwardStreamRequestInit = MessageInitShape<typeof namespaceV1.ForwardStreamRequestSchema>;

export interface LinkTarget {
  successor: string;
  epoch: bigint;
}

export interface SuccessorLinkOptions {
  partition: number;
  memberId: string;
  peers: PeerDirectory;
  /** This replica's last applied sequence. */
  durable: () => bigint;
  /** Journal rows from `from` (JOURNAL_TRUNCATED when gone). */
  readJournal: (from: bigint, max: number) => Buffer[];
  /** Entries at or below this sequence are gone from our journal. */
  journalFloor: () => bigint;
  /** The successor reported the sequence durable at the tail. */
  onCommitted: (sequence: bigint) => void;
  /** One Forward round trip, in seconds, with the number of entries it carried. */
  onHop: (seconds: number, entries: number) => void;
  logger: Logger;
}

/**
 * The forwarding half of a replica: sends its journal to its successor, in
 * order, one group of entries per Forward and one Forward at a time (entries
 * committed meanwhile go in the next group). After every (re)configuration it
 * first probes (an empty Forward) to learn the successor's durable sequence
 * (and whether it takes journal rows as they are stored, or needs entries),
 * and resends from there, so nothing depends on what was sent before.
 *
 * A successor that stands below our journal floor cannot be caught up from
 * the journal: the link then forwards the oldest entry it still has, a gap
 * sent right after the successor told us where it stands, which the
 * successor reads as "copy my state" (ChainReplica re-seeds by a state
 * transfer from us) instead of retrying the same refused Forward for ever.
 */
export class SuccessorLink {
  private target: LinkTarget | undefined;
  private readonly wakeup = new Wakeup();
  private readonly stopped = new AbortController();
  private loop: Promise<void> | undefined;
  /** What the successor has durably, as last reported (undefined: probe first). */
  private successorDurable: bigint | undefined;
  /** The successor's last answer said it takes journal rows (else it gets entries). */
  private successorReadsRows = false;
  private generation = 0;
  /** Forwards go as messages on one ForwardStream per successor (unary to a peer without it). */
  private readonly forward = new PeerCalls(
    (client) =>
      new StreamedCalls(
        (requests: AsyncIterable<ForwardStreamRequestInit>, options) => client.forwardStream(requests, options),
        {
          timeoutMs: REPLICA_CALL_TIMEOUT_MS,
          unary: async (request, options) => ({
            $typeName: 'platter.namespace.v1.ForwardStreamResponse' as const,
            forward: await client.forward(request.forward ?? {}, options),
          }),
        },
      ),
  );

  constructor(private readonly opts: SuccessorLinkOptions) {}

  /** The successor's durable sequence as last reported (for the lag gauge). */
  get acknowledgedBySuccessor(): bigint | undefined {
    return this.successorDurable;
  }

  retarget(target: LinkTarget | undefined): void {
    const same =
      target !== undefined &&
      this.target !== undefined &&
      target.successor === this.target.successor &&
      target.epoch === this.target.epoch;
    if (same) return;
    this.target = target;
    this.successorDurable = undefined;
    this.successorReadsRows = false;
    this.generation++;
    if (target !== undefined) this.loop ??= this.run();
    this.wakeup.notify();
  }

  /** New entries are in the journal. */
  kick(): void {
    this.wakeup.notify();
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    this.wakeup.notify();
    await this.loop;
    this.forward.close();
  }

  private async run(): Promise<void> {
    const signal = this.stopped.signal;
    let failures = 0;
    while (!signal.aborted) {
      const target = this.target;
      const generation = this.generation;
      if (target === undefined) {
        await this.wakeup.wait(IDLE_PROBE_MS, signal);
        continue;
      }
      try {
        let rows: Buffer[] = [];
        if (this.successorDurable !== undefined) {
          const local = this.opts.durable();
          if (this.successorDurable >= local) {
            const notified = await this.wakeup.wait(IDLE_PROBE_MS, signal);
            // A quiet timeout re-probes: cheap, and it refreshes the committed mark. A notify
            // for entries the last Forward already carried does not (under load that sent an
            // empty Forward after most batches).
            if (!notified && this.opts.durable() <= (this.successorDurable ?? 0n)) this.successorDurable = undefined;
            continue;
          }
          rows = this.rowsFrom(this.successorDurable + 1n, target);
          if (rows.length === 0) {
            // Nothing we may send yet (see rowsFrom): wait for new entries, then probe again.
            this.successorDurable = undefined;
            await this.wakeup.wait(IDLE_PROBE_MS, signal);
            continue;
          }
        }
        const client = this.opts.peers.replicaClient(target.successor);
        if (client === undefined)
          throw new NamespaceError('NOT_SERVING', `successor ${target.successor} not registered`);
        const started = performance.now();
        const { forward: res } = await this.forward.to(client).call(
          {
            forward: {
              partitionId: this.opts.partition,
              chainEpoch: target.epoch,
              senderReplicaId: this.opts.memberId,
              ...(this.successorReadsRows ? { journalRows: rows } : { entries: rows.map(decodeJournalRow) }),
            },
          },
          { signal },
        );
        if (res === undefined) throw new RpcError(Code.INTERNAL, 'ForwardStream answered without a ForwardResponse');
        if (rows.length > 0) this.opts.onHop((performance.now() - started) / 1000, rows.length);
        if (generation !== this.generation) continue;
        this.successorDurable = res.durableSequence;
        this.successorReadsRows = res.readsJournalRows;
        this.opts.onCommitted(res.committedSequence);
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        if (generation !== this.generation) continue;
        this.successorDurable = undefined;
        failures++;
        this.logFailure(error, target, failures);
        const reason = errorReason(error);
        // STALE_EPOCH: our configuration is old; wait for the watch to retarget us.
        const pause =
          reason === commonV1.ErrorReason.STALE_EPOCH
            ? MAX_RETRY_PAUSE_MS
            : Math.min(MAX_RETRY_PAUSE_MS, RETRY_PAUSE_MS * 2 ** Math.min(failures, 5));
        await this.wakeup.wait(pause, signal);
      }
    }
  }

  /**
   * The next group for a successor at `from - 1`. Below our floor, the
   * oldest entry we hold instead: a deliberate gap (empty when our journal
   * holds nothing past the floor yet, as right after our own restore; the
   * next commit gives us one).
   */
  private rowsFrom(from: bigint, target: LinkTarget): Buffer[] {
    try {
      return this.opts.readJournal(from, FORWARD_BATCH_MAX_ENTRIES);
    } catch (error) {
      if (!(error instanceof NamespaceError) || error.code !== 'JOURNAL_TRUNCATED') throw error;
      const floor = this.opts.journalFloor();
      this.opts.logger.warn(
        { successor: target.successor, epoch: target.epoch, successorDurable: from - 1n, journalFloor: floor },
        'successor is behind our journal floor: asking it to re-seed from us',
      );
      return floor < this.opts.durable() ? this.opts.readJournal(floor + 1n, 1) : [];
    }
  }

  private logFailure(error: unknown, target: LinkTarget, failures: number): void {
    // The first failure after a reconfiguration is expected (receiver behind): stay quiet until it repeats.
    if (failures < 3) return;
    const detail = readErrorDetail(error);
    const code = error instanceof RpcError ? codeName(error.code) : undefined;
    this.opts.logger.warn(
      { successor: target.successor, epoch: target.epoch, code, reason: detail?.reason, err: error, failures },
      'forward failed; retrying',
    );
  }
}
