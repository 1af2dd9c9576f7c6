import type { SequentialModel, TimedOperation } from './model.js';

// States explored per history before the search gives up with 'unknown'.
// Each costs a set entry of ~100 bytes: 2 M is ~200 MB at worst.
export const DEFAULT_MAX_EXPLORED_STATES = 2_000_000;

export type SearchResult =
  | {
      ok: true;
      /** Indexes of the operations in a valid order (timed-out ones that never took effect omitted). */ order: number[];
    }
  | { ok: false; /** Most operations any attempt managed to linearize. */ longestPrefix: number }
  | { ok: 'unknown'; explored: number };

interface Entry {
  /** Operation index. */
  op: number;
  isCall: boolean;
  /** Return entries of timed-out operations sit at +∞, after everything. */
  time: number;
  /** For a call: its return entry. */
  match?: Entry;
  prev?: Entry;
  next?: Entry;
}

/**
 * Wing & Gong's linearizability search with Lowe's memoisation (as in Lowe,
 * "Testing for linearizability", 2017, and porcupine): walk the history in
 * time order; at each call, try to linearize that operation now (if the model
 * allows its answer), remembering (set of linearized operations, state)
 * pairs already explored; at a return whose operation is not yet linearized,
 * backtrack. Timed-out operations return at +∞: reaching one means every
 * completed operation is linearized, so the history is linearizable whether
 * or not the remaining timed-out ones ever took effect.
 */
export function searchLinearization<State, Input, Output>(
  model: SequentialModel<State, Input, Output>,
  operations: ReadonlyArray<TimedOperation<Input, Output>>,
  maxExplored = DEFAULT_MAX_EXPLORED_STATES,
): SearchResult {
  const head = buildEntries(operations);
  const n = operations.length;
  const linearized = new Uint8Array(n);
  let linearizedCount = 0;
  let longestPrefix = 0;
  const seen = new Set<string>();
  const stack: Array<{ entry: Entry; state: State }> = [];
  let state = model.init();
  let entry = head.next;

  while (head.next !== undefined) {
    // The list always ends with a return, so the walk meets one before its end.
    if (entry === undefined) return { ok: false, longestPrefix };
    if (entry.isCall) {
      const op = operations[entry.op] as TimedOperation<Input, Output>;
      const next = model.step(state, op.input, op.completed?.output);
      if (next !== undefined) {
        linearized[entry.op] = 1;
        const memo = `${bitsKey(linearized)}|${model.key(next)}`;
        if (!seen.has(memo)) {
          if (seen.size >= maxExplored) return { ok: 'unknown', explored: seen.size };
          seen.add(memo);
          stack.push({ entry, state });
          state = next;
          linearizedCount++;
          if (linearizedCount > longestPrefix) longestPrefix = linearizedCount;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized[entry.op] = 0;
      }
      entry = entry.next;
    } else {
      if (entry.time === Infinity) break;
      const top = stack.pop();
      if (top === undefined) return { ok: false, longestPrefix };
      state = top.state;
      linearized[top.entry.op] = 0;
      linearizedCount--;
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { ok: true, order: stack.map((s) => s.entry.op) };
}

function buildEntries<Input, Output>(operations: ReadonlyArray<TimedOperation<Input, Output>>): Entry {
  const entries: Entry[] = [];
  operations.forEach((op, i) => {
    const returnAt = op.completed?.at ?? Infinity;
    if (!(returnAt >= op.invokedAt)) throw new RangeError(`operation ${i} completes before it is invoked`);
    const call: Entry = { op: i, isCall: true, time: op.invokedAt };
    const ret: Entry = { op: i, isCall: false, time: returnAt };
    call.match = ret;
    entries.push(call, ret);
  });
  // At equal times calls go first: operations that touch are treated as
  // concurrent, which can only make the check more permissive, never wrong.
  entries.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op);
  const head: Entry = { op: -1, isCall: false, time: -Infinity };
  let previous = head;
  for (const e of entries) {
    previous.next = e;
    e.prev = previous;
    previous = e;
  }
  return head;
}

/** Takes a call and its return out of the list. */
function lift(call: Entry): void {
  unlink(call);
  if (call.match) unlink(call.match);
}

/** Puts them back (in the reverse order of lift). */
function unlift(call: Entry): void {
  if (call.match) relink(call.match);
  relink(call);
}

function unlink(e: Entry): void {
  if (e.prev) e.prev.next = e.next;
  if (e.next) e.next.prev = e.prev;
}

function relink(e: Entry): void {
  if (e.prev) e.prev.next = e;
  if (e.next) e.next.prev = e;
}

function bitsKey(bits: Uint8Array): string {
  // Pack 8 flags per character: the key stays short for long histories.
  let out = '';
  for (let i = 0; i < bits.length; i += 8) {
    let byte = 0;
    for (let j = 0; j < 8 && i + j < bits.length; j++) byte |= (bits[i + j] ?? 0) << j;
    out += String.fromCharCode(byte);
  }
  return out;
}
