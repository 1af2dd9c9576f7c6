import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { IndexOp, IndexTable } from './index-store.js';

// Index commits in a worker thread. A commit of the changes staged over
// 100 ms of 4 KiB puts is a few thousand LMDB puts; on the event loop their
// encoding alone took 10–13 % of its time, all of it in one stretch that
// held up every write completing meanwhile. Here the loop only packs the
// ops into one transferred buffer; the worker, on the same LMDB environment
// (lmdb-js shares one environment among the threads of a process), writes
// them in one synchronous transaction, which is durable when it returns.
//
// Packed op: u8 table, u32 key length, key (UTF-8), i32 value length (-1:
// delete), value.

const DELETE = -1;

/** Kept in a string so that the worker runs the same from source and from dist (see frontend's DigestPool). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const lmdb = require(workerData.lmdbPath);
const root = lmdb.open(workerData.options);
const dbs = workerData.tables.map((name) => root.openDB({ name, encoding: 'binary', keyEncoding: 'binary' }));
parentPort.on('message', (msg) => {
  if (msg.close) {
    root.close().then(() => parentPort.postMessage({ closed: true }), () => parentPort.postMessage({ closed: true }));
    return;
  }
  const buf = Buffer.from(msg.packed.buffer, msg.packed.byteOffset, msg.packed.byteLength);
  try {
    root.transactionSync(() => {
      for (let at = 0; at < buf.length; ) {
        const db = dbs[buf[at]];
        const keyLength = buf.readUInt32LE(at + 1);
        const key = buf.subarray(at + 5, at + 5 + keyLength);
        at += 5 + keyLength;
        const valueLength = buf.readInt32LE(at);
        at += 4;
        if (valueLength < 0) db.removeSync(key);
        else {
          db.putSync(key, buf.subarray(at, at + valueLength));
          at += valueLength;
        }
      }
    });
    parentPort.postMessage({ id: msg.id });
  } catch (e) {
    parentPort.postMessage({ id: msg.id, error: { message: String((e && e.message) || e), code: e && e.code } });
  }
});
`;

export interface LmdbOpenOptions {
  path: string;
  mapSize: number;
  maxDbs: number;
  encoding: 'binary';
  keyEncoding: 'binary';
  overlappingSync: false;
}

interface Pending {
  resolve(): void;
  reject(err: unknown): void;
}

function packOps(tables: readonly IndexTable[], ops: readonly IndexOp[]): Buffer {
  let size = 0;
  for (const op of ops) size += 9 + op.key.length * 3 + (op.value?.byteLength ?? 0);
  // Not from Buffer's shared pool: this memory is transferred to the worker.
  const buf = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const op of ops) {
    buf[at] = tables.indexOf(op.table);
    const keyLength = buf.write(op.key, at + 5, 'utf8');
    buf.writeUInt32LE(keyLength, at + 1);
    at += 5 + keyLength;
    if (op.value === null) at = buf.writeInt32LE(DELETE, at);
    else {
      at = buf.writeInt32LE(op.value.byteLength, at);
      buf.set(op.value, at);
      at += op.value.byteLength;
    }
  }
  return buf.subarray(0, at);
}

/** The worker of one LMDB environment. Commits run one at a time (the flusher's order). */
export class LmdbCommitThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private started = false;
  private dead: Error | undefined;

  constructor(
    options: LmdbOpenOptions,
    private readonly tables: readonly IndexTable[],
  ) {
    const lmdbPath = createRequire(import.meta.url).resolve('lmdb');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { lmdbPath, options, tables } });
    this.worker.unref();
    this.worker.on('online', () => (this.started = true));
    this.worker.on('message', (m: { id?: number; error?: { message: string; code?: string }; closed?: true }) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.idle();
      if (m.error) p.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
      else p.resolve();
    });
    const die = (err: Error): void => {
      this.dead = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`index commit thread exited (${code})`)));
  }

  /** The worker is running; until then (and after it died) commits run on the caller's thread. */
  get online(): boolean {
    return this.started && this.dead === undefined;
  }

  commit(ops: readonly IndexOp[]): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const packed = packOps(this.tables, ops);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A pending commit keeps the process alive; an idle worker does not.
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, packed }, [packed.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    if (!this.dead) {
      const closed = new Promise<void>((resolve) => {
        this.worker.on('message', (m: { closed?: true }) => m.closed && resolve());
        this.worker.once('exit', () => resolve());
      });
      this.worker.ref();
      this.worker.postMessage({ close: true });
      await closed;
    }
    await this.worker.terminate();
  }

  private idle(): void {
    if (this.pending.size === 0) this.worker.unref();
  }
}
