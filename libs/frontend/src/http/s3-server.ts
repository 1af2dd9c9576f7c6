import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { describeRequest, errorResponseXml, S3Error, SigV4Verifier } from '@platter/s3';
import type { Logger } from '@platter/telemetry';
import type { AccessKeys } from '../cluster/access-keys.js';
import type { S3Call, S3Handler, S3Response } from './s3-call.js';
import { parseAddress, type S3Address } from './s3-request.js';

// node:http in front of the S3 handlers: request id, SigV4, routing, and the
// one place where an error becomes an S3 XML answer. Bodies stream both ways
// with backpressure; nothing here reads a body.

// Request ids: a random prefix per process and a counter. Unique without a
// CSPRNG call per request (randomBytes was ~1% of a 4 KiB GET's CPU).
const REQUEST_ID_PREFIX = randomBytes(4).toString('hex').toUpperCase();
let requestCount = 0;

function nextRequestId(): string {
  requestCount = (requestCount + 1) >>> 0;
  return REQUEST_ID_PREFIX + requestCount.toString(16).toUpperCase().padStart(8, '0');
}

/** S3 answers a request whose headers exceed 8 KiB with 400; node's own cap sits above that. */
const MAX_HEADER_BYTES = 16 * 1024;
/** A client that sends nothing for this long is cut off (slowloris). */
const HEADERS_TIMEOUT_MS = 30_000;
/** Idle socket between bytes of a body. */
const SOCKET_IDLE_TIMEOUT_MS = 120_000;
/** Listeners a request's signal may hold before Node warns of a leak: its fan-out, with room to spare. */
const REQUEST_SIGNAL_MAX_LISTENERS = 64;

export type S3Route = (method: string, address: S3Address) => S3Handler | undefined;

export interface S3ServerOptions {
  region: string;
  baseDomains: readonly string[];
  accessKeys: Pick<AccessKeys, 'find'>;
  route: S3Route;
  /**
   * Whether a bucket exists, asked for unsigned requests only: S3 tells an
   * anonymous caller NoSuchBucket (bucket names are global and CreateBucket
   * discloses them anyway) but AccessDenied for anything inside a bucket.
   * Without it every unsigned request is AccessDenied.
   */
  bucketExists?: (bucket: string, signal: AbortSignal) => Promise<boolean>;
  logger: Logger;
  /** Counts each answered request by operation outcome; optional. */
  onResponse?: (method: string, status: number, seconds: number) => void;
}

export class S3Server {
  private readonly server: Server;
  private readonly verifier: SigV4Verifier;

