import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WaitTimeoutError } from './errors.js';

// Long enough for a process start on a loaded 2-core machine, short enough to fail a test quickly.
const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
// Polling faster than this only burns CPU that the processes under test need.
const DEFAULT_WAIT_INTERVAL_MS = 50;

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `fn` until it returns a truthy value and returns that value. A throw
 * counts as "not yet"; the last error is reported if time runs out.
 */
export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const intervalMs = opts.intervalMs ?? DEFAULT_WAIT_INTERVAL_MS;
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) break;
    await sleep(Math.min(intervalMs, remaining));
  }
  const cause = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
  throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`, { cause: lastError });
}
