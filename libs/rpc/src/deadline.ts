import type { CallOptions } from './types.js';

/**
 * The absolute deadline (epoch ms) of a client call: the earlier of the
 * caller's `deadline` and `now + timeoutMs`, or `now + defaultTimeoutMs` when
 * the caller gave neither. There is no way to ask for no deadline.
 */
export function resolveDeadline(
  options: Pick<CallOptions, 'deadline' | 'timeoutMs'> | undefined,
  defaultTimeoutMs: number,
  now: number = Date.now(),
): number {
  const fromTimeout = options?.timeoutMs === undefined ? Infinity : now + options.timeoutMs;
  const explicit = Math.min(options?.deadline ?? Infinity, fromTimeout);
  const deadline = explicit === Infinity ? now + defaultTimeoutMs : explicit;
  if (!Number.isFinite(deadline)) throw new TypeError(`invalid call deadline: ${deadline}`);
  return deadline;
}
