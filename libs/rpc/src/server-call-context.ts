import type { EventEmitter } from 'node:events';
import type { Deadline, Metadata } from '@grpc/grpc-js';
import { Code } from './code.js';
import { RpcError } from './rpc-error.js';
import type { CallOptions, HandlerContext } from './types.js';

/**
 * A cancellation this close to the deadline (ms) is taken for the deadline:
 * grpc-js arms its deadline timer from libuv's cached loop time, which can lag
 * the wall clock by a few milliseconds on a busy loop.
 */
const DEADLINE_SLACK_MS = 25;

/** What every grpc-js server call object offers, whatever its kind. */
export interface ServerCallLike extends EventEmitter {
  readonly metadata: Metadata;
  readonly cancelled: boolean;
  getPeer(): string;
  getDeadline(): Deadline;
}

/**
 * The HandlerContext of one server call. grpc-js marks the call `cancelled`
 * (and emits 'cancelled') when the client cancels, when the deadline passes
 * (it answers DEADLINE_EXCEEDED by itself) and after the call has completed.
 * Nothing is allocated or subscribed until a handler asks for the signal, so
 * unary calls that never look pay nothing for it; until then the flag is
 * read when needed.
 */
export class ServerCallContext implements HandlerContext {
  readonly deadline: number | undefined;
  readonly metadata: Metadata;
  readonly #call: ServerCallLike;
  #controller: AbortController | undefined;
  #cancelCode: Code | undefined;
  #reason: RpcError | undefined;
  #peer: string | undefined;

  constructor(call: ServerCallLike) {
    this.#call = call;
    this.metadata = call.metadata;
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
    this.deadline = Number.isFinite(deadlineMs) ? deadlineMs : undefined;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.cancelCode !== undefined) this.#controller.abort(this.cancelReason);
      else this.#call.once('cancelled', () => this.#cancel());
    }
    return this.#controller.signal;
  }

  get peer(): string {
    return (this.#peer ??= this.#call.getPeer());
  }

  /** CANCELLED or DEADLINE_EXCEEDED once grpc-js has reported the call over; undefined before. */
  get cancelCode(): Code | undefined {
    if (this.#cancelCode === undefined && this.#call.cancelled) this.#cancel();
    return this.#cancelCode;
  }

  /** The same as an error, built on first use: grpc-js reports every finished call, and a stack trace per call is not free. */
  get cancelReason(): RpcError | undefined {
    const code = this.cancelCode;
    if (code === undefined) return undefined;
    this.#reason ??=
      code === Code.DEADLINE_EXCEEDED
        ? new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded')
        : new RpcError(Code.CANCELLED, 'call cancelled');
    return this.#reason;
  }

  callOptions(): CallOptions {
    return this.deadline === undefined ? { signal: this.signal } : { deadline: this.deadline, signal: this.signal };
  }

  /** Records a cancellation found before grpc-js reported it (see transport-state.ts). */
  markCancelled(): void {
    this.#cancel();
  }

  // Which of the two it was is read off the clock when the cancellation is
  // first noticed: a client cancel noticed only after the deadline counts as
  // the deadline, which matters to nobody.
  #cancel(): void {
    if (this.#cancelCode !== undefined) return;
    const expired = this.deadline !== undefined && Date.now() >= this.deadline - DEADLINE_SLACK_MS;
    this.#cancelCode = expired ? Code.DEADLINE_EXCEEDED : Code.CANCELLED;
    this.#controller?.abort(this.cancelReason);
  }
}
