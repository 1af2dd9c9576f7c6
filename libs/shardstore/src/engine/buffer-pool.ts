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
