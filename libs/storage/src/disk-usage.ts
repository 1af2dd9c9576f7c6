import { statfs } from 'node:fs/promises';
import type { StoreStats } from '@platter/shardstore';
import type { HostedDisk } from './hosted-disk.js';

/** Space of one disk, bytes (DiskUsage of common.proto). */
export interface DiskSpace {
  capacityBytes: bigint;
  usedBytes: bigint;
  liveBytes: bigint;
  deadBytes: bigint;
}

// The heat loop (every second), metric scrapes, inventory updates and
// DiskInfo all describe the same filesystem; one statfs per disk per this
// interval serves them all (it was 3% of a busy storage process's CPU per
// caller, and most of an idle one's). A filesystem's size and use move
// slowly next to that.
export const FILESYSTEM_USAGE_TTL_MS = 10_000;

interface FilesystemUsage {
  capacityBytes: bigint;
  usedBytes: bigint;
}

/** statfs of one directory, re-read at most every FILESYSTEM_USAGE_TTL_MS (concurrent callers share one read). */
export class FilesystemUsageCache {
  private last: { atMs: number; usage: Promise<FilesystemUsage> } | undefined;

  constructor(
    private readonly dir: string,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  read(): Promise<FilesystemUsage> {
    const now = this.nowMs();
    if (this.last === undefined || now - this.last.atMs > FILESYSTEM_USAGE_TTL_MS) {
      const usage = statfs(this.dir, { bigint: true }).then((fs) => ({
        capacityBytes: fs.blocks * fs.bsize,
        usedBytes: (fs.blocks - fs.bfree) * fs.bsize,
      }));
      this.last = { atMs: now, usage };
      // A failed read is not kept: the next caller tries again.
      usage.catch(() => {
        if (this.last?.usage === usage) this.last = undefined;
      });
    }
    return this.last.usage;
  }
}

/**
 * The filesystem's size and use (statfs of the disk's directory, shared for
 * FILESYSTEM_USAGE_TTL_MS) and the engine's live/dead accounting (from `stats` when the
 * caller has them). Zeros for what cannot be read: a failed disk still gets
 * described.
 */
export async function diskSpace(disk: HostedDisk, stats?: StoreStats): Promise<DiskSpace> {
  const space: DiskSpace = { capacityBytes: 0n, usedBytes: 0n, liveBytes: 0n, deadBytes: 0n };
  try {
    const fs = await disk.filesystemUsage.read();
    space.capacityBytes = fs.capacityBytes;
    space.usedBytes = fs.usedBytes;
  } catch {
    // The directory is gone or unreadable: the disk is failed anyway.
  }
  if (stats === undefined && disk.store !== undefined) {
    try {
      stats = await disk.store.stats();
    } catch {
      // stats() reads only memory and statfs; a closing store has nothing to say.
    }
  }
  if (stats !== undefined) {
    space.liveBytes = BigInt(stats.bytes.live);
    space.deadBytes = BigInt(stats.bytes.dead);
  }
  return space;
}
