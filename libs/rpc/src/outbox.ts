/**
 * The request side of a long-lived stream: callers push messages, grpc-js
 * pulls them through `messages()`, which ends once the queue is empty and
 * `finished()` says no more will come (re-checked on every `wake()`).
 */
export class Outbox<T> {
  private readonly queue: T[] = [];
  private waiting: (() => void) | undefined;

  constructor(private readonly finished: () => boolean) {}

  push(message: T): void {
    this.queue.push(message);
    this.wake();
  }

  /** Makes `messages()` look again (after `finished()` may have changed). */
  wake(): void {
    const resume = this.waiting;
    this.waiting = undefined;
    resume?.();
  }

  async *messages(): AsyncGenerator<T> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.finished()) return;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
}
