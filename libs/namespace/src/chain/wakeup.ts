/**
 * A level-triggered doorbell for one loop: notify() wakes the current (or the
 * next) wait(); a wait also ends after its timeout, so a loop that missed
 * nothing still re-checks its state now and then.
 */
export class Wakeup {
  private pending = false;
  private wake: (() => void) | undefined;

  notify(): void {
    this.pending = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.pending || signal?.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        if (this.wake === done) this.wake = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }
}
