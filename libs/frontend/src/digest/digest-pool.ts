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

export class DigestPool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, (r: Reply) => void>();
  private nextId = 1;

  constructor(size: number) {
    this.workers = Array.from({ length: Math.max(1, size) }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.on('message', (r: Reply) => {
        this.waiting.get(r.id)?.(r);
        this.waiting.delete(r.id);
      });
      // Idle workers must not keep the process alive.
      w.unref();
      return w;
    });
  }

  /**
   * A hashing session for one body; feed it in order, then digest() or
   * abandon(). `sizeBytes`, when known, lets a small body be hashed here.
   */
  open(algorithms: readonly WorkerDigest[], sizeBytes?: number): DigestSession {
    if (sizeBytes !== undefined && sizeBytes <= LOCAL_DIGEST_MAX_BYTES) return new LocalDigestSession(algorithms);
    const id = this.nextId++;
    const worker = this.workers[id % this.workers.length]!;
    worker.postMessage({ op: 'open', id, algorithms });
    return new WorkerDigestSession(id, worker, algorithms, (r) => this.waiting.set(id, r));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
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
    private readonly worker: Worker,
    readonly algorithms: readonly WorkerDigest[],
    private readonly expect: (resolve: (r: Reply) => void) => void,
  ) {}

  update(chunk: Uint8Array): void {
    if (this.closed) throw new Error('digest session is closed');
    const copy = new Uint8Array(chunk);
    this.worker.postMessage({ op: 'update', id: this.id, chunk: copy }, [copy.buffer]);
  }

  digest(): Promise<Buffer[]> {
    this.closed = true;
    return new Promise((resolve) => {
      this.expect((r) => resolve(r.digests.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength))));
      this.worker.postMessage({ op: 'close', id: this.id, digest: true });
    });
  }

  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage({ op: 'close', id: this.id, digest: false });
  }
}
