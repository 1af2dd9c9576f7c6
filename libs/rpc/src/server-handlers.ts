import type { Readable, Writable } from 'node:stream';
import type { DescMethod } from '@bufbuild/protobuf';
import type {
  Metadata,
  sendUnaryData,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  UntypedHandleCall,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { Code } from './code.js';
import { methodPath } from './grpc-definition.js';
import type { MethodMetrics } from './metrics.js';
import { RpcError } from './rpc-error.js';
import { ServerCallContext } from './server-call-context.js';
import { writeAll } from './stream-writer.js';
import { streamWasReset } from './transport-state.js';
import type { HandlerContext } from './types.js';

/** Message sent for any error that is not an RpcError; the real one goes to the log. */
export const INTERNAL_ERROR_MESSAGE = 'internal error';

interface WireStatus {
  code: Code;
  details: string;
  metadata?: Metadata;
}

export interface HandlerDeps {
  readonly logger: Logger;
  readonly metrics: MethodMetrics;
}

type AnyUnary = (request: unknown, context: HandlerContext) => Promise<unknown>;
type AnyServerStreaming = (request: unknown, context: HandlerContext) => AsyncIterable<unknown>;
type AnyClientStreaming = (requests: AsyncIterable<unknown>, context: HandlerContext) => Promise<unknown>;
type AnyBidi = (requests: AsyncIterable<unknown>, context: HandlerContext) => AsyncIterable<unknown>;

/**
 * Wraps a typed handler as the grpc-js handler for its method kind: promise
 * and async-iterable in, callbacks and streams out, with status mapping,
 * write backpressure, cancellation and metrics.
 */
export function grpcHandler(
  method: DescMethod,
  impl: (...args: never[]) => unknown,
  deps: HandlerDeps,
): UntypedHandleCall {
  const fail = failureStatus(method, deps.logger);
  switch (method.methodKind) {
    case 'unary':
      return unaryHandler(impl as AnyUnary, deps, fail);
    case 'server_streaming':
      return serverStreamingHandler(impl as AnyServerStreaming, deps, fail);
    case 'client_streaming':
      return clientStreamingHandler(impl as AnyClientStreaming, deps, fail);
    case 'bidi_streaming':
      return bidiHandler(impl as AnyBidi, deps, fail);
  }
}

type FailureStatus = (error: unknown, context: ServerCallContext) => WireStatus;

function failureStatus(method: DescMethod, logger: Logger): FailureStatus {
  const path = methodPath(method);
  return (error, context) => {
    if (error instanceof RpcError) {
      // OK is not a failure code; a handler that throws it has a bug the caller should see.
      const code = error.code === Code.OK ? Code.UNKNOWN : error.code;
      return { code, details: error.message, metadata: error.metadata };
    }
    const cancelled = context.cancelCode;
    if (cancelled !== undefined) return { code: cancelled, details: 'call ended before the handler finished' };
    logger.error({ err: error, method: path, peer: context.peer }, 'rpc handler failed');
    return { code: Code.INTERNAL, details: INTERNAL_ERROR_MESSAGE };
  };
}

/** A handler's promise; a handler that throws instead of rejecting is treated the same. */
function invoke<A, B>(impl: (a: A, b: B) => Promise<unknown>, a: A, b: B): Promise<unknown> {
  try {
    return impl(a, b);
  } catch (error) {
    return Promise.reject(error);
  }
}

function unaryHandler(impl: AnyUnary, { metrics }: HandlerDeps, fail: FailureStatus) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    const startedAt = performance.now();
    const context = new ServerCallContext(call);
    invoke(impl, call.request, context).then(
      (response) => {
        metrics.record(context.cancelCode ?? Code.OK, startedAt);
        callback(null, response);
      },
      (error: unknown) => {
        const status = fail(error, context);
        metrics.record(context.cancelCode ?? status.code, startedAt);
        callback(status);
      },
    );
  };
}

function clientStreamingHandler(impl: AnyClientStreaming, { metrics }: HandlerDeps, fail: FailureStatus) {
  return (call: ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    const startedAt = performance.now();
    const context = new ServerCallContext(call);
    invoke(impl, readAll(call, context, metrics), context).then(
      (response) => {
        metrics.record(context.cancelCode ?? Code.OK, startedAt);
        callback(null, response);
      },
      (error: unknown) => {
        const status = fail(error, context);
        metrics.record(context.cancelCode ?? status.code, startedAt);
        callback(status);
      },
    );
  };
}

function serverStreamingHandler(impl: AnyServerStreaming, deps: HandlerDeps, fail: FailureStatus) {
  return (call: ServerWritableStream<unknown, unknown>): void => {
    const startedAt = performance.now();
    const context = new ServerCallContext(call);
    void respondWithStream(call, context, () => impl(call.request, context), deps, fail, startedAt);
  };
}

function bidiHandler(impl: AnyBidi, deps: HandlerDeps, fail: FailureStatus) {
  return (call: ServerDuplexStream<unknown, unknown>): void => {
    const startedAt = performance.now();
    const context = new ServerCallContext(call);
    void respondWithStream(
      call,
      context,
      () => impl(readAll(call, context, deps.metrics), context),
      deps,
      fail,
      startedAt,
    );
  };
}

/** Drives a response stream to its end; never rejects. */
async function respondWithStream(
  call: Writable,
  context: ServerCallContext,
  responses: () => AsyncIterable<unknown>,
  { metrics }: HandlerDeps,
  fail: FailureStatus,
  startedAt: number,
): Promise<void> {
  let code: Code;
  try {
    await writeAll(call, responses(), context.signal, () => metrics.messageSent());
    code = context.cancelCode ?? Code.OK;
    call.end();
  } catch (error) {
    const status = fail(error, context);
    code = context.cancelCode ?? status.code;
    // grpc-js documents emitting 'error' as the way to end a response stream with a status.
    if (context.cancelCode === undefined) call.emit('error', status);
  }
  metrics.record(code, startedAt);
}

/**
 * The request stream as an async iterable. Async iteration over the grpc-js
 * Readable reads only as fast as the handler consumes, so a slow handler
 * stops the HTTP/2 window and the client's writes wait.
 *
 * A cancelled call must never look like a complete request stream (a
 * truncated upload taken for a whole one): see transport-state.ts.
 */
async function* readAll(
  stream: Readable,
  context: ServerCallContext,
  metrics: MethodMetrics,
): AsyncGenerator<unknown, void, undefined> {
  try {
    // Not the default iterator: at its end it destroys the stream, and for a
    // bidi call that is the duplex the responses still have to go through.
    for await (const message of stream.iterator({ destroyOnReturn: false })) {
      metrics.messageReceived();
      yield message;
    }
  } catch {
    // grpc-js fails the request stream only by destroying it: the call is over.
    context.markCancelled();
    throw context.cancelReason;
  }
  if (context.cancelCode === undefined) {
    const reset = streamWasReset(stream);
    if (reset === true) context.markCancelled();
    else if (reset === undefined) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (context.cancelCode !== undefined) throw context.cancelReason;
}
