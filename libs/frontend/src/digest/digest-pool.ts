import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

// MD5 (the ETag) and the SHA additional checksums cost 1.5–3 ms of CPU per
// MiB here: on the event loop they would stall every other request. Each
// upload's hashing is pinned to one worker thread (a hash state cannot move
// between threads); the bytes are copied across, which costs a tenth of
// hashing them. CRCs stay on the loop: they run at several GB/s.
//
// A small body is hashed on the loop instead: its three messages to a worker
// (open, update, close) and the reply cost more than hashing it, and for
// 4 KiB PUTs they were a sixth of the frontend's CPU.

/** Bodies of at most this many bytes are hashed on the event loop (64 KiB of MD5 is ≈0.1 ms here). */
export const LOCAL_DIGEST_MAX_BYTES = 64 * 1024;

export type WorkerDigest = 'md5' | 'sha1' | 'sha256';

/** Kept in a string so that the worker runs the same from source and from dist. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const sessions = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'open') sessions.set(m.id, m.algorithms.map((a) => createHash(a)));
  else if (m.op === 'update') for (const h of sessions.get(m.id)) h.update(m.chunk);
  else if (m.op === 'close') {
    const hashes = sessions.get(m.id);
    sessions.delete(m.id);
    if (m.digest) parentPort.postMessage({ id: m.id, digests: hashes.map((h) => h.digest()) });
  }
});
`;

interface Reply {
  id: number;
  digests: Uint8Array[];
}

/** One hashing thread; `dead` once it exited, so that its sessions fail instead of waiting. */
interface DigestThread {
  worker: Worker;
  dead: boolean;
  waiting: Map<number, { resolve: (r: Reply) => void; reject: (e: unknown) => void }>;
}

export class DigestPool {
  private readonly threads: DigestThread[];
  private nextId = 1;
  private closing = false;

  constructor(size: number) {
    this.threads = Array.from({ length: Math.max(1, size) }, () => this.spawn());
  }

  /**
   * A hashing session for one body; feed it in order, then digest() or
   * abandon(). `sizeBytes`, when known, lets a small body be hashed here.
   */
  open(algorithms: readonly WorkerDigest[], sizeBytes?: number): DigestSession {
    if (sizeBytes !== undefined && sizeBytes <= LOCAL_DIGEST_MAX_BYTES) return new LocalDigestSession(algorithms);
    const id = this.nextId++;
    const slot = id % this.threads.length;
    // A thread that died is replaced by the next session that lands on it.
    if (this.threads[slot]!.dead) this.threads[slot] = this.spawn();
    const thread = this.threads[slot]!;
    thread.worker.postMessage({ op: 'open', id, algorithms });
    return new WorkerDigestSession(id, thread, algorithms);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private spawn(): DigestThread {
    const thread: DigestThread = { worker: new Worker(WORKER_SOURCE, { eval: true }), dead: false, waiting: new Map() };
    thread.worker.on('message', (r: Reply) => {
      thread.waiting.get(r.id)?.resolve(r);
      thread.waiting.delete(r.id);
    });
    // A thread that fails takes its sessions with it: their digests reject (the
    // uploads fail) rather than wait forever. Its 'error' is followed by 'exit'.
    let cause: unknown;
    thread.worker.on('error', (err) => (cause = err));
    thread.worker.on('exit', () => {
      thread.dead = true;
      const error = new Error(this.closing ? 'digest threads stopped' : 'a digest thread exited', { cause });
      for (const w of thread.waiting.values()) w.reject(error);
      thread.waiting.clear();
    });
    // Idle workers must not keep the process alive.
    thread.worker.unref();
    return thread;
  }
}

/** The digests of one body, fed in order. */
export interface DigestSession {
  readonly algorithms: readonly WorkerDigest[];
  update(chunk: Uint8Array): void;
  /** The digests, in the order of `algorithms`. */
  digest(): Promise<Buffer[]>;
  abandon(): void;
}

class LocalDigestSession implements DigestSession {
  private readonly hashes: Hash[];
  private closed = false;

  constructor(readonly algorithms: readonly WorkerDigest[]) {
    this.hashes = algorithms.map((a) => createHash(a));
  }

  update(chunk: Uint8Array): void {
    if (this.closed) throw new Error('digest session is closed');
    for (const h of this.hashes) h.update(chunk);
  }

  digest(): Promise<Buffer[]> {
    this.closed = true;
    return Promise.resolve(this.hashes.map((h) => h.digest()));
  }

  abandon(): void {
    this.closed = true;
  }
}

class WorkerDigestSession implements DigestSession {
  private closed = false;

  constructor(
    private readonly id: number,
    private readonly thread: DigestThread,
    readonly algorithms: readonly WorkerDigest[],
  ) {}

  update(chunk: Uint8Array): void {
    if (this.closed) throw new Error('digest session is closed');
    const copy = new Uint8Array(chunk);
    this.thread.worker.postMessage({ op: 'update', id: this.id, chunk: copy }, [copy.buffer]);
  }

  digest(): Promise<Buffer[]> {
    this.closed = true;
    if (this.thread.dead) return Promise.reject(new Error('the digest thread of this session exited'));
    return new Promise((resolve, reject) => {
      this.thread.waiting.set(this.id, {
        resolve: (r) => resolve(r.digests.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength))),
        reject,
      });
      this.thread.worker.postMessage({ op: 'close', id: this.id, digest: true });
    });
  }

  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.thread.dead) this.thread.worker.postMessage({ op: 'close', id: this.id, digest: false });
  }
}
