import { MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { Code } from './code.js';
import {
  backoffMs,
  DEFAULT_RETRY_POLICY,
  isIdempotent,
  isRetryableMethod,
  retryDelayMs,
  withRetries,
  type RetryPolicy,
} from './retry-policy.js';
import { RpcError } from './rpc-error.js';

const { IDEMPOTENCY_UNKNOWN, NO_SIDE_EFFECTS, IDEMPOTENT } = MethodOptions_IdempotencyLevel;
const POLICY: RetryPolicy = { maxAttempts: 4, initialBackoffMs: 100, maxBackoffMs: 250, multiplier: 2 };
const unavailable = new RpcError(Code.UNAVAILABLE, 'down');

describe('which calls may be retried', () => {
  it('only methods the proto declares idempotent or free of side effects', () => {
    expect(isIdempotent({ idempotency: IDEMPOTENCY_UNKNOWN })).toBe(false);
    expect(isIdempotent({ idempotency: NO_SIDE_EFFECTS })).toBe(true);
    expect(isIdempotent({ idempotency: IDEMPOTENT })).toBe(true);
  });

  it('only unary ones', () => {
    expect(isRetryableMethod({ idempotency: IDEMPOTENT, methodKind: 'unary' })).toBe(true);
    for (const methodKind of ['server_streaming', 'client_streaming', 'bidi_streaming'] as const) {
      expect(isRetryableMethod({ idempotency: IDEMPOTENT, methodKind })).toBe(false);
    }
    expect(isRetryableMethod({ idempotency: IDEMPOTENCY_UNKNOWN, methodKind: 'unary' })).toBe(false);
  });
});

describe('backoff', () => {
  it('grows exponentially up to its cap, with full jitter below the bound', () => {
    const top = () => 0.999_999;
    expect(backoffMs(1, POLICY, top)).toBe(99);
    expect(backoffMs(2, POLICY, top)).toBe(199);
    expect(backoffMs(3, POLICY, top)).toBe(249);
    expect(backoffMs(10, POLICY, top)).toBe(249);
    expect(backoffMs(3, POLICY, () => 0)).toBe(0);
    expect(backoffMs(2, POLICY, () => 0.5)).toBe(100);
  });

  it('spreads retries of clients that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffMs(3, DEFAULT_RETRY_POLICY)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('retry decision', () => {
  const base = { attempt: 1, policy: POLICY, deadline: 10_000, now: 0, random: () => 0.5 };

  it('retries UNAVAILABLE only', () => {
    expect(retryDelayMs({ ...base, error: unavailable })).toBe(50);
    for (const code of Object.values(Code)) {
      if (code === Code.UNAVAILABLE) continue;
      expect(retryDelayMs({ ...base, error: new RpcError(code, 'x') }), String(code)).toBeUndefined();
    }
    expect(retryDelayMs({ ...base, error: new Error('not an rpc error') })).toBeUndefined();
  });

  it('stops after maxAttempts', () => {
    expect(retryDelayMs({ ...base, error: unavailable, attempt: 3 })).toBeDefined();
    expect(retryDelayMs({ ...base, error: unavailable, attempt: 4 })).toBeUndefined();
  });

  it('never waits into the deadline', () => {
    expect(retryDelayMs({ ...base, error: unavailable, now: 9_949 })).toBe(50);
    expect(retryDelayMs({ ...base, error: unavailable, now: 9_950 })).toBeUndefined();
  });
});

describe('withRetries', () => {
  it('retries until success', async () => {
    let attempts = 0;
    const result = await withRetries(
      async () => {
        attempts++;
        if (attempts < 3) throw unavailable;
        return 'ok';
      },
      { ...POLICY, initialBackoffMs: 5 },
      Date.now() + 5_000,
      undefined,
    );
    expect(result).toBe('ok');
    expect(attempts).toBe(3);
  });

  it('gives up with the last error when the next wait would pass the deadline', async () => {
    let attempts = 0;
    const started = Date.now();
    const error = await withRetries(
      async () => {
        attempts++;
        throw new RpcError(Code.UNAVAILABLE, `attempt ${attempts}`);
      },
      { maxAttempts: 1_000, initialBackoffMs: 40, maxBackoffMs: 40, multiplier: 1 },
      started + 300,
      undefined,
    ).catch((e: unknown) => e);
    expect((error as RpcError).message).toBe(`attempt ${attempts}`);
    // It gives up before the deadline; timers on a loaded CI machine may fire
    // late, so the bound allows for that without letting a retry run long past it.
    expect(Date.now() - started).toBeLessThan(300 + 150);
    expect(attempts).toBeGreaterThan(1);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const error = await withRetries(
      async () => {
        throw unavailable;
      },
      { maxAttempts: 5, initialBackoffMs: 10_000, maxBackoffMs: 10_000, multiplier: 1 },
      Date.now() + 60_000,
      controller.signal,
    ).catch((e: unknown) => e);
    expect((error as RpcError).code).toBe(Code.CANCELLED);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
