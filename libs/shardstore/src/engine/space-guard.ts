import { DiskFullError } from '../errors.js';
import type { DiskIo } from '../io/disk-io.js';

// statfs on every put would cost a thread-pool hop; free space is re-read at
// most this often, and bytes handed out since are subtracted meanwhile.
const FREE_SPACE_TTL_MS = 250;

/** Refuses a write up front when it cannot fit, instead of failing half-way. */
export class SpaceGuard {
  private free = 0;
  private readAt = -Infinity;
  private grantedSinceRead = 0;

  constructor(
    private readonly io: DiskIo,
    private readonly dir: string,
    /** Kept free for the index and for compaction's copies. */
    private readonly reserveBytes: number,
  ) {}

  async ensure(bytes: number): Promise<void> {
    if (performance.now() - this.readAt > FREE_SPACE_TTL_MS || this.available() < bytes) await this.refresh();
    if (this.available() < bytes) {
      throw new DiskFullError(
        `disk is full: ${bytes} bytes needed, ${Math.max(0, this.available())} available above the ${this.reserveBytes}-byte reserve`,
      );
    }
    this.grantedSinceRead += bytes;
  }

  async freeBytes(): Promise<number> {
    await this.refresh();
    return this.free;
  }

  private available(): number {
    return this.free - this.grantedSinceRead - this.reserveBytes;
  }

  private async refresh(): Promise<void> {
    this.free = await this.io.freeBytes(this.dir);
    this.readAt = performance.now();
    this.grantedSinceRead = 0;
  }
}
