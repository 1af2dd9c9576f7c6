import { DiskFullError } from '../errors.js';
import type { DiskIo } from '../io/disk-io.js';

// statfs on every put would cost a thread-pool hop; free space is re-read at
// most this often, and bytes handed out since are subtracted meanwhile. A
// second is short next to how fast a disk fills, and what others write to the
// filesystem meanwhile comes out of the reserve (a write that still finds no
// room fails cleanly with ENOSPC). Nine storage processes re-reading it four
// times a second per disk cost 8% of their CPU in the S3 bench.
const FREE_SPACE_TTL_MS = 1000;
// What stats() reports may be older: it feeds heat and metrics (a disk's fill
// moves slowly), and with the heat loop sampling every second a 1 s age meant
// a statfs per disk per second on an idle node, 40% of its idle CPU.
const REPORTED_FREE_SPACE_MAX_AGE_MS = 10_000;

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
    if (this.tryGrant(bytes, mayUseReserve)) return;
    await this.refresh();
    const reserve = mayUseReserve ? 0 : this.reserveBytes;
    if (this.available(reserve) < bytes) {
      throw new DiskFullError(
        `disk is full: ${bytes} bytes needed, ${Math.max(0, this.available(reserve))} available above the ${reserve}-byte reserve`,
      );
    }
    this.grantedSinceRead += bytes;
  }

  /** ensure() without waiting: grants and returns true when the last reading is fresh and has room. */
  tryGrant(bytes: number, mayUseReserve = false): boolean {
    if (this.stale() || this.available(mayUseReserve ? 0 : this.reserveBytes) < bytes) return false;
    this.grantedSinceRead += bytes;
    return true;
  }

  /** Free bytes as of at most REPORTED_FREE_SPACE_MAX_AGE_MS ago, less what was granted since. */
  async freeBytes(): Promise<number> {
    if (this.stale(REPORTED_FREE_SPACE_MAX_AGE_MS)) await this.refresh();
    return Math.max(0, this.free - this.grantedSinceRead);
  }

  private stale(maxAgeMs = FREE_SPACE_TTL_MS): boolean {
    return performance.now() - this.readAt > maxAgeMs;
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
