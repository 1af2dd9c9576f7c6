import { Metadata, type Client, type MethodDefinition } from '@grpc/grpc-js';
import { Code } from './code.js';
import type { MethodMetrics } from './metrics.js';
import { RpcError, toRpcError } from './rpc-error.js';
import { writeAll } from './stream-writer.js';

/** Everything one client call needs, resolved before it starts. */
export interface CallPlan {
  readonly client: Client;
  readonly definition: MethodDefinition<unknown, unknown>;
  readonly metrics: MethodMetrics | undefined;
  /** Absolute deadline, epoch ms. */
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  readonly metadata: Metadata | undefined;
}

function cancelledBeforeStart(): RpcError {
  return new RpcError(Code.CANCELLED, 'call cancelled before it started');
}

/** grpc-js may add headers to the object it is given; each attempt gets its own. */
function headers(plan: CallPlan): Metadata {
  return plan.metadata === undefined ? new Metadata() : plan.metadata.clone();
}

/** Ties the caller's signal to `cancel()` until `release` is called. */
function linkSignal(signal: AbortSignal | undefined, cancel: () => void): () => void {
  if (signal === undefined) return () => {};
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}

/** One attempt of a unary call. */
export function unaryAttempt(plan: CallPlan, request: unknown): Promise<unknown> {
  const { client, definition, metrics, signal } = plan;
  if (signal?.aborted) return Promise.reject(cancelledBeforeStart());
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    let onAbort: (() => void) | undefined;
    const call = client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      headers(plan),
      { deadline: plan.deadline },
      (error, response) => {
        if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
        if (error) {
          const rpcError = toRpcError(error);
          metrics?.record(rpcError.code, startedAt);
          reject(rpcError);
        } else {
          metrics?.record(Code.OK, startedAt);
          resolve(response);
        }
      },
    );
    if (signal !== undefined) {
      onAbort = () => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}

/** A server-streaming call; it starts when iteration starts and is cancelled if the consumer stops early. */
export async function* serverStreamingCall(plan: CallPlan, request: unknown): AsyncGenerator<unknown, void, undefined> {
  if (plan.signal?.aborted) throw cancelledBeforeStart();
  const { client, definition, metrics } = plan;
  const startedAt = performance.now();
  const call = client.makeServerStreamRequest(
    definition.path,
    definition.requestSerialize,
    definition.responseDeserialize,
    request,
    headers(plan),
    { deadline: plan.deadline },
  );
  const release = linkSignal(plan.signal, () => call.cancel());
  let code: Code | undefined;
  try {
    // Async iteration reads only as fast as the consumer: grpc-js stops
    // reading and the HTTP/2 window closes when its buffer is full.
    for await (const message of call) {
      metrics?.messageReceived();
      yield message;
    }
    code = Code.OK;
  } catch (error) {
    const rpcError = toRpcError(error);
    code = rpcError.code;
    throw rpcError;
  } finally {
    release();
    if (code === undefined) {
      call.cancel();
      code = Code.CANCELLED;
    }
    metrics?.record(code, startedAt);
  }
}

/**
 * A client-streaming call: writes `requests` with backpressure, then resolves
 * with the response. If `requests` throws, the call is cancelled and the
 * promise rejects with that error as is (it is the caller's own).
 */
export function clientStreamingCall(plan: CallPlan, requests: AsyncIterable<unknown>): Promise<unknown> {
  if (plan.signal?.aborted) return Promise.reject(cancelledBeforeStart());
  const { client, definition, metrics } = plan;
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const writing = new AbortController();
    let release = (): void => {};
    let settled = false;
    const settle = (code: Code, error: unknown, response?: unknown): void => {
      if (settled) return;
      settled = true;
      writing.abort(new RpcError(Code.CANCELLED, 'call ended'));
      release();
      metrics?.record(code, startedAt);
      if (error === undefined) resolve(response);
      else reject(error);
    };
    const call = client.makeClientStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      headers(plan),
      { deadline: plan.deadline },
      (error, response) => {
        if (error) {
          const rpcError = toRpcError(error);
          settle(rpcError.code, rpcError);
        } else {
          settle(Code.OK, undefined, response);
        }
      },
    );
    release = linkSignal(plan.signal, () => call.cancel());
    writeAll(call, requests, writing.signal, () => metrics?.messageSent()).then(
      () => call.end(),
      (error: unknown) => {
        // Stopped because the call ended first: its status is the answer.
        if (writing.signal.aborted) return;
        settle(Code.CANCELLED, error);
        call.cancel();
      },
    );
  });
}

/**
 * A bidirectional call: `requests` are written in the background with
 * backpressure while responses are yielded. Stopping the iteration early
 * cancels the call; a failing `requests` cancels it and its error is rethrown.
 */
export async function* bidiStreamingCall(
  plan: CallPlan,
  requests: AsyncIterable<unknown>,
): AsyncGenerator<unknown, void, undefined> {
  if (plan.signal?.aborted) throw cancelledBeforeStart();
  const { client, definition, metrics } = plan;
  const startedAt = performance.now();
  const call = client.makeBidiStreamRequest(
    definition.path,
    definition.requestSerialize,
    definition.responseDeserialize,
    headers(plan),
    { deadline: plan.deadline },
  );
  const release = linkSignal(plan.signal, () => call.cancel());
  const writing = new AbortController();
  let sourceFailure: { error: unknown } | undefined;
  writeAll(call, requests, writing.signal, () => metrics?.messageSent()).then(
    () => call.end(),
    (error: unknown) => {
      if (writing.signal.aborted) return;
      sourceFailure = { error };
      call.cancel();
    },
  );
  let code: Code | undefined;
  try {
    for await (const message of call) {
      metrics?.messageReceived();
      yield message;
    }
    code = Code.OK;
  } catch (error) {
    if (sourceFailure !== undefined) {
      code = Code.CANCELLED;
      throw sourceFailure.error;
    }
    const rpcError = toRpcError(error);
    code = rpcError.code;
    throw rpcError;
  } finally {
    writing.abort(new RpcError(Code.CANCELLED, 'call ended'));
    release();
    if (code === undefined) {
      call.cancel();
      code = Code.CANCELLED;
    }
    metrics?.record(code, startedAt);
  }
}
