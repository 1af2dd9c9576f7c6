import { Writable } from 'node:stream';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from './admin-server.js';
import { healthProbe, type HealthReport } from './health.js';
import { createLogger } from './logger.js';
import { createMetricsRegistry } from './metrics.js';

const quietLogger = () => createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

async function get(url: string, init?: RequestInit): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

describe('startAdminServer', () => {
  let server: AdminServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves default metrics with service and instance labels', async () => {
    const registry = createMetricsRegistry({ service: 'storage', instance: 'node-7' });
    server = await startAdminServer({ host: '127.0.0.1', port: 0, registry, logger: quietLogger() });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await get(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.type).toBe(registry.contentType);
    expect(res.body).toMatch(/^process_cpu_user_seconds_total\{service="storage",instance="node-7"\} \d/m);
    expect(res.body).toContain('nodejs_eventloop_lag_seconds');
  });

  it('answers /healthz and /readyz with 200 or 503 and a JSON report', async () => {
    let ready = false;
    const readiness = healthProbe([
      { name: 'etcd', check: () => ready },
      { name: 'disk', check: () => ({ ok: true, detail: '3 disks' }) },
    ]);
    server = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      registry: createMetricsRegistry({ service: 't' }),
      logger: quietLogger(),
      readiness,
    });

    const live = await get(`${server.url}/healthz`);
    expect(live.status).toBe(200);
    expect(JSON.parse(live.body)).toEqual({ ok: true });

    const notReady = await get(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.type).toMatch(/^application\/json/);
    expect(JSON.parse(notReady.body) as HealthReport).toEqual({
      ok: false,
      checks: { etcd: { ok: false }, disk: { ok: true, detail: '3 disks' } },
    });

    ready = true;
    const nowReady = await get(`${server.url}/readyz?verbose=1`);
    expect(nowReady.status).toBe(200);
    expect((JSON.parse(nowReady.body) as HealthReport).ok).toBe(true);
  });

  it('reports 503 when a probe throws or hangs, instead of failing the request', async () => {
    server = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      registry: createMetricsRegistry({ service: 't' }),
      logger: quietLogger(),
      liveness: () => {
        throw new Error('secret internals');
      },
      readiness: () => new Promise<HealthReport>(() => undefined),
    });
    const live = await get(`${server.url}/healthz`);
    expect(live.status).toBe(503);
    expect(live.body).not.toContain('secret internals');
    const ready = await get(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body).toContain('timed out');
  });

  it('answers 404 for unknown paths, 405 for other methods, and survives garbage', async () => {
    server = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      registry: createMetricsRegistry({ service: 't' }),
      logger: quietLogger(),
    });
    expect((await get(`${server.url}/`)).status).toBe(404);
    expect((await get(`${server.url}/metrics/extra`)).status).toBe(404);
    expect((await get(`${server.url}/%zz`)).status).toBe(404);
    const post = await get(`${server.url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);

    // A request line no HTTP parser accepts: the socket is dropped, the server keeps serving.
    const port = server.port;
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/metrics',
        method: 'GET',
        headers: { 'content-length': 'nope' },
      });
      req.on('error', () => resolve());
      req.on('response', (res) => {
        res.resume();
        resolve();
      });
      req.end();
    });
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
  });

  it('rejects with a typed error when the port is taken', async () => {
    server = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      registry: createMetricsRegistry({ service: 't' }),
      logger: quietLogger(),
    });
    await expect(
      startAdminServer({
        host: '127.0.0.1',
        port: server.port,
        registry: createMetricsRegistry({ service: 't' }),
        logger: quietLogger(),
      }),
    ).rejects.toThrow(/cannot listen/);
  });
});
