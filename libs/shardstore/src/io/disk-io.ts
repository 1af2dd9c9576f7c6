// The engine touches the disk only through these two interfaces, so that the
// same engine runs on real files (node-disk-io.ts) and on a simulated disk
// that forgets unsynced writes (sim-disk-io.ts), behind an optional HDD model
// and fault injector. Errors are Node-style: an Error with an errno `code`.

export type IoOpKind =
  | 'open'
  | 'read'
  | 'write'
  | 'sync'
  | 'truncate'
  | 'size'
  | 'close'
  | 'readdir'
  | 'unlink'
  | 'rename'
  | 'mkdir'
  | 'syncdir'
  | 'statfs';

export interface IoFile {
  readonly path: string;
  /** Reads up to `length` bytes at `position` into `buffer[offset..]`; returns bytes read (short at EOF). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** Writes all of `buffer[offset..offset+length)` at `position` (loops over short writes). */
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void>;
  /**
   * `write`, durable when it resolves: on Linux one O_DSYNC pwrite, one
   * thread-pool job where write then datasync are two. It makes only these
   * bytes durable, not other unsynced writes to the file.
   */
  writeDurable(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void>;
  /** Makes written data durable (fdatasync). */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface DiskIo {
  /** `create` makes the file if missing; the caller must `syncDir` the parent to make the name durable. */
  open(path: string, mode: 'read' | 'write' | 'create'): Promise<IoFile>;
  /** Names in `dir`; [] when `dir` does not exist. */
  readdir(dir: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  mkdir(dir: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Atomic replace; durable after `syncDir` of the parent. */
  rename(from: string, to: string): Promise<void>;
  /** fsync of a directory, so created, renamed and removed names survive a crash. */
  syncDir(dir: string): Promise<void>;
  /** Bytes a writer may still use on the filesystem holding `dir`. */
  freeBytes(dir: string): Promise<number>;
  /** Whole-file helpers for small files (superblock). */
  readFile(path: string): Promise<Uint8Array>;
}

export function ioError(code: string, message: string): Error & { code: string } {
  const err = new Error(`${code}: ${message}`) as Error & { code: string };
  err.code = code;
  return err;
}
