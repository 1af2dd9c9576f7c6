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

/**
 * Queued bytes that start a write at once, before the turn ends. Writers
 * answered together come back together; without this their next records
 * would all wait for the end of the turn and go out as one write, so the
 * event loop would prepare every record while the disk sat idle, then sit
 * idle itself during the write. Starting a write once this much is queued
 * lets the disk take the first records while the loop prepares the rest,
 * and the writers split into cohorts whose CPU and I/O overlap. (32 writers
 * of 4 KiB: two writes of ~64 KiB per turn.)
 */
const EARLY_WRITE_BYTES = 64 * 1024;

interface Queued {
  bytes: Buffer;
  offset: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class WriteCoalescer {
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private scheduled = false;

  constructor(
    private readonly file: () => Promise<IoFile>,
    private readonly pool: SizedBufferPool,
    /** Told of every durable write: when it started (hrtime), whether it succeeded, its bytes. */
    private readonly observe?: (startedNs: bigint, ok: boolean, bytes: number) => void,
  ) {}

  /** Writes `bytes` at `offset`, with whatever else is written next to it in this turn; settles when it is written. */
  write(bytes: Buffer, offset: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, offset, resolve, reject });
      this.queuedBytes += bytes.length;
      if (this.queuedBytes >= EARLY_WRITE_BYTES) void this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    // A scheduled flush left behind by an early one finds the queue empty or holding later writes: both fine.
    this.scheduled = false;
    const q = this.queue.sort((a, b) => a.offset - b.offset);
    this.queue = [];
    this.queuedBytes = 0;
    if (q.length === 0) return;
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
    const started = process.hrtime.bigint();
    try {
      await file.writeDurable(buf, 0, length, run[0]!.offset);
      this.observe?.(started, true, length);
      for (const w of run) w.resolve();
    } catch (err) {
      this.observe?.(started, false, length);
      // Nobody knows how much of the run got written: every record in it failed.
      for (const w of run) w.reject(err);
    } finally {
      if (pooled) this.pool.give(pooled);
    }
  }
}
