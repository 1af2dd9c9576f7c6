import { Code } from './code.js';
import { Outbox } from './outbox.js';
import { RpcError, toRpcError } from './rpc-error.js';
import type { CallOptions } from './types.js';

/** Opens one bidi call (the RPC client's method). */
export type OpenStream<Req, Res> = (requests: AsyncIterable<Req>, options: CallOptions) => AsyncIterable<Res>;

export interface StreamedCallsOptions<Req, Res> {
  /** Per call, unless the call names its own. */
  timeoutMs: number;
  /** The stream's own deadline from its opening; a new one opens after it. Default 10 minutes. */
  lifetimeMs?: number;
  /** The unary form of the call, for a server that answers UNIMPLEMENTED to the stream. */
  unary?: (request: Req, options: CallOptions) => Promise<Res>;
}

interface Waiting<Res> {
  resolve(response: Res): void;
  reject(error: unknown): void;
  settled: boolean;
}

const DEFAULT_LIFETIME_MS = 10 * 60_000;

/**
 * Request–response calls carried as messages on one bidi stream, answered in
 * order: the server answers each request with one response, or ends the
 * stream with the status the unary call would have failed with. A unary
 * call costs grpc-js several times the CPU of a stream message (a new HTTP/2
 * stream, headers, trailers, a deadline timer), which matters for calls made
 * thousands of times a second between the same two processes.
 *
 * A call that fails (the stream's status, its own timeout, its signal) ends
 * the stream, and every call still waiting on it fails with the same error,
 * as calls in flight on a broken connection would; the next call opens a
 * new stream. A server without the stream method gets unary calls from its
 * first UNIMPLEMENTED on, if `unary` is given.
 */
export class StreamedCalls<Req, Res> {
  private stream: Stream<Req, Res> | undefined;
  private unaryOnly = false;

  constructor(
    private readonly open: OpenStream<Req, Res>,
    private readonly options: StreamedCallsOptions<Req, Res>,
  ) {}

  call(request: Req, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Res> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const unary = this.options.unary;
    if (this.unaryOnly && unary) return unary(request, { signal: options.signal, timeoutMs });
    if (this.stream === undefined || this.stream.done || this.stream.expiresSoon(timeoutMs)) {
      this.stream?.end();
      this.stream = new Stream(this.open, this.options.lifetimeMs ?? DEFAULT_LIFETIME_MS);
    }
    return this.stream.call(request, timeoutMs, options.signal).catch((error: unknown) => {
      if (unary && error instanceof RpcError && error.code === Code.UNIMPLEMENTED) {
        this.unaryOnly = true;
        return unary(request, { signal: options.signal, timeoutMs });
      }
      throw error;
    });
  }

  /** Ends the stream; calls still waiting fail with CANCELLED. */
  close(): void {
    this.stream?.fail(new RpcError(Code.CANCELLED, 'streamed calls closed'));
    this.stream = undefined;
  }
}

class Stream<Req, Res> {
  done = false;
  private readonly deadline: number;
  private readonly waiting: Waiting<Res>[] = [];
  private readonly cancel = new AbortController();
  private readonly outbox = new Outbox<Req>(
    () => this.cancel.signal.aborted || (this.done && this.waiting.length === 0),
  );

  constructor(open: OpenStream<Req, Res>, lifetimeMs: number) {
    this.deadline = Date.now() + lifetimeMs;
    void this.read(open(this.outbox.messages(), { deadline: this.deadline, signal: this.cancel.signal }));
  }

  expiresSoon(timeoutMs: number): boolean {
    return Date.now() + timeoutMs > this.deadline;
  }

  call(request: Req, timeoutMs: number, signal: AbortSignal | undefined): Promise<Res> {
    if (signal?.aborted) return Promise.reject(toRpcError(signal.reason));
    return new Promise<Res>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded')), timeoutMs);
      const onAbort = (): void => this.fail(new RpcError(Code.CANCELLED, 'call cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.waiting.push({
        settled: false,
        resolve: (r) => {
          cleanup();
          resolve(r);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      });
      this.outbox.push(request);
    });
  }

  /** No more calls; the request side ends once every call is answered. */
  end(): void {
    this.done = true;
    this.outbox.wake();
  }

  /** Fails every waiting call with `error` and cancels the stream. */
  fail(error: unknown): void {
    this.done = true;
    for (const w of this.waiting.splice(0)) {
      if (w.settled) continue;
      w.settled = true;
      w.reject(error);
    }
    this.cancel.abort(error);
    this.outbox.wake();
  }

  private async read(responses: AsyncIterable<Res>): Promise<void> {
    try {
      for await (const response of responses) {
        const w = this.waiting.shift();
        if (w === undefined) throw new RpcError(Code.INTERNAL, 'stream answered a call nobody made');
        w.settled = true;
        w.resolve(response);
        if (this.done && this.waiting.length === 0) this.outbox.wake();
      }
      this.fail(new RpcError(Code.UNAVAILABLE, 'stream ended'));
    } catch (error) {
      this.fail(this.cancel.signal.aborted ? this.cancel.signal.reason : toRpcError(error));
    }
  }
}
