import { CleanupError } from './errors.js';

interface Step {
  name: string;
  fn: () => unknown;
}

/**
 * Teardown steps run in reverse order of registration (like `defer`), every
 * step attempted even when an earlier one fails.
 */
export class Cleanup {
  private steps: Step[] = [];

  add(fn: () => unknown, name = `step ${this.steps.length + 1}`): void {
    this.steps.push({ name, fn });
  }

  get size(): number {
    return this.steps.length;
  }

  /** Runs and forgets every step; throws a CleanupError listing the failures. */
  async run(): Promise<void> {
    const steps = this.steps.reverse();
    this.steps = [];
    const errors: unknown[] = [];
    for (const step of steps) {
      try {
        await step.fn();
      } catch (err) {
        errors.push(err instanceof Error ? new Error(`${step.name}: ${err.message}`, { cause: err }) : err);
      }
    }
    if (errors.length > 0) throw new CleanupError(errors);
  }
}
