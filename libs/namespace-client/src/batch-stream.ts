import type { MessageInitShape } from '@bufbuild/protobuf';
import type { namespaceV1 } from '@platter/proto';
import { Code, Outbox, RpcError, toRpcError, type CallOptions } from '@platter/rpc';
import { rpcErrorOfBatchOpError } from './batch-op-error.js';
import type { SendBatch } from './batch-coalescer.js';

type BatchStreamRequestInit = MessageInitShape<typeof namespaceV1.BatchStreamRequestSchema>;

/** The two ways to send a Batch to one replica (the RPC client's methods). */
export interface BatchTransport {
  batch: SendBatch;
  batchStream(
    requests: AsyncIterable<BatchStreamRequestInit>,
    options: CallOptions,
  ): AsyncIterable<namespaceV1.BatchStreamResponse>;
}

// A stream's own deadline (libs/rpc wants one on every call): this long, or a
// minute past the deadline of the batch that opened it. A batch whose
// deadline comes within a second of it goes on a fresh stream; the old one
// ends once its last answer is in.
const STREAM_LIFETIME_MS = 10 * 60_000;
const STREAM_MARGIN_MS = 60_000;
const ROTATE_SLACK_MS = 1_000;

interface Waiting {
  resolve(response: namespaceV1.BatchResponse): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

/** One BatchStream call: batches in, answers matched by id. */
class Session {
  readonly waiting = new Map<bigint, Waiting>();
  private readonly outbox = new Outbox<BatchStreamRequestInit>(
    () => this.broken || (this.closing && this.waiting.size === 0),
  );
  /** No new batches (rotated out, or broken); the request side ends once nothing waits. */
  closing = false;
  broken = false;
  private nextId = 1n;

  constructor(
    transport: BatchTransport,
    /** The stream's own deadline, epoch milliseconds. */
    readonly deadline: number,
    private readonly onBroken: (session: Session, error: RpcError) => void,
  ) {
    void this.read(transport.batchStream(this.outbox.messages(), { deadline: this.deadline }));
  }

  send(
    request: MessageInitShape<typeof namespaceV1.BatchRequestSchema>,
    deadline: number | undefined,
  ): Promise<namespaceV1.BatchResponse> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.settle(id)?.reject(new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded')),
        Math.max(0, (deadline ?? this.deadline) - Date.now()),
      );
      timer.unref();
      this.waiting.set(id, { resolve, reject, timer });
      this.outbox.push({ id, batch: request, deadlineUnixMs: BigInt(deadline ?? 0) });
    });
  }

  close(): void {
    this.closing = true;
    this.outbox.wake();
  }

  private settle(id: bigint): Waiting | undefined {
    const w = this.waiting.get(id);
    if (w === undefined) return undefined;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    if (this.closing) this.outbox.wake();
    return w;
  }

  private async read(answers: AsyncIterable<namespaceV1.BatchStreamResponse>): Promise<void> {
    let failure: RpcError;
    try {
      for await (const answer of answers) {
        const w = this.settle(answer.id);
        if (w === undefined) continue; // timed out here already
        const r = answer.result;
        if (r.case === 'batch') w.resolve(r.value);
        else if (r.case === 'error') w.reject(rpcErrorOfBatchOpError(r.value));
        else w.reject(new RpcError(Code.INTERNAL, 'BatchStream answered neither a batch nor an error'));
      }
      failure = new RpcError(Code.UNAVAILABLE, 'batch stream ended');
    } catch (error) {
      failure = toRpcError(error);
    }
    this.broken = true;
    this.closing = true;
    this.outbox.wake();
    this.onBroken(this, failure);
  }
}

/**
 * Sends the Batches of one replica over a long-lived BatchStream instead of
 * a call each (namespace.proto says why). A batch settles as its Batch call
 * would: the answer, the status the call would have failed with, or, when
 * the stream breaks under it, that transport error. A replica without
 * BatchStream (UNIMPLEMENTED, an older version) gets Batch calls from then on.
 */
export class BatchStreamSender {
  private session: Session | undefined;
  private unary = false;

  constructor(private readonly transport: BatchTransport) {}

  readonly send: SendBatch = (request, options) => {
    if (this.unary) return this.transport.batch(request, options);
    const deadline = options.deadline;
    let session = this.session;
    if (session !== undefined && (session.closing || (deadline ?? Date.now()) > session.deadline - ROTATE_SLACK_MS)) {
      session.close();
      session = undefined;
    }
    if (session === undefined) {
      const lifetime = Math.max(Date.now() + STREAM_LIFETIME_MS, (deadline ?? 0) + STREAM_MARGIN_MS);
      session = this.session = new Session(this.transport, lifetime, (s, error) => this.broken(s, error));
    }
    return session.send(request, deadline).catch((error: unknown) => {
      if (error instanceof RpcError && error.code === Code.UNIMPLEMENTED) {
        this.unary = true;
        return this.transport.batch(request, options);
      }
      throw error;
    });
  };

  /** Ends the current stream (its batches still get their answers). */
  close(): void {
    this.session?.close();
    this.session = undefined;
  }

  private broken(session: Session, error: RpcError): void {
    if (this.session === session) this.session = undefined;
    for (const id of [...session.waiting.keys()]) {
      const w = session.waiting.get(id)!;
      session.waiting.delete(id);
      clearTimeout(w.timer);
      w.reject(error);
    }
  }
}
