import type { TimedOperation } from './model.js';
import { registerModel, type RegisterInput, type RegisterOutput, type RegisterValue } from './register-model.js';
import { DEFAULT_MAX_EXPLORED_STATES, searchLinearization } from './wgl-search.js';

/** One operation on one key, as a client recorded it. */
export interface KeyedOperation extends TimedOperation<RegisterInput, RegisterOutput> {
  key: string;
  /** For reports. */
  id?: string | number;
}

export interface RegisterCheckOptions {
  /** Every key's value before the history (default null: absent). */
  initial?: RegisterValue;
  maxExploredStatesPerKey?: number;
}

export type RegisterCheckResult =
  | { ok: true; keys: number; operations: number }
  | { ok: false; key: string; operations: number; longestPrefix: number }
  | { ok: 'unknown'; key: string; explored: number };

/**
 * Checks that a history of reads, writes and compare-and-sets is
 * linearizable per key. Linearizability is compositional (Herlihy & Wing), so
 * each key is searched on its own — exponentially cheaper than the whole
 * history at once. Timed-out operations may have taken effect or not; reads
 * that timed out tell nothing and are dropped.
 */
export function checkRegisterHistory(
  history: readonly KeyedOperation[],
  options: RegisterCheckOptions = {},
): RegisterCheckResult {
  const byKey = new Map<string, KeyedOperation[]>();
  for (const op of history) {
    if (op.completed === undefined && op.input.kind === 'read') continue;
    const list = byKey.get(op.key);
    if (list) list.push(op);
    else byKey.set(op.key, [op]);
  }
  const model = registerModel(options.initial ?? null);
  const budget = options.maxExploredStatesPerKey ?? DEFAULT_MAX_EXPLORED_STATES;
  for (const [key, ops] of [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const result = searchLinearization(model, ops, budget);
    if (result.ok === 'unknown') return { ok: 'unknown', key, explored: result.explored };
    if (!result.ok) return { ok: false, key, operations: ops.length, longestPrefix: result.longestPrefix };
  }
  return { ok: true, keys: byKey.size, operations: history.length };
}
