/**
 * A sequential specification for the linearizability search: from a state,
 * an operation either is allowed with the observed result (giving the next
 * state) or is not. States must serialize to a string (memoisation key).
 */
export interface SequentialModel<State, Input, Output> {
  init(): State;
  /**
   * The state after `input` runs in `state` and answers `output`, or
   * undefined when that answer is impossible there. `output` is undefined for
   * an operation whose answer was never seen (timed out): any answer goes.
   */
  step(state: State, input: Input, output: Output | undefined): State | undefined;
  /** A string that is equal for equal states. */
  key(state: State): string;
}

/** One operation of a recorded history, as the search sees it. */
export interface TimedOperation<Input, Output> {
  input: Input;
  /** When the client sent it (any monotonic unit). */
  invokedAt: number;
  /**
   * When the answer came back, and the answer; undefined for an operation
   * that timed out or was cut off: it may have taken effect at any time after
   * it was invoked, or never.
   */
  completed?: { at: number; output: Output };
}
