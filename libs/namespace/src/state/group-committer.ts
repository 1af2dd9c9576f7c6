/**
 * Batches concurrent submissions: while a batch is being committed (one LMDB
 * transaction, one flush), new submissions queue up and go together in the
 * next. Throughput then grows with concurrency instead of being bounded by
 * one fsync per request. Up to `maxInFlight` batches may be under way: the
 * next batch's transaction is prepared while the previous one is being
 * flushed (LMDB runs the transactions in submission order, so each batch sees
 * the ones before it); each batch still resolves only after its own flush.
 */
export class GroupCommitter<In, Out> {
  private queue: Array<{ input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;
  private batches = 0;
  private items = 0;

  constructor(
    /** Commits a batch; returns one output per input, in order. */
    private readonly commit: (inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch: number,
    private readonly maxInFlight = 2,
  ) {}

  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.pump();
    });
  }

  /** Batches committed and items in them so far (mean batch size = items / batches). */
  stats(): { batches: number; items: number } {
    return { batches: this.batches, items: this.items };
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.batches++;
      this.items += batch.length;
      this.commit(batch.map((b) => b.input)).then(
        (outs) => {
          batch.forEach((b, i) => b.resolve(outs[i] as Out));
          this.settled();
        },
        (error: unknown) => {
          for (const b of batch) b.reject(error);
          this.settled();
        },
      );
    }
  }

  private settled(): void {
    this.inFlight--;
    this.pump();
  }
}
