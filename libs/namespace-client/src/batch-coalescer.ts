import type { MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { namespaceV1 } from '@platter/proto';
import { Code, RpcError, toRpcError, type CallOptions } from '@platter/rpc';
import { MAX_BATCH_OPS, rpcErrorOfBatchOpError } from './batch-op-error.js';

type Service = typeof namespaceV1.NamespaceService;
/** The single-key methods a Batch carries. */
export type BatchableMethod = 'putObject' | 'deleteObject' | 'getObject';
export type BatchOpRequest<M extends BatchableMethod> = MessageInitShape<Service['method'][M]['input']>;
export type BatchOpResponse<M extends BatchableMethod> = MessageShape<Service['method'][M]['output']>;
/** One Batch call to the replica (the RPC client's `batch`). */
export type SendBatch = (
  request: MessageInitShape<typeof namespaceV1.BatchRequestSchema>,
  options: CallOptions,
) => Promise<namespaceV1.BatchResponse>;

// Batches in flight to one replica. One keeps the replica's group commit fed
// while the next batch fills; a second lets a batch go out while the first
// waits on the chain, so a lone op never queues behind a full round trip.
// More would split the same ops into smaller batches for nothing.
export const MAX_BATCHES_IN_FLIGHT = 2;
// Inline object bytes in one Batch request: half the 8 MiB gRPC message
// limit, the rest covering keys, metadata and layouts of up to 256 ops.
export const MAX_BATCH_INLINE_BYTES = 4 * 1024 * 1024;
// An op whose deadline comes this much before its batch's gets its own timer;
// closer ones ride on the batch's (they were issued within this of each other).
const OWN_DEADLINE_SLACK_MS = 50;

export interface BatchCoalescerOptions {
  maxOps?: number;
  maxInFlight?: number;
  maxInlineBytes?: number;
}

interface Pending {
  method: BatchableMethod;
  request: BatchOpRequest<BatchableMethod>;
  deadline: number;
  inlineBytes: number;
  settled: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Undoes the abort listener and the own-deadline timer. */
  release(): void;
}

/**
 * Group commit for calls to one replica: single-key ops issued in the same
 * event-loop turn, or while MAX_BATCHES_IN_FLIGHT batches to the replica are
 * already in flight, go out together as one Batch. No timer ever holds an op
 * back: a lone op leaves at the end of the turn it was issued in (setImmediate),
 * so only what is already queued is coalesced.
 *
 * Each op settles exactly as its unary call would: its response, or the
 * RpcError (code, message, ErrorDetail) the unary call would have rejected
 * with; a failure of the whole Batch (unreachable, deadline) rejects every op
 * of it with that error. Its deadline and abort signal are its own.
 */
export class BatchCoalescer {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxOps: number;
  private readonly maxInFlight: number;
  private readonly maxInlineBytes: number;

  constructor(
    private readonly send: SendBatch,
    options: BatchCoalescerOptions = {},
  ) {
    this.maxOps = Math.min(options.maxOps ?? MAX_BATCH_OPS, MAX_BATCH_OPS);
    this.maxInFlight = options.maxInFlight ?? MAX_BATCHES_IN_FLIGHT;
    this.maxInlineBytes = options.maxInlineBytes ?? MAX_BATCH_INLINE_BYTES;
  }

  /** Sends `request` (its route filled in) in the next Batch; settles as the unary call would. */
  submit<M extends BatchableMethod>(
    method: M,
    request: BatchOpRequest<M>,
    options: { deadline: number; signal?: AbortSignal },
  ): Promise<BatchOpResponse<M>> {
    const { signal, deadline } = options;
    if (signal?.aborted) return Promise.reject(new RpcError(Code.CANCELLED, 'call cancelled'));
    return new Promise<BatchOpResponse<M>>((resolve, reject) => {
      const pending: Pending = {
        method,
        request: request as BatchOpRequest<BatchableMethod>,
        deadline,
        inlineBytes: inlineBytesOf(method, request),
        settled: false,
        resolve: (value) => {
          if (settle()) resolve(value as BatchOpResponse<M>);
        },
        reject: (error) => {
          if (settle()) reject(error);
        },
        release: () => signal?.removeEventListener('abort', onAbort),
      };
      const settle = (): boolean => {
        if (pending.settled) return false;
        pending.settled = true;
        pending.release();
        return true;
      };
      const onAbort = (): void => pending.reject(new RpcError(Code.CANCELLED, 'call cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(pending);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    // The end of this turn, not a timer: every op issued in it is queued by then.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length > 0) void this.sendBatch(batch);
    }
  }

  /** The next batch: queued ops still waiting, up to the op and byte caps (an oversized op goes alone). */
  private take(): Pending[] {
    const batch: Pending[] = [];
    let bytes = 0;
    let i = 0;
    for (; i < this.queue.length && batch.length < this.maxOps; i++) {
      const p = this.queue[i] as Pending;
      if (p.settled) continue;
      if (batch.length > 0 && bytes + p.inlineBytes > this.maxInlineBytes) break;
      bytes += p.inlineBytes;
      batch.push(p);
    }
    this.queue = this.queue.slice(i);
    return batch;
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    this.inFlight++;
    const deadline = Math.max(...batch.map((p) => p.deadline));
    const timers: NodeJS.Timeout[] = [];
    for (const p of batch) {
      if (p.deadline >= deadline - OWN_DEADLINE_SLACK_MS) continue;
      const timer = setTimeout(
        () => p.reject(new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded')),
        Math.max(0, p.deadline - Date.now()),
      );
      timer.unref();
      timers.push(timer);
    }
    try {
      const response = await this.send(
        { ops: batch.map((p) => ({ op: { case: p.method, value: p.request } }) as never) },
        { deadline },
      );
      if (response.results.length !== batch.length) {
        const error = new RpcError(
          Code.INTERNAL,
          `Batch answered ${response.results.length} results for ${batch.length} ops`,
        );
        for (const p of batch) p.reject(error);
        return;
      }
      batch.forEach((p, i) => settleOne(p, response.results[i] as namespaceV1.BatchResult));
    } catch (error) {
      const failure = toRpcError(error);
      for (const p of batch) p.reject(failure);
    } finally {
      for (const t of timers) clearTimeout(t);
      this.inFlight--;
      if (this.queue.length > 0) this.schedule();
    }
  }
}

function settleOne(p: Pending, result: namespaceV1.BatchResult): void {
  const r = result.result;
  if (r.case === 'error') p.reject(rpcErrorOfBatchOpError(r.value));
  else if (r.case === p.method) p.resolve(r.value);
  else p.reject(new RpcError(Code.INTERNAL, `Batch answered ${r.case ?? 'nothing'} for ${p.method}`));
}

function inlineBytesOf(method: BatchableMethod, request: BatchOpRequest<BatchableMethod>): number {
  if (method !== 'putObject') return 0;
  const data = (request as BatchOpRequest<'putObject'>).layout?.data;
  return data?.case === 'inlineData' ? (data.value?.byteLength ?? 0) : 0;
}
