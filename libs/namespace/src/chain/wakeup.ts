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

  /**
   * Resolves true when notified, false when the timeout (or the signal) ended
   * the wait: a loop that re-checks on a quiet timeout must not take every
   * notify for one (each notify of a busy chain would re-probe or re-ack).
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.pending || signal?.aborted) {
      const notified = this.pending;
      this.pending = false;
      return Promise.resolve(notified);
    }
    return new Promise((resolve) => {
      const done = (notified: boolean): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.wake === wake) this.wake = undefined;
        this.pending = false;
        resolve(notified);
      };
      const wake = (): void => done(true);
      const onAbort = (): void => done(false);
      const timer = setTimeout(onAbort, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wake = wake;
    });
  }
}
