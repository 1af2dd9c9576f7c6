import { setImmediate } from 'node:timers';
import type { IoFile } from '../io/disk-io.js';
import type { SizedBufferPool } from './buffer-pool.js';

// Concurrent small records are reserved back to back in the active extent,
// and issuing their writes one by one costs a thread-pool dispatch each
// (≈15 µs of the event loop per write on our VMs: more than the rest of a 4
// KiB put). The coalescer gathers the writes issued during one turn of the
// event loop and issues one write per contiguous run: after a group commit
// answers its writers, their next puts go out as a single write.

/** Largest single coalesced write: past this, a run is split (bounds the copy and the buffer). */
const MAX_COALESCED_BYTES = 1024 * 1024;

interface Queued {
  bytes: Buffer;
  offset: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class WriteCoalescer {
  private queue: Queued[] = [];
  private scheduled = false;

  constructor(
    private readonly file: () => Promise<IoFile>,
    private readonly pool: SizedBufferPool,
  ) {}

  /** Writes `bytes` at `offset`, with whatever else is written next to it in this turn; settles when it is written. */
  write(bytes: Buffer, offset: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, offset, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const q = this.queue.sort((a, b) => a.offset - b.offset);
    this.queue = [];
    let file: IoFile;
    try {
      file = await this.file();
    } catch (err) {
      for (const w of q) w.reject(err);
      return;
    }
    for (let i = 0; i < q.length;) {
      let end = q[i]!.offset + q[i]!.bytes.length;
      let j = i + 1;
      while (j < q.length && q[j]!.offset === end && end + q[j]!.bytes.length - q[i]!.offset <= MAX_COALESCED_BYTES) {
        end += q[j]!.bytes.length;
        j++;
      }
      void this.writeRun(file, q.slice(i, j), end - q[i]!.offset);
      i = j;
    }
  }

  private async writeRun(file: IoFile, run: Queued[], length: number): Promise<void> {
    let pooled: Buffer | undefined;
    let buf = run[0]!.bytes;
    if (run.length > 1) {
      pooled = this.pool.take(length);
      let at = 0;
      for (const w of run) {
        w.bytes.copy(pooled, at);
        at += w.bytes.length;
      }
      buf = pooled.subarray(0, length);
    }
    try {
      await file.writeDurable(buf, 0, length, run[0]!.offset);
      for (const w of run) w.resolve();
    } catch (err) {
      // Nobody knows how much of the run got written: every record in it failed.
      for (const w of run) w.reject(err);
    } finally {
      if (pooled) this.pool.give(pooled);
    }
  }
}
