/** Keeps the last N lines written to it, to explain a failed start without a log file. */
export class LineRing {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly capacity: number) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > this.capacity) this.lines.shift();
    }
  }

  snapshot(): string[] {
    const out = this.partial.length > 0 ? [...this.lines, this.partial] : [...this.lines];
    return out.slice(-this.capacity);
  }
}
