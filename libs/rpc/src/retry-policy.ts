import type { DescMethod } from '@bufbuild/protobuf';
import { MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';
import { Code } from './code.js';
import { RpcError } from './rpc-error.js';

/** How a client retries the calls it may retry. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Upper bound of the first backoff, ms. */
  initialBackoffMs: number;
  /** Upper bound of any backoff, ms. */
  maxBackoffMs: number;
  /** Growth of the bound per attempt. */
  multiplier: number;
}

/**
 * Defaults: 5 attempts with bounds of 50, 100, 200, 400 ms between them —
 * long enough to ride out a peer's restart or a reconnect, short next to
 * any sensible deadline (which always wins anyway).
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 5,
  initialBackoffMs: 50,
  maxBackoffMs: 2_000,
  multiplier: 2,
};

/**
 * Codes worth another attempt. Only UNAVAILABLE: the request did not reach a
 * server able to act on it (connection refused or lost, server shutting
 * down). RESOURCE_EXHAUSTED is deliberately absent: grpc-js also uses it for
 * an oversized message, which fails the same way every time, and for an
 * overloaded peer, where retries from every client amplify the overload; the
 * caller decides (e.g. hedge to another replica). DEADLINE_EXCEEDED and
 * CANCELLED end the call by definition.
 */
export const RETRYABLE_CODES: ReadonlySet<Code> = new Set<Code>([Code.UNAVAILABLE]);

/** True for methods the proto declares `idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT`. */
export function isIdempotent(method: Pick<DescMethod, 'idempotency'>): boolean {
  return (
    method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ||
    method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT
  );
}

/** Retries apply to idempotent unary methods only: a stream may have had effects midway. */
export function isRetryableMethod(method: Pick<DescMethod, 'idempotency' | 'methodKind'>): boolean {
  return method.methodKind === 'unary' && isIdempotent(method);
}

/**
 * Backoff before attempt `attempt + 1`, after `attempt` failures (1-based):
 * exponential bound, full jitter (uniform in [0, bound)) so that clients that
 * failed together do not retry together.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const bound = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** (attempt - 1));
  return Math.floor(random() * bound);
}

export interface RetryDecisionInput {
  error: unknown;
  /** Attempts made so far (≥ 1). */
  attempt: number;
  policy: RetryPolicy;
  /** Absolute deadline of the call, epoch ms. */
  deadline: number;
  now: number;
  random?: () => number;
}

/**
 * The wait before the next attempt, or undefined to give up: not an RpcError
 * with a retryable code, out of attempts, or the wait would reach the
 * deadline (a retry never outlives the call's deadline).
 */
export function retryDelayMs(input: RetryDecisionInput): number | undefined {
  const { error, attempt, policy, deadline, now } = input;
  if (!(error instanceof RpcError) || !RETRYABLE_CODES.has(error.code)) return undefined;
  if (attempt >= policy.maxAttempts) return undefined;
  const delay = backoffMs(attempt, policy, input.random);
  return now + delay < deadline ? delay : undefined;
}

/**
 * Runs `attempt` until it succeeds or `retryDelayMs` says stop; the last error
 * is the one thrown. Aborting the signal ends a backoff wait at once with
 * CANCELLED.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  for (let made = 1; ; made++) {
    try {
      return await attempt();
    } catch (error) {
      const delay = retryDelayMs({ error, attempt: made, policy, deadline, now: Date.now() });
      if (delay === undefined) throw error;
      await sleep(delay, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = (): RpcError => new RpcError(Code.CANCELLED, 'call cancelled while waiting to retry');
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
