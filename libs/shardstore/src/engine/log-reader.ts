import { crc32c } from '@platter/isal';
import { RecordFormatError } from '../errors.js';
import {
  decodeRecordHeader,
  decodeRecordPrefix,
  RECORD_PREFIX_BYTES,
  type RecordHeader,
  type RecordPrefix,
  type ShardRecordHeader,
} from '../format/record-header.js';
import type { IoFile } from '../io/disk-io.js';

// Reads the extent log for recovery. Every step is decided by bytes whose CRC
// verified: a prefix gives the record's length only once its own CRC (which
// also covers the extent id and offset it claims) checks out; the rest of the
// header, and every data block, are checked before a record counts as whole.

/** Bytes read at once while walking small records (most of a tail is read in a few I/Os). */
const SCAN_WINDOW_BYTES = 1024 * 1024;
/** Data read per I/O while checking a large record's blocks. */
const VERIFY_CHUNK_BYTES = 4 * 1024 * 1024;

export type LogRead =
  /** Header verified (its data not yet: see dataVerifies). */
  | { status: 'record'; header: RecordHeader }
  /** The prefix verified, the rest did not: a write that never finished. Its length is known, so the next record can be reached. */
  | { status: 'unfinished'; prefix: RecordPrefix }
  /** Not even a prefix verified (or the record runs past the end of the file): the log ends here. */
  | { status: 'torn'; reason: string };

export class LogReader {
  private window: { pos: number; buf: Buffer } | undefined;

  constructor(
    private readonly file: IoFile,
    readonly extentId: number,
    readonly size: number,
  ) {}

  /** Bytes [pos, pos+len), short at the end of the file. */
  private async read(pos: number, len: number): Promise<Buffer> {
    const w = this.window;
    if (w && pos >= w.pos && pos + len <= w.pos + w.buf.length) return w.buf.subarray(pos - w.pos, pos - w.pos + len);
    const want = Math.max(0, Math.min(Math.max(len, SCAN_WINDOW_BYTES), this.size - pos));
    const buf = Buffer.allocUnsafe(want);
    const got = await this.file.read(buf, 0, want, pos);
    this.window = { pos, buf: buf.subarray(0, got) };
    return this.window.buf.subarray(0, Math.min(len, got));
  }

  async readRecord(offset: number): Promise<LogRead> {
    const place = { extentId: this.extentId, offset };
    let prefix: RecordPrefix;
    try {
      prefix = decodeRecordPrefix(await this.read(offset, RECORD_PREFIX_BYTES), place);
    } catch (err) {
      if (err instanceof RecordFormatError) return { status: 'torn', reason: err.message };
      throw err;
    }
    if (offset + prefix.recordLength > this.size)
      return { status: 'torn', reason: 'record runs past the end of its extent' };
    try {
      return { status: 'record', header: decodeRecordHeader(await this.read(offset, prefix.headerLength), place) };
    } catch (err) {
      if (err instanceof RecordFormatError) return { status: 'unfinished', prefix };
      throw err;
    }
  }

  /** Reads a put or move record's data and checks every block against its header. */
  async dataVerifies(h: ShardRecordHeader): Promise<boolean> {
    const start = h.offset + h.headerLength;
    const perRead = Math.max(1, Math.floor(VERIFY_CHUNK_BYTES / h.blockSize)) * h.blockSize;
    for (let done = 0; done < h.dataLength; done += perRead) {
      const len = Math.min(perRead, h.dataLength - done);
      const buf =
        len <= SCAN_WINDOW_BYTES ? await this.read(start + done, len) : await this.readDirect(start + done, len);
      if (buf.length < len) return false;
      const first = done / h.blockSize;
      for (let i = 0; i * h.blockSize < len; i++) {
        const block = buf.subarray(i * h.blockSize, Math.min(len, (i + 1) * h.blockSize));
        if (crc32c(block) !== h.blockCrcs[first + i]) return false;
      }
    }
    return true;
  }

  /**
   * Writes a record's bytes again where they are, so that the next sync
   * really persists them: after a failed writeback (a failed fsync) the kernel
   * may keep pages that read back fine but are clean, never to be written.
   * Recovery does this to every record it rolls forward.
   */
  async rewrite(offset: number, length: number): Promise<void> {
    for (let done = 0; done < length; done += VERIFY_CHUNK_BYTES) {
      const len = Math.min(VERIFY_CHUNK_BYTES, length - done);
      const buf = await this.readDirect(offset + done, len);
      if (buf.length < len) throw new Error(`record at ${this.extentId}@${offset} shrank while being rolled forward`);
      await this.file.write(buf, 0, len, offset + done);
    }
  }

  private async readDirect(pos: number, len: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(len);
    const got = await this.file.read(buf, 0, len, pos);
    return buf.subarray(0, got);
  }
}
