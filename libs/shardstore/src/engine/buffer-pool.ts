// Page faults on never-touched memory cost ~16 µs per 4 KiB on our VMs, so
// block buffers are reused rather than allocated per write (STACK.md #12).

export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly bufferSize: number,
    private readonly maxRetained: number,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.bufferSize);
  }

  give(buf: Buffer): void {
    if (buf.length === this.bufferSize && this.free.length < this.maxRetained) this.free.push(buf);
  }
}

/** Smallest size class of SizedBufferPool: one page. */
const MIN_CLASS_BYTES = 4096;

/**
 * Reusable buffers of any size up to a limit, by power-of-two size class, for
 * records written in one I/O. Each class keeps at most `retainBytes` of idle
 * buffers. Besides page faults this spares the garbage collector one external
 * ArrayBuffer per small put, which measured ~10% of a 4 KiB put's CPU.
 */
export class SizedBufferPool {
  private readonly classes = new Map<number, Buffer[]>();

  constructor(private readonly retainBytes: number) {}

  /** A buffer of at least `length` bytes; give it back once nothing reads it any more. */
  take(length: number): Buffer {
    const size = classOf(length);
    return this.classes.get(size)?.pop() ?? Buffer.allocUnsafe(size);
  }

  give(buf: Buffer): void {
    const size = buf.length;
    if (size !== classOf(size)) return;
    let free = this.classes.get(size);
    if (!free) this.classes.set(size, (free = []));
    if ((free.length + 1) * size <= this.retainBytes) free.push(buf);
  }
}

function classOf(length: number): number {
  return Math.max(MIN_CLASS_BYTES, 2 ** Math.ceil(Math.log2(Math.max(1, length))));
}
