import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import { AdminServerError } from './errors.js';
import type { HealthProbe, HealthReport } from './health.js';
import type { Logger } from './logger.js';

// A probe that has not answered by then is reported as failing: kubelet gives up at 1 s by default.
const PROBE_TIMEOUT_MS = 900;
// In-flight scrapes get this long to finish on close() before their sockets are cut.
const CLOSE_GRACE_MS = 1_000;

export interface AdminServerOptions {
  host: string;
  /** 0 picks an ephemeral port (read it back from AdminServer.port). */
  port: number;
  registry: Registry;
  logger: Logger;
  /** Is the process alive (not wedged)? Default: always ok. */
  liveness?: HealthProbe;
  /** Should it receive traffic now? Default: always ok. */
  readiness?: HealthProbe;
}

export interface AdminServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

const ALWAYS_OK: HealthProbe = () => ({ ok: true });
const ROUTES = new Set(['/metrics', '/healthz', '/readyz']);

function pathOf(rawUrl: string | undefined): string | undefined {
  try {
    return new URL(rawUrl ?? '/', 'http://admin.invalid').pathname;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string, head: boolean): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(head ? undefined : body);
}

async function runProbe(probe: HealthProbe): Promise<HealthReport> {
  const timedOut = Symbol('timeout');
  const report = await Promise.race([Promise.resolve().then(probe), sleep(PROBE_TIMEOUT_MS, timedOut, { ref: false })]);
  if (report === timedOut)
    return { ok: false, checks: { probe: { ok: false, detail: `timed out after ${PROBE_TIMEOUT_MS} ms` } } };
  return report;
}

/**
 * The per-process admin endpoint: GET /metrics (Prometheus text), /healthz
 * (liveness) and /readyz (readiness), 200 or 503 with a JSON report. Anything
 * else is 404 (405 for a wrong method on a known path). Handlers never throw.
 */
export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const log = opts.logger.child({ component: 'admin-server' });
  const liveness = opts.liveness ?? ALWAYS_OK;
  const readiness = opts.readiness ?? ALWAYS_OK;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url);
    if (path === undefined || !ROUTES.has(path)) {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n', req.method === 'HEAD');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
      return;
    }
    const head = req.method === 'HEAD';
    if (path === '/metrics') {
      try {
        send(res, 200, opts.registry.contentType, await opts.registry.metrics(), head);
      } catch (err) {
        log.error({ err }, 'metrics collection failed');
        send(res, 500, 'text/plain; charset=utf-8', 'metrics collection failed\n', head);
      }
      return;
    }
    let report: HealthReport;
    try {
      report = await runProbe(path === '/healthz' ? liveness : readiness);
    } catch (err) {
      log.warn({ err, path }, 'health probe threw');
      report = { ok: false, checks: { probe: { ok: false, detail: 'probe failed' } } };
    }
    send(res, report.ok ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify(report), head);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'admin request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', false);
      else res.destroy();
    });
  });
  // Malformed requests must not become unhandled 'error' events.
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(
        new AdminServerError(`admin server cannot listen on ${opts.host}:${opts.port}: ${err.message}`, { cause: err }),
      );
    server.once('error', onError);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'admin server error'));

  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closing: Promise<void> | undefined;
  log.info({ port, host: opts.host }, 'admin server listening');
  return {
    port,
    url: `http://${hostForUrl}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
