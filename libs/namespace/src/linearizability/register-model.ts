import type { SequentialModel } from './model.js';

/** A register's value; null means absent (a key with no object). */
export type RegisterValue = string | null;

export type RegisterInput =
  | { kind: 'read' }
  | { kind: 'write'; value: RegisterValue }
  /** Compare-and-set: takes effect only when the register holds `expected`. */
  | { kind: 'cas'; expected: RegisterValue; value: RegisterValue };

export type RegisterOutput = { kind: 'read'; value: RegisterValue } | { kind: 'write' } | { kind: 'cas'; ok: boolean };

/** A register with read, write and compare-and-set (a key with GET, PUT and conditional PUT). */
export function registerModel(
  initial: RegisterValue = null,
): SequentialModel<RegisterValue, RegisterInput, RegisterOutput> {
  return {
    init: () => initial,
    key: (state) => (state === null ? '\u0000' : `=${state}`),
    step(state, input, output) {
      switch (input.kind) {
        case 'read':
          if (output === undefined) return state;
          return output.kind === 'read' && output.value === state ? state : undefined;
        case 'write':
          if (output !== undefined && output.kind !== 'write') return undefined;
          return input.value;
        case 'cas': {
          const succeeds = state === input.expected;
          if (output !== undefined && (output.kind !== 'cas' || output.ok !== succeeds)) return undefined;
          return succeeds ? input.value : state;
        }
      }
    },
  };
}