  constructor(private readonly opts: S3ServerOptions) {
    this.verifier = new SigV4Verifier({
      regions: [opts.region],
      lookupSecret: async (id) => opts.accessKeys.find(id)?.secretAccessKey,
    });
    this.server = createServer(
      { maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: 0 },
      (req, res) => void this.handle(req, res),
    );
    this.server.setTimeout(SOCKET_IDLE_TIMEOUT_MS);
    // Expect: 100-continue: the client waits for "100 Continue" before the
    // body. It is sent only once a handler starts reading the body, so that
    // a refused request (auth, missing bucket, precondition) is answered
    // before gigabytes are sent for nothing.
    this.server.on('checkContinue', (req, res) => {
      const onListener = (event: string | symbol): void => {
        if (event !== 'data' && event !== 'readable') return;
        req.off('newListener', onListener);
        res.writeContinue();
      };
      req.on('newListener', onListener);
      void this.handle(req, res);
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts the rest. */
  async close(graceMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = nextRequestId();
    // Made on first use: a pino child per request (its bindings pass the
    // redactor) was ~3% of a 4 KiB GET's CPU, and most requests log nothing.
    let child: Logger | undefined;
    const logger = (): Logger => (child ??= this.opts.logger.child({ requestId }));
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('Server', 'Platter');
    const abort = new AbortController();
    // Everything working for the request listens on its signal while it runs:
    // DeleteObjects' parallel deletes, the shard streams of the stripes in
    // flight. Node's leak warning at 10 is for targets that outlive their
    // listeners; this one lives as long as the request.
    setMaxListeners(REQUEST_SIGNAL_MAX_LISTENERS, abort.signal);
    const onClose = (): void => {
      if (!res.writableFinished) abort.abort(new S3Error('RequestTimeout', 'The client went away.'));
    };
    res.once('close', onClose);
    const method = req.method ?? 'GET';
    let resource: string | undefined;
    try {
      const address = parseAddress(req, this.opts.baseDomains);
      resource = address.rawPath;
      // CORS preflights are unsigned and Platter has no CORS configuration to answer them with.
      if (method === 'OPTIONS') throw new S3Error('InvalidRequest', 'CORS is not configured for this bucket.');
      const auth = await this.verifier.verify(
        describeRequest(method, req.url ?? '/', req.headers as Record<string, string | string[]>),
        new Date(),
      );
      if (auth.kind !== 'signed') throw await this.anonymousRefusal(address, abort.signal);
      const key = this.opts.accessKeys.find(auth.accessKeyId);
      if (!key) throw new S3Error('InvalidAccessKeyId');
      const handler = this.opts.route(method, address);
      if (!handler) throw new S3Error('MethodNotAllowed');
      const call: S3Call = {
        requestId,
        method,
        address,
        req,
        auth,
        accountId: key.account,
        signal: abort.signal,
        get logger() {
          return logger();
        },
      };
      await this.send(req, res, await handler(call));
    } catch (err) {
      this.fail(req, res, err, { requestId, resource, logger });
    } finally {
      res.off('close', onClose);
      this.opts.onResponse?.(method, res.statusCode, (performance.now() - started) / 1000);
    }
  }

  /** Platter grants nothing to anonymous callers; only a missing bucket is worth naming. */
  private async anonymousRefusal(address: S3Address, signal: AbortSignal): Promise<S3Error> {
    const { bucket } = address;
    if (bucket === undefined || !this.opts.bucketExists) return new S3Error('AccessDenied');
    let exists: boolean;
    try {
      exists = await this.opts.bucketExists(bucket, signal);
    } catch {
      // Unknown (namespace unreachable): the refusal stands without the detail.
      return new S3Error('AccessDenied');
    }
    return exists
      ? new S3Error('AccessDenied')
      : new S3Error('NoSuchBucket', undefined, { details: { BucketName: bucket } });
  }

  private async send(req: IncomingMessage, res: ServerResponse, r: S3Response): Promise<void> {
    res.statusCode = r.status;
    for (const [name, value] of Object.entries(r.headers ?? {})) res.setHeader(name, value);
    const body = req.method === 'HEAD' ? undefined : r.body;
    if (body === undefined) {
      res.end();
      return drainRequest(req);
    }
    if (typeof body === 'string') {
      res.setHeader('Content-Type', 'application/xml');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(body);
      return drainRequest(req);
    }
    if (body instanceof Uint8Array) {
      res.end(body);
      return drainRequest(req);
    }
    await pipeline(Readable.from(body, { objectMode: false }), res);
  }

  private fail(
    req: IncomingMessage,
    res: ServerResponse,
    err: unknown,
    ctx: { requestId: string; resource: string | undefined; logger: () => Logger },
  ): void {
    const s3 = err instanceof S3Error ? err : new S3Error('InternalError', undefined, { cause: err });
    if (s3.status >= 500) ctx.logger().error({ err }, 'request failed');
    else if (this.opts.logger.isLevelEnabled('debug')) ctx.logger().debug({ code: s3.code }, 'request refused');
    if (res.headersSent) {
      // Mid-body: the only honest signal left is a cut connection.
      res.destroy(s3);
      return;
    }
    const body =
      req.method === 'HEAD' || s3.status === 304
        ? ''
        : errorResponseXml(s3, { requestId: ctx.requestId, resource: ctx.resource });
    res.statusCode = s3.status;
    for (const [name, value] of Object.entries(s3.headers)) res.setHeader(name, value);
    if (body) res.setHeader('Content-Type', 'application/xml');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    // A refused upload's body is not read: close rather than drain gigabytes.
    if (!req.complete) res.setHeader('Connection', 'close');
    res.end(body);
  }
}

/** Reads and drops what is left of a request body so the connection can be reused. */
function drainRequest(req: IncomingMessage): void {
  if (!req.complete) req.resume();
}
