import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { StreamedCalls } from '@platter/rpc';
import type { Logger } from '@platter/telemetry';
import { NamespaceError } from '../errors.js';
import { PeerCalls, REPLICA_CALL_TIMEOUT_MS, type PeerDirectory } from './peer-directory.js';
import { Wakeup } from './wakeup.js';

// Re-send the committed mark this often even when nothing changed, so that a
// predecessor that missed an ack (restart, lost call) catches up. Its next
// Forward learns the mark from the response anyway; this is for a quiet chain.
const ACK_REFRESH_MS = 5_000;
const ACK_RETRY_PAUSE_MS = 100;

type AckStreamRequestInit = MessageInitShape<typeof namespaceV1.AckStreamRequestSchema>;

export interface AckTarget {
  predecessor: string;
  epoch: bigint;
}

export interface AckLinkOptions {
  partition: number;
  memberId: string;
  peers: PeerDirectory;
  committed: () => bigint;
  logger: Logger;
}

/**
 * The acknowledging half of a replica: passes the committed sequence (durable
 * at the tail) up to its predecessor, coalesced — one Ack in flight, carrying
 * the newest mark. Acks are cumulative, so a lost one is repaired by the next.
 */
export class AckLink {
  private target: AckTarget | undefined;
  private lastSent = 0n;
  private readonly wakeup = new Wakeup();
  private readonly stopped = new AbortController();
  private loop: Promise<void> | undefined;
  /** Acks go as messages on one AckStream per predecessor (unary to a peer without it). */
  private readonly acks = new PeerCalls(
    (client) =>
      new StreamedCalls(
        (requests: AsyncIterable<AckStreamRequestInit>, options) => client.ackStream(requests, options),
        {
          timeoutMs: REPLICA_CALL_TIMEOUT_MS,
          unary: async (request, options) => {
            await client.ack(request.ack ?? {}, options);
            return create(namespaceV1.AckStreamResponseSchema);
          },
        },
      ),
  );

  constructor(private readonly opts: AckLinkOptions) {}

  retarget(target: AckTarget | undefined): void {
    if (target?.predecessor === this.target?.predecessor && target?.epoch === this.target?.epoch) return;
    this.target = target;
    this.lastSent = 0n;
    if (target !== undefined) this.loop ??= this.run();
    this.wakeup.notify();
  }

  kick(): void {
    this.wakeup.notify();
  }

  /**
   * The predecessor is being told `mark` another way (the committed sequence
   * of a ForwardResponse in this epoch): no Ack needed for it. A tail answers
   * every Forward with its new mark, so without this each batch cost a second,
   * redundant call up the chain. If that response is lost, the predecessor's
   * next Forward (a retry or an idle probe) or the periodic refresh here
   * carries the mark instead.
   */
  reportedInResponse(epoch: bigint, mark: bigint): void {
    if (this.target?.epoch === epoch && mark > this.lastSent) this.lastSent = mark;
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    this.wakeup.notify();
    await this.loop;
    this.acks.close();
  }

  private async run(): Promise<void> {
    const signal = this.stopped.signal;
    let failures = 0;
    while (!signal.aborted) {
      const target = this.target;
      const committed = this.opts.committed();
      if (target === undefined || committed <= this.lastSent) {
        const before = this.lastSent;
        const notified = await this.wakeup.wait(ACK_REFRESH_MS, signal);
        // Only a quiet interval re-sends the mark; a notify for a mark already
        // reported (in a ForwardResponse) must not.
        if (!notified && this.lastSent === before && this.opts.committed() <= before) this.lastSent = 0n;
        continue;
      }
      try {
        const client = this.opts.peers.replicaClient(target.predecessor);
        if (client === undefined)
          throw new NamespaceError('NOT_SERVING', `predecessor ${target.predecessor} not registered`);
        await this.acks.to(client).call(
          {
            ack: {
              partitionId: this.opts.partition,
              chainEpoch: target.epoch,
              senderReplicaId: this.opts.memberId,
              committedSequence: committed,
            },
          },
          { signal },
        );
        if (this.target === target && committed > this.lastSent) this.lastSent = committed;
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        if (++failures >= 5 && failures % 5 === 0) {
          this.opts.logger.warn({ predecessor: target.predecessor, err: error, failures }, 'ack failed; retrying');
        }
        await this.wakeup.wait(ACK_RETRY_PAUSE_MS * Math.min(failures, 10), signal);
      }
    }
  }
}
