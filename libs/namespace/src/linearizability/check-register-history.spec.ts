import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRegisterHistory, type KeyedOperation } from './check-register-history.js';
import type { RegisterValue } from './register-model.js';

// G2 (per-key linearizability): the checker itself, on known histories.

const w = (value: RegisterValue, at: number, end?: number, key = 'k'): KeyedOperation => ({
  key,
  input: { kind: 'write', value },
  invokedAt: at,
  completed: end === undefined ? undefined : { at: end, output: { kind: 'write' } },
});
const r = (value: RegisterValue, at: number, end: number, key = 'k'): KeyedOperation => ({
  key,
  input: { kind: 'read' },
  invokedAt: at,
  completed: { at: end, output: { kind: 'read', value } },
});
const cas = (
  expected: RegisterValue,
  value: RegisterValue,
  ok: boolean | undefined,
  at: number,
  end?: number,
): KeyedOperation => ({
  key: 'k',
  input: { kind: 'cas', expected, value },
  invokedAt: at,
  completed: end === undefined || ok === undefined ? undefined : { at: end, output: { kind: 'cas', ok } },
});

const verdict = (history: KeyedOperation[]): boolean | 'unknown' => checkRegisterHistory(history).ok;

describe('checkRegisterHistory on known histories', () => {
  it('accepts sequential histories and rejects a stale read', () => {
    expect(verdict([w('a', 0, 1), r('a', 2, 3)])).toBe(true);
    expect(verdict([r(null, 0, 1), w('a', 2, 3), r('a', 4, 5)])).toBe(true);
    expect(verdict([w('a', 0, 1), w('b', 2, 3), r('a', 4, 5)])).toBe(false);
    expect(verdict([w('a', 0, 1), r(null, 2, 3)])).toBe(false);
  });

  it('lets a read overlapping a write see either value, but never go back', () => {
    expect(verdict([w('a', 0, 10), r(null, 1, 2)])).toBe(true);
    expect(verdict([w('a', 0, 10), r('a', 1, 2)])).toBe(true);
    expect(verdict([w('a', 0, 10), r('a', 1, 2), r(null, 3, 4)])).toBe(false);
    expect(verdict([w('a', 0, 10), r(null, 1, 2), r('a', 3, 4), r('a', 5, 6)])).toBe(true);
  });

  it('allows one of two racing compare-and-sets to win, never both', () => {
    expect(verdict([cas(null, 'a', true, 0, 5), cas(null, 'b', false, 1, 6), r('a', 7, 8)])).toBe(true);
    expect(verdict([cas(null, 'a', true, 0, 5), cas(null, 'b', true, 1, 6)])).toBe(false);
    expect(verdict([cas(null, 'a', true, 0, 5), cas(null, 'b', false, 1, 6), r('b', 7, 8)])).toBe(false);
    // A failed CAS must have seen something other than its expected value.
    expect(verdict([cas(null, 'a', false, 0, 1)])).toBe(false);
  });

  it('accepts a history that needs a timed-out write to have taken effect', () => {
    const history = [w('a', 0, 1), w('b', 2), r('b', 10, 11)];
    expect(verdict(history)).toBe(true);
    // The same read without that write cannot be explained.
    expect(verdict([w('a', 0, 1), r('b', 10, 11)])).toBe(false);
  });

  it('accepts a history that needs a timed-out write not to have taken effect (yet)', () => {
    expect(verdict([w('a', 0, 1), w('b', 2), r('a', 3, 4), r('a', 20, 21)])).toBe(true);
    // But once seen, its effect cannot be undone.
    expect(verdict([w('a', 0, 1), w('b', 2), r('b', 3, 4), r('a', 20, 21)])).toBe(false);
  });

  it('applies a timed-out operation at most once', () => {
    expect(verdict([w('a', 0), w('b', 0), r('b', 10, 11), r('a', 12, 13)])).toBe(true);
    expect(verdict([w('a', 0), w('b', 0), r('b', 10, 11), r('a', 12, 13), r('b', 14, 15)])).toBe(false);
  });

  it('lets a timed-out compare-and-set take effect only where its condition held', () => {
    // The CAS could only have succeeded while the key was still absent.
    expect(verdict([cas(null, 'x', undefined, 0), w('a', 5, 6), r('x', 10, 11)])).toBe(false);
    expect(verdict([cas('a', 'x', undefined, 0), w('a', 5, 6), r('x', 10, 11)])).toBe(true);
  });

  it('checks keys independently', () => {
    const good = [w('a', 0, 1, 'k1'), r('a', 2, 3, 'k1'), w('b', 0, 1, 'k2'), r('b', 2, 3, 'k2')];
    expect(checkRegisterHistory(good)).toEqual({ ok: true, keys: 2, operations: 4 });
    const bad = checkRegisterHistory([...good, r('a', 4, 5, 'k2')]);
    expect(bad).toMatchObject({ ok: false, key: 'k2' });
  });

  it('gives up with unknown when the search budget is too small', () => {
    const wide = Array.from({ length: 12 }, (_, i) => w(`v${i}`, 0, 100));
    expect(checkRegisterHistory([...wide, r('v3', 101, 102)], { maxExploredStatesPerKey: 5 }).ok).toBe('unknown');
    expect(checkRegisterHistory([...wide, r('v3', 101, 102)]).ok).toBe(true);
  });
});

