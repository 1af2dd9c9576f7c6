import * as fs from 'node:fs/promises';
import { constants } from 'node:fs';
import type { DiskIo, IoFile } from './disk-io.js';

/** Writes all of `buffer[offset..offset+length)` at `position`, looping over short writes. */
async function writeFully(
  handle: fs.FileHandle,
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await handle.write(buffer, offset + done, length - done, position + done);
    done += bytesWritten;
  }
}

class NodeIoFile implements IoFile {
  /** A second descriptor of the file opened O_DSYNC, for writeDurable (opened on first use). */
  private dsync: Promise<fs.FileHandle> | undefined;

  constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
  ) {}

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buffer, offset + done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    return writeFully(this.handle, buffer, offset, length, position);
  }

  async writeDurable(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    this.dsync ??= fs.open(this.path, constants.O_WRONLY | constants.O_DSYNC);
    let handle: fs.FileHandle;
    try {
      handle = await this.dsync;
    } catch (err) {
      this.dsync = undefined;
      throw err;
    }
    await writeFully(handle, buffer, offset, length, position);
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async close(): Promise<void> {
    const dsync = this.dsync;
    this.dsync = undefined;
    await Promise.all([
      this.handle.close(),
      dsync?.then(
        (h) => h.close(),
        () => undefined,
      ),
    ]);
  }
}

/** The real disk: `node:fs` with positional I/O, fdatasync and directory fsync. */
export class NodeDiskIo implements DiskIo {
  async open(file: string, mode: 'read' | 'write' | 'create'): Promise<IoFile> {
    // Never O_APPEND: Linux ignores the position of pwrite on such files.
    const flags = mode === 'read' ? 'r' : mode === 'write' ? 'r+' : constants.O_RDWR | constants.O_CREAT;
    return new NodeIoFile(file, await fs.open(file, flags));
  }

  async readdir(dir: string): Promise<string[]> {
    try {
      return await fs.readdir(dir);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return [];
      throw err;
    }
  }

  async exists(file: string): Promise<boolean> {
    try {
      await fs.stat(file);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return false;
      throw err;
    }
  }

  async mkdir(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
  }

  unlink(file: string): Promise<void> {
    return fs.unlink(file);
  }

  rename(from: string, to: string): Promise<void> {
    return fs.rename(from, to);
  }

  async syncDir(dir: string): Promise<void> {
    const h = await fs.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  }

  async freeBytes(dir: string): Promise<number> {
    const s = await fs.statfs(dir);
    return s.bavail * s.bsize;
  }

  async readFile(file: string): Promise<Uint8Array> {
    return fs.readFile(file);
  }
}
