import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseCompleteMultipartUpload, parseDeleteObjects, S3Error, type S3ErrorCode } from '@platter/s3';

// Parsing a large XML body is long CPU work for the event loop: here a
// 10,000-part CompleteMultipartUpload (1.3 MB) takes 150–650 ms in
// fast-xml-parser, a 1,000-key DeleteObjects with long keys 30–130 ms, and a
// hostile 2 MB body up to 0.6 s, during which the frontend serves nothing
// else. Bodies above LOCAL_XML_MAX_BYTES are parsed in a worker thread by the
// very same parser functions (@platter/s3, loaded there from its build); the
// result, or the S3 error, comes back by message. Small bodies stay on the
// loop, where parsing costs less than the messages would.

/** Bodies of at most this many bytes are parsed on the event loop: about 0.1 ms per KiB here, so under 1 ms. */
export const LOCAL_XML_MAX_BYTES = 8 * 1024;

const PARSERS = { parseCompleteMultipartUpload, parseDeleteObjects } as const;
/** The body parsers of @platter/s3 that may run in the worker. */
export type XmlBodyParser = keyof typeof PARSERS;
type Parsed<P extends XmlBodyParser> = ReturnType<(typeof PARSERS)[P]>;

/** Kept in a string so that the worker runs the same from source and from dist (see DigestPool). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const s3 = import(workerData.s3Url);
parentPort.on('message', async ({ id, parser, body }) => {
  try {
    parentPort.postMessage({ id, value: (await s3)[parser](body) });
  } catch (e) {
    const error = e && e.name === 'S3Error'
      ? { code: e.code, message: e.message, details: e.details }
      : { message: String((e && e.stack) || e) };
    parentPort.postMessage({ id, error });
  }
});
`;

interface Reply {
  id: number;
  value?: unknown;
  error?: { code?: S3ErrorCode; message: string; details?: Record<string, string> };
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** `parser` on `body`: in `pool`'s worker when given (and the body is large), else here. */
export function parseXmlBody<P extends XmlBodyParser>(
  pool: XmlParsePool | undefined,
  parser: P,
  body: Buffer,
): Promise<Parsed<P>> {
  return pool ? pool.parse(parser, body) : parseHere(parser, body);
}

function parseHere<P extends XmlBodyParser>(parser: P, body: Buffer): Promise<Parsed<P>> {
  try {
    return Promise.resolve(PARSERS[parser](body) as Parsed<P>);
  } catch (error) {
    return Promise.reject(error);
  }
}

export class XmlParsePool {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private s3Url: string | undefined;
  private closing = false;
  /** Bodies parsed in the worker so far. */
  offloaded = 0;

  /** Parses `body` with `parser`: on the loop when small, else in the worker; rejects with the parser's S3Error. */
  parse<P extends XmlBodyParser>(parser: P, body: Buffer): Promise<Parsed<P>> {
    if (body.length <= LOCAL_XML_MAX_BYTES) return parseHere(parser, body);
    const id = this.nextId++;
    const worker = this.started();
    this.offloaded++;
    return new Promise<Parsed<P>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // A body in the worker keeps the process alive until it is answered; an idle worker does not.
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, parser, body });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker?.terminate();
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    this.s3Url ??= builtS3Entry();
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { s3Url: this.s3Url } });
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (this.pending.size === 0) worker.unref();
      if (p === undefined) return;
      if (r.error === undefined) p.resolve(r.value);
      else if (r.error.code !== undefined)
        p.reject(new S3Error(r.error.code, r.error.message, { details: r.error.details ?? {} }));
      else p.reject(new Error(`XML parser worker failed: ${r.error.message}`));
    });
    // A worker that dies takes its bodies with it: they fail, the next body starts a new worker.
    let cause: unknown;
    worker.on('error', (err) => (cause = err));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(
        this.closing
          ? new S3Error('ServiceUnavailable', 'The frontend is shutting down.')
          : new Error('XML parser worker exited', { cause }),
      );
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(error: unknown): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }
}

/**
 * The file URL of @platter/s3's build (its package's "default" export): found
 * from wherever the package resolves here, which under the tests is its
 * source, a TypeScript file a worker thread cannot load.
 */
function builtS3Entry(): string {
  let dir = path.dirname(createRequire(import.meta.url).resolve('@platter/s3'));
  let pkg = readPackage(dir);
  while (pkg === undefined) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('@platter/s3 has no package.json above its entry');
    dir = up;
    pkg = readPackage(dir);
  }
  const entry = pkg.exports?.['.']?.default;
  if (typeof entry !== 'string') throw new Error('@platter/s3 exports no default entry');
  return pathToFileURL(path.join(dir, entry)).href;
}

function readPackage(dir: string): { name?: string; exports?: Record<string, { default?: string }> } | undefined {
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      name?: string;
      exports?: Record<string, { default?: string }>;
    };
    return pkg.name === '@platter/s3' ? pkg : undefined;
  } catch {
    return undefined;
  }
}
