import { setMaxListeners } from 'node:events';
import { create, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { MAX_BATCH_OPS, MAX_BATCH_RESPONSE_BYTES, batchOpErrorOf } from '@platter/namespace-client';
import { commonV1, namespaceV1 } from '@platter/proto';
import { Code, RpcError, messageCodec, type HandlerContext } from '@platter/rpc';
import type { Logger } from '@platter/telemetry';

type Service = typeof namespaceV1.NamespaceService;
type Unary<M extends 'putObject' | 'deleteObject' | 'getObject'> = (
  request: MessageShape<Service['method'][M]['input']>,
  ctx: HandlerContext,
) => Promise<MessageInitShape<Service['method'][M]['output']>>;

/** The unary handlers a Batch runs its ops through. */
export interface BatchableHandlers {
  putObject: Unary<'putObject'>;
  deleteObject: Unary<'deleteObject'>;
  getObject: Unary<'getObject'>;
}

type BatchResultInit = MessageInitShape<typeof namespaceV1.BatchResultSchema>;

/**
 * The Batch RPC (namespace.proto): every op through its own unary handler —
 * the same route checks, epoch fencing and replica.write or reader — all at
 * once, so that the writes of one batch group-commit together; each op's
 * failure becomes its own result and never fails the others.
 */
export function createBatchHandler(
  handlers: BatchableHandlers,
  logger: Logger | undefined,
  maxResponseBytes = MAX_BATCH_RESPONSE_BYTES,
): (request: namespaceV1.BatchRequest, ctx: HandlerContext) => Promise<{ results: BatchResultInit[] }> {
  const failed = (error: unknown, ctx: HandlerContext): BatchResultInit => {
    let cause = error;
    if (!(cause instanceof RpcError)) {
      // As the unary server does: a call that ended under the handler answers with why it ended.
      if (ctx.signal.aborted && ctx.signal.reason instanceof RpcError) cause = ctx.signal.reason;
      else logger?.error({ err: error, peer: ctx.peer }, 'batch op failed');
    }
    return { result: { case: 'error', value: batchOpErrorOf(cause) } };
  };

  const runOp = (op: namespaceV1.BatchOp, ctx: HandlerContext): Promise<BatchResultInit> => {
    const o = op.op;
    switch (o.case) {
      case 'putObject':
        return handlers.putObject(o.value, ctx).then(
          (value): BatchResultInit => ({ result: { case: 'putObject', value } }),
          (error: unknown) => failed(error, ctx),
        );
      case 'deleteObject':
        return handlers.deleteObject(o.value, ctx).then(
          (value): BatchResultInit => ({ result: { case: 'deleteObject', value } }),
          (error: unknown) => failed(error, ctx),
        );
      case 'getObject':
        return handlers.getObject(o.value, ctx).then(
          (value): BatchResultInit => ({ result: { case: 'getObject', value } }),
          (error: unknown) => failed(error, ctx),
        );
      default:
        return Promise.resolve(failed(new RpcError(Code.INVALID_ARGUMENT, 'batch op names no operation'), ctx));
    }
  };

  return async (request, ctx) => {
    const n = request.ops.length;
    if (n === 0) throw new RpcError(Code.INVALID_ARGUMENT, 'empty batch');
    if (n > MAX_BATCH_OPS) throw new RpcError(Code.INVALID_ARGUMENT, `batch of ${n} ops (at most ${MAX_BATCH_OPS})`);
    // Every op of the batch listens on this one signal while it waits for its commit.
    raiseListenerLimit(ctx.signal, n);
    return { results: withinBudget(await Promise.all(request.ops.map((op) => runOp(op, ctx))), maxResponseBytes) };
  };
}

/**
 * Keeps the response under the budget (MAX_BATCH_RESPONSE_BYTES): full GetObject answers
 * (inline bytes, layouts of many parts) past the budget become
 * BATCH_RESPONSE_TOO_LARGE errors, which the caller sends again alone. Reads
 * change nothing, so dropping an answer is safe; the first op's always stays.
 */
function withinBudget(results: BatchResultInit[], maxBytes: number): BatchResultInit[] {
  const getCodec = messageCodec(namespaceV1.GetObjectResponseSchema);
  let bytes = 0;
  return results.map((r, i) => {
    const result = r.result;
    if (result?.case !== 'getObject') return r;
    const size = getCodec.encodedSize(result.value);
    bytes += size;
    if (i === 0 || bytes <= maxBytes) return r;
    bytes -= size;
    return {
      result: {
        case: 'error',
        value: {
          code: Code.RESOURCE_EXHAUSTED,
          message: `a ${size}-byte answer does not fit in this Batch's response`,
          detail: { reason: commonV1.ErrorReason.BATCH_RESPONSE_TOO_LARGE },
        },
      },
    };
  });
}

type BatchStreamResponseInit = MessageInitShape<typeof namespaceV1.BatchStreamResponseSchema>;
type RunBatch = (request: namespaceV1.BatchRequest, ctx: HandlerContext) => Promise<{ results: BatchResultInit[] }>;

/**
 * Batches of one BatchStream handled at once; the stream is read no further
 * until one of them ends. A router keeps two or three in flight per replica.
 */
export const MAX_STREAM_BATCHES_IN_FLIGHT = 16;

/**
 * The BatchStream RPC (namespace.proto): each request is one Batch, run by
 * `runBatch` under a context of its own (its deadline, and the stream's
 * cancellation), answered by id as soon as it completes.
 */
export function createBatchStreamHandler(
  runBatch: RunBatch,
): (
  requests: AsyncIterable<namespaceV1.BatchStreamRequest>,
  ctx: HandlerContext,
) => AsyncIterable<BatchStreamResponseInit> {
  return async function* batchStream(requests, ctx) {
    // Each batch in flight listens on the stream's cancellation.
    raiseListenerLimit(ctx.signal, MAX_STREAM_BATCHES_IN_FLIGHT);
    const answers: BatchStreamResponseInit[] = [];
    let inFlight = 0;
    let ended = false;
    let readFailure: unknown;
    // Both loops below wait on this: the reader for a free slot, the writer for an answer.
    let waiting: Array<() => void> = [];
    const nextChange = (): Promise<void> => new Promise((resolve) => waiting.push(resolve));
    const notify = (): void => {
      const wake = waiting;
      waiting = [];
      for (const w of wake) w();
    };
    const reading = (async () => {
      try {
        for await (const request of requests) {
          while (inFlight >= MAX_STREAM_BATCHES_IN_FLIGHT) await nextChange();
          inFlight++;
          void runOne(runBatch, request, ctx).then((answer) => {
            inFlight--;
            answers.push(answer);
            notify();
          });
        }
      } catch (error) {
        readFailure = error;
      } finally {
        ended = true;
        notify();
      }
    })();
    for (;;) {
      const answer = answers.shift();
      if (answer !== undefined) {
        yield answer;
        continue;
      }
      if (ended && inFlight === 0) break;
      await nextChange();
    }
    await reading;
    if (readFailure !== undefined) throw readFailure;
  };
}

async function runOne(
  runBatch: RunBatch,
  request: namespaceV1.BatchStreamRequest,
  stream: HandlerContext,
): Promise<BatchStreamResponseInit> {
  const deadline = request.deadlineUnixMs > 0n ? Number(request.deadlineUnixMs) : stream.deadline;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(stream.signal.reason);
  if (stream.signal.aborted) onAbort();
  else stream.signal.addEventListener('abort', onAbort, { once: true });
  const timer =
    deadline === undefined
      ? undefined
      : setTimeout(
          () => controller.abort(new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded')),
          Math.max(0, deadline - Date.now()),
        );
  const ctx: HandlerContext = {
    signal: controller.signal,
    deadline,
    metadata: stream.metadata,
    peer: stream.peer,
    callOptions: () => ({ deadline, signal: controller.signal }),
  };
  try {
    const batch = await runBatch(request.batch ?? create(namespaceV1.BatchRequestSchema), ctx);
    return { id: request.id, result: { case: 'batch', value: batch } };
  } catch (error) {
    return { id: request.id, result: { case: 'error', value: batchOpErrorOf(error) } };
  } finally {
    clearTimeout(timer);
    stream.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Node warns of a leak past 10 listeners on one target; a signal that `fanOut`
 * concurrent operations share legitimately holds one each (plus a few of its
 * own), for as long as it lives and no longer.
 */
function raiseListenerLimit(signal: AbortSignal, fanOut: number): void {
  setMaxListeners(fanOut + 10, signal);
}
