// One operation per key at a time, in arrival order. The store runs every
// put, delete and compaction copy of a shard id under it, from before its
// record is reserved until it is answered, so that the records of one id
// reach the log in the order they are decided — what lets recovery replay
// them and decide the same way. Ids are unique per write in Platter, so the
// lock is almost never contended: an uncontended run() allocates no promise
// of its own and starts `fn` synchronously.

export class KeyedLock {
  /** Keys held, each with the callers waiting for it (in arrival order). */
  private readonly held = new Map<string, Array<() => void>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const waiting = this.held.get(key);
    if (waiting === undefined) {
      this.held.set(key, []);
      return this.holding(key, fn);
    }
    return new Promise<void>((resolve) => waiting.push(resolve)).then(() => this.holding(key, fn));
  }

  /** Keys held or waited for. */
  get size(): number {
    return this.held.size;
  }

  private async holding<T>(key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } finally {
      // Hand the key straight to the next caller, or let it go.
      const waiting = this.held.get(key)!;
      const next = waiting.shift();
      if (next) next();
      else this.held.delete(key);
    }
  }
}
