import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { Metadata } from '@grpc/grpc-js';

/** Per-call options of a client call. Every call ends up with a deadline. */
export interface CallOptions {
  /** Time budget from now, in milliseconds. */
  timeoutMs?: number;
  /** Absolute deadline, epoch milliseconds. With `timeoutMs` too, the earlier wins. */
  deadline?: number;
  /** Aborting cancels the call; the promise or iterator rejects with CANCELLED. */
  signal?: AbortSignal;
  /** Request headers. */
  metadata?: Metadata;
}

/** What a handler knows about the call it serves. */
export interface HandlerContext {
  /** Aborted when the client cancels, the deadline passes or the server is forced down. Its reason is an RpcError. */
  readonly signal: AbortSignal;
  /** The caller's deadline, epoch milliseconds; undefined if the caller set none. */
  readonly deadline: number | undefined;
  /** Request headers. */
  readonly metadata: Metadata;
  /** `ip:port` of the caller. */
  readonly peer: string;
  /**
   * Options for a downstream call made on behalf of this one: the same
   * deadline and a signal that aborts with this call.
   */
  callOptions(): CallOptions;
}

type In<M extends DescMethod> = M extends { input: infer I extends DescMessage } ? I : DescMessage;
type Out<M extends DescMethod> = M extends { output: infer O extends DescMessage } ? O : DescMessage;

export type UnaryImpl<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: HandlerContext,
) => Promise<MessageInitShape<O>>;

export type ServerStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: HandlerContext,
) => AsyncIterable<MessageInitShape<O>>;

export type ClientStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  context: HandlerContext,
) => Promise<MessageInitShape<O>>;

export type BidiStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  context: HandlerContext,
) => AsyncIterable<MessageInitShape<O>>;

/** The handler type for one method, chosen by its kind. */
export type MethodImpl<M extends DescMethod> = M extends { methodKind: 'unary' }
  ? UnaryImpl<In<M>, Out<M>>
  : M extends { methodKind: 'server_streaming' }
    ? ServerStreamingImpl<In<M>, Out<M>>
    : M extends { methodKind: 'client_streaming' }
      ? ClientStreamingImpl<In<M>, Out<M>>
      : M extends { methodKind: 'bidi_streaming' }
        ? BidiStreamingImpl<In<M>, Out<M>>
        : never;

/** An implementation of every method of a service, keyed by local name (`echo`). */
export type ServiceImpl<S extends DescService> = {
  [K in keyof S['method']]: MethodImpl<S['method'][K]>;
};

export type UnaryCall<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: CallOptions,
) => Promise<MessageShape<O>>;

export type ServerStreamingCall<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: CallOptions,
) => AsyncIterable<MessageShape<O>>;

export type ClientStreamingCall<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageInitShape<I>>,
  options?: CallOptions,
) => Promise<MessageShape<O>>;

export type BidiStreamingCall<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageInitShape<I>>,
  options?: CallOptions,
) => AsyncIterable<MessageShape<O>>;

/** The client function for one method, chosen by its kind. */
export type MethodCall<M extends DescMethod> = M extends { methodKind: 'unary' }
  ? UnaryCall<In<M>, Out<M>>
  : M extends { methodKind: 'server_streaming' }
    ? ServerStreamingCall<In<M>, Out<M>>
    : M extends { methodKind: 'client_streaming' }
      ? ClientStreamingCall<In<M>, Out<M>>
      : M extends { methodKind: 'bidi_streaming' }
        ? BidiStreamingCall<In<M>, Out<M>>
        : never;

/** A typed client: one function per method (local name) and `close()`. */
export type RpcClient<S extends DescService> = {
  [K in keyof S['method']]: MethodCall<S['method'][K]>;
} & {
  /** Closes the channel: later calls fail at once; calls in flight run to their end. */
  close(): void;
};
