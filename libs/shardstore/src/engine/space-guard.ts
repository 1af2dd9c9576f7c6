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

  /** Refuses `bytes` with DiskFullError unless they fit above the reserve (or at all, with `mayUseReserve`). */
  async ensure(bytes: number, mayUseReserve = false): Promise<void> {
    const reserve = mayUseReserve ? 0 : this.reserveBytes;
    if (performance.now() - this.readAt > FREE_SPACE_TTL_MS || this.available(reserve) < bytes) await this.refresh();
    if (this.available(reserve) < bytes) {
      throw new DiskFullError(
        `disk is full: ${bytes} bytes needed, ${Math.max(0, this.available(reserve))} available above the ${reserve}-byte reserve`,
      );
    }
    this.grantedSinceRead += bytes;
  }

  async freeBytes(): Promise<number> {
    await this.refresh();
    return this.free;
  }

  private available(reserve: number): number {
    return this.free - this.grantedSinceRead - reserve;
  }

  private async refresh(): Promise<void> {
    this.free = await this.io.freeBytes(this.dir);
    this.readAt = performance.now();
    this.grantedSinceRead = 0;
  }
}
