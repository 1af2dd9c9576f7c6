import { statfs } from 'node:fs/promises';
import type { HostedDisk } from './hosted-disk.js';

/** Space of one disk, bytes (DiskUsage of common.proto). */
export interface DiskSpace {
  capacityBytes: bigint;
  usedBytes: bigint;
  liveBytes: bigint;
  deadBytes: bigint;
}

const ZERO: DiskSpace = { capacityBytes: 0n, usedBytes: 0n, liveBytes: 0n, deadBytes: 0n };

/**
 * The filesystem's size and use (statfs of the disk's directory) and the
 * engine's live/dead accounting. Zeros for what cannot be read: a failed
 * disk still gets described.
 */
export async function diskSpace(disk: HostedDisk): Promise<DiskSpace> {
  const space = { ...ZERO };
  try {
    const fs = await statfs(disk.path, { bigint: true });
    space.capacityBytes = fs.blocks * fs.bsize;
    space.usedBytes = (fs.blocks - fs.bfree) * fs.bsize;
  } catch {
    // The directory is gone or unreadable: the disk is failed anyway.
  }
  if (disk.store !== undefined) {
    try {
      const s = await disk.store.stats();
      space.liveBytes = BigInt(s.bytes.live);
      space.deadBytes = BigInt(s.bytes.dead);
    } catch {
      // stats() reads only memory and statfs; a closing store has nothing to say.
    }
  }
  return space;
}
