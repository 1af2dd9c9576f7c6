import { NamespaceError } from '../errors.js';

interface Waiter {
  sequence: bigint;
  resolve: () => void;
  reject: (error: NamespaceError) => void;
}

/**
 * Clients waiting at the head for their sequence to be durable at the tail.
 * The committed sequence only grows; failAll() releases everyone when this
 * replica stops being the head (they retry at the new head with their write id).
 */
export class CommitWaiters {
  private committedSequence = 0n;
  private waiters: Waiter[] = [];

  get committed(): bigint {
    return this.committedSequence;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  advance(sequence: bigint): void {
    if (sequence <= this.committedSequence) return;
    this.committedSequence = sequence;
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.sequence <= sequence) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  wait(sequence: bigint, signal?: AbortSignal): Promise<void> {
    if (sequence <= this.committedSequence) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        sequence,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new NamespaceError('NOT_SERVING', 'the call ended before its write was committed'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  failAll(error: NamespaceError): void {
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) w.reject(error);
  }
}