// ---------------------------------------------------------------- properties

type Step = { key: number; kind: 'read' } | { key: number; kind: 'write' } | { key: number; kind: 'cas'; hit: boolean };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ key: fc.nat(2), kind: fc.constant('read' as const) }),
  fc.record({ key: fc.nat(2), kind: fc.constant('write' as const) }),
  fc.record({ key: fc.nat(2), kind: fc.constant('cas' as const), hit: fc.boolean() }),
);

interface Generated {
  history: KeyedOperation[];
  readIndexes: number[];
}

/**
 * A history that is linearizable by construction: operations run one after
 * another on registers at times 10, 20, 30, ..., then each is given an
 * invocation before and a completion after its moment, so they overlap at
 * random. Some lose their answer (timed out, but took effect), and some
 * timed-out writes that never took effect are added.
 */
function generate(steps: Step[], jitter: number[], timeouts: boolean[], ghosts: number): Generated {
  const state: RegisterValue[] = [null, null, null];
  const history: KeyedOperation[] = [];
  const readIndexes: number[] = [];
  let counter = 0;
  steps.forEach((step, i) => {
    const at = 10 * (i + 1);
    const invokedAt = at - (jitter[(2 * i) % jitter.length] ?? 0);
    const completedAt = at + (jitter[(2 * i + 1) % jitter.length] ?? 0);
    const timedOut = (timeouts[i % timeouts.length] ?? false) && step.kind !== 'read';
    const key = `k${step.key}`;
    const current = state[step.key] ?? null;
    if (step.kind === 'read') {
      readIndexes.push(history.length);
      history.push({
        key,
        input: { kind: 'read' },
        invokedAt,
        completed: { at: completedAt, output: { kind: 'read', value: current } },
      });
      return;
    }
    const value = `v${++counter}`;
    if (step.kind === 'write') {
      state[step.key] = value;
      history.push({
        key,
        input: { kind: 'write', value },
        invokedAt,
        completed: timedOut ? undefined : { at: completedAt, output: { kind: 'write' } },
      });
      return;
    }
    const expected = step.hit ? current : `never-${counter}`;
    const ok = expected === current;
    if (ok) state[step.key] = value;
    history.push({
      key,
      input: { kind: 'cas', expected, value },
      invokedAt,
      completed: timedOut ? undefined : { at: completedAt, output: { kind: 'cas', ok } },
    });
  });
  for (let g = 0; g < ghosts; g++) {
    history.push({ key: `k${g % 3}`, input: { kind: 'write', value: `ghost-${g}` }, invokedAt: 10 * (g + 1) });
  }
  return { history, readIndexes };
}

describe('checkRegisterHistory properties', () => {
  const arbitraryRun = fc.record({
    steps: fc.array(stepArb, { minLength: 1, maxLength: 40 }),
    jitter: fc.array(fc.nat(25), { minLength: 1, maxLength: 16 }),
    timeouts: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
    ghosts: fc.nat(3),
  });

  it('accepts every history generated from a sequential run with random overlap', () => {
    fc.assert(
      fc.property(arbitraryRun, ({ steps, jitter, timeouts, ghosts }) => {
        const { history } = generate(steps, jitter, timeouts, ghosts);
        expect(checkRegisterHistory(history).ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects the same histories once one read returns a value nobody wrote', () => {
    fc.assert(
      fc.property(arbitraryRun, fc.nat(), ({ steps, jitter, timeouts, ghosts }, pick) => {
        const { history, readIndexes } = generate(steps, jitter, timeouts, ghosts);
        fc.pre(readIndexes.length > 0);
        const index = readIndexes[pick % readIndexes.length] ?? 0;
        const read = history[index] as KeyedOperation;
        history[index] = {
          ...read,
          completed: { at: read.completed?.at ?? 0, output: { kind: 'read', value: 'corrupt' } },
        };
        expect(checkRegisterHistory(history).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
