// A bounded hand-off from the stripe loop to one shard's gRPC stream. The
// producer waits while `capacity` blocks are queued, so a slow disk slows the
// upload (backpressure to the client's socket) instead of growing memory.
// Once the consumer gives up (its call failed), pushes are dropped at once:
// the upload goes on without that shard while the quorum holds.

export class BlockChannel<T> implements AsyncIterable<T> {
  private readonly queue: T[] = [];
  private ended = false;
  private abandoned = false;
  private wakeConsumer?: () => void;
  private readonly spaceWaiters: (() => void)[] = [];

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity ${capacity} must be ≥ 1`);
  }

  /** Resolves once the item is queued (or dropped because the consumer left). */
  async push(item: T): Promise<void> {
    if (this.ended) throw new Error('push after end');
    while (!this.abandoned && this.queue.length >= this.capacity)
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    if (this.abandoned) return;
    this.queue.push(item);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  /** The consumer stops reading: wake and release every waiting producer. */
  abandon(): void {
    this.abandoned = true;
    this.queue.length = 0;
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  get isAbandoned(): boolean {
    return this.abandoned;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        const item = this.queue.shift();
        if (item !== undefined) {
          this.spaceWaiters.shift()?.();
          yield item;
          continue;
        }
        if (this.ended || this.abandoned) return;
        await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
        this.wakeConsumer = undefined;
      }
    } finally {
      // A consumer that stops early (its call failed) must not leave producers waiting.
      if (!this.ended || this.queue.length > 0) this.abandon();
    }
  }

  private wake(): void {
    this.wakeConsumer?.();
  }
}
