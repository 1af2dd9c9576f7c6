import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { DiskIdentityError, RecordFormatError } from '../errors.js';
import { decodeSuperblock, encodeSuperblock, type Superblock } from '../format/superblock.js';
import type { DiskIo } from '../io/disk-io.js';

export const SUPERBLOCK_FILE = 'superblock';
export const EXTENTS_DIR = 'extents';
export const INDEX_DIR = 'index';
/** Names a fresh filesystem may hold that do not make a directory "used". */
const IGNORED_NAMES = new Set(['lost+found']);

export interface DiskIdentity {
  diskUuid: string;
  clusterId: string;
  createdAt: string;
  /** True when this open formatted the directory: a new disk, whatever was expected. */
  formattedNow: boolean;
}

export interface IdentityOptions {
  clusterId: string;
  /** The UUID the caller expects; a different one on disk is refused. */
  expectDiskUuid?: string;
  /** What to do with a disk of another cluster: refuse (default) or wipe our files and format. */
  onForeignDisk?: 'fail' | 'reformat';
}

/**
 * Decides whose directory this is. Ours (same cluster, expected UUID) opens;
 * empty becomes a new disk with a fresh UUID; anything else is refused —
 * unknown files are never deleted, another cluster's disk only on request.
 */
export async function establishIdentity(io: DiskIo, dir: string, options: IdentityOptions): Promise<DiskIdentity> {
  await io.mkdir(dir);
  const names = (await io.readdir(dir)).filter((n) => !IGNORED_NAMES.has(n));
  if (names.includes(SUPERBLOCK_FILE)) {
    let sb: Superblock;
    try {
      sb = decodeSuperblock(await io.readFile(path.join(dir, SUPERBLOCK_FILE)));
    } catch (err) {
      if (err instanceof RecordFormatError)
        throw new DiskIdentityError(
          `${dir}: unreadable superblock (${err.message}); refusing to guess whose disk this is`,
        );
      throw err;
    }
    if (sb.clusterId !== options.clusterId) {
      if (options.onForeignDisk !== 'reformat')
        throw new DiskIdentityError(
          `${dir}: disk ${sb.diskUuid} belongs to cluster ${sb.clusterId}, not ${options.clusterId}`,
        );
      await wipeOurFiles(io, dir);
      return format(io, dir, options.clusterId);
    }
    if (options.expectDiskUuid !== undefined && sb.diskUuid !== options.expectDiskUuid) {
      throw new DiskIdentityError(`${dir}: holds disk ${sb.diskUuid}, expected ${options.expectDiskUuid}`);
    }
    return { ...sb, formattedNow: false };
  }
  if (names.length > 0 && !(await isInterruptedFormat(io, dir, names))) {
    throw new DiskIdentityError(
      `${dir}: not empty and has no superblock (${names.slice(0, 5).join(', ')}); not formatting over it`,
    );
  }
  return format(io, dir, options.clusterId);
}

/** A crash during `format` leaves only our empty subdirectories and maybe the temp superblock. */
async function isInterruptedFormat(io: DiskIo, dir: string, names: string[]): Promise<boolean> {
  const ours = new Set([EXTENTS_DIR, INDEX_DIR, `${SUPERBLOCK_FILE}.tmp`]);
  if (!names.every((n) => ours.has(n))) return false;
  for (const sub of [EXTENTS_DIR, INDEX_DIR]) if ((await io.readdir(path.join(dir, sub))).length > 0) return false;
  return true;
}

async function format(io: DiskIo, dir: string, clusterId: string): Promise<DiskIdentity> {
  await io.mkdir(path.join(dir, EXTENTS_DIR));
  await io.mkdir(path.join(dir, INDEX_DIR));
  await io.syncDir(dir);
  const sb: Superblock = { diskUuid: randomUUID(), clusterId, createdAt: new Date().toISOString() };
  const bytes = encodeSuperblock(sb);
  const tmp = path.join(dir, `${SUPERBLOCK_FILE}.tmp`);
  const f = await io.open(tmp, 'create');
  try {
    await f.truncate(0);
    await f.write(bytes, 0, bytes.length, 0);
    await f.datasync();
  } finally {
    await f.close();
  }
  // The superblock appears last and atomically: its presence means "formatted".
  await io.rename(tmp, path.join(dir, SUPERBLOCK_FILE));
  await io.syncDir(dir);
  return { ...sb, formattedNow: true };
}

async function wipeOurFiles(io: DiskIo, dir: string): Promise<void> {
  for (const sub of [EXTENTS_DIR, INDEX_DIR]) {
    const d = path.join(dir, sub);
    for (const name of await io.readdir(d)) await io.unlink(path.join(d, name));
    await io.syncDir(d);
  }
  await io.unlink(path.join(dir, SUPERBLOCK_FILE));
  await io.syncDir(dir);
}
