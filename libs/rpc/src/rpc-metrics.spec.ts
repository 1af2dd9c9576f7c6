import { testingV1Echo } from '@platter/proto';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Code } from './code.js';
import { rpcMetrics } from './metrics.js';
import { createRpcClient } from './rpc-client.js';
import { createRpcServer } from './rpc-server.js';
import { collect, startEchoServer, type RunningServer } from './testing/echo-fixture.js';
import type { RpcClient } from './types.js';

const SERVICE = 'platter.testing.v1.EchoService';

/** The value of one sample in the text exposition, or undefined when absent. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('RPC metrics', () => {
  const registry = new Registry();
  let running: RunningServer;
  let client: RpcClient<typeof testingV1Echo.EchoService>;

  beforeAll(async () => {
    running = await startEchoServer({ registry });
    client = createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 5_000, registry });
    await client.echo({ text: 'a' });
    await client.echo({ text: 'b' });
    await client.echo({ text: 'c', failCode: Code.NOT_FOUND }).catch(() => undefined);
    await client.echo({ text: 'd', delayMs: 2_000 }, { timeoutMs: 100 }).catch(() => undefined);
    await collect(client.download({ bytes: 10n, chunkSize: 4 }));
    await collect(
      client.chat(
        (async function* () {
          for (const text of ['x', 'y', 'z']) yield { text };
        })(),
      ),
    );
    await client.upload(
      (async function* () {
        yield { payload: { case: 'header' as const, value: { name: 'u' } } };
        yield { payload: { case: 'data' as const, value: new Uint8Array(3) } };
      })(),
    );
  });

  afterAll(async () => {
    client.close();
    await running.stop();
  });

  it('counts server calls by service, method and status code', async () => {
    const text = await registry.metrics();
    const handled = (method: string, code: string) =>
      sample(text, `platter_rpc_server_handled_total{service="${SERVICE}",method="${method}",code="${code}"}`);
    expect(handled('Echo', 'OK')).toBe(2);
    expect(handled('Echo', 'NOT_FOUND')).toBe(1);
    await vi.waitFor(async () => {
      const later = await registry.metrics();
      expect(
        sample(later, `platter_rpc_server_handled_total{service="${SERVICE}",method="Echo",code="DEADLINE_EXCEEDED"}`),
      ).toBe(1);
    });
    expect(handled('Download', 'OK')).toBe(1);
    expect(text).toContain('# TYPE platter_rpc_server_handled_total counter');
  });

  it('counts client calls the same way, as the client saw them', async () => {
    const text = await registry.metrics();
    const handled = (code: string) =>
      sample(text, `platter_rpc_client_handled_total{service="${SERVICE}",method="Echo",code="${code}"}`);
    expect(handled('OK')).toBe(2);
    expect(handled('NOT_FOUND')).toBe(1);
    expect(handled('DEADLINE_EXCEEDED')).toBe(1);
    expect(sample(text, `platter_rpc_client_handled_total{service="${SERVICE}",method="Download",code="OK"}`)).toBe(1);
  });

  it('times calls in a histogram by service and method, on both sides', async () => {
    const text = await registry.metrics();
    for (const side of ['server', 'client']) {
      const name = `platter_rpc_${side}_handling_seconds`;
      expect(text).toContain(`# TYPE ${name} histogram`);
      const labels = `service="${SERVICE}",method="Echo"`;
      expect(sample(text, `${name}_count{${labels}}`)).toBe(4);
      expect(sample(text, `${name}_bucket{le="+Inf",${labels}}`)).toBe(4);
      // The timed-out call took at least its 100 ms timeout, so it is never
      // under 50 ms; the others usually are, but a loaded machine may slow them.
      expect(sample(text, `${name}_bucket{le="0.05",${labels}}`)).toBeLessThanOrEqual(3);
      expect(sample(text, `${name}_sum{${labels}}`)).toBeGreaterThanOrEqual(0.09);
    }
  });

  it('counts the messages of streams on both sides, each direction apart', async () => {
    const text = await registry.metrics();
    const messages = (side: string, method: string, direction: string) =>
      sample(
        text,
        `platter_rpc_${side}_stream_messages_total{service="${SERVICE}",method="${method}",direction="${direction}"}`,
      );
    // Download: 10 bytes in 4-byte chunks = 3 responses; Chat: 3 each way; Upload: header + 1 chunk.
    expect(messages('server', 'Download', 'sent')).toBe(3);
    expect(messages('client', 'Download', 'received')).toBe(3);
    expect(messages('client', 'Chat', 'sent')).toBe(3);
    expect(messages('server', 'Chat', 'received')).toBe(3);
    expect(messages('server', 'Chat', 'sent')).toBe(3);
    expect(messages('client', 'Chat', 'received')).toBe(3);
    expect(messages('client', 'Upload', 'sent')).toBe(2);
    expect(messages('server', 'Upload', 'received')).toBe(2);
    // Unary calls are counted as calls only.
    expect(text).not.toContain('method="Echo",direction=');
    expect(text).toContain('# TYPE platter_rpc_server_stream_messages_total counter');
  });

  it('exposes the same through getMetricsAsJSON', async () => {
    const json = await registry.getMetricsAsJSON();
    const seconds = json.find((metric) => metric.name === 'platter_rpc_client_handling_seconds');
    expect(seconds?.type).toBe('histogram');
    const count = seconds?.values.find(
      (value) =>
        (value as { metricName?: string }).metricName === 'platter_rpc_client_handling_seconds_count' &&
        value.labels.method === 'Echo',
    );
    expect(count?.value).toBe(4);
  });

  it('lets many servers and clients share one registry, each metric created once', async () => {
    const logger = pino({ level: 'silent' });
    const servers = [createRpcServer({ logger, registry }), createRpcServer({ logger, registry })];
    const clients = [0, 1, 2].map(() =>
      createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 1_000, registry }),
    );
    expect(rpcMetrics(registry, 'server')).toBe(rpcMetrics(registry, 'server'));
    for (const c of clients) c.close();
    for (const s of servers) await s.shutdown(100);
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names.filter((name) => name === 'platter_rpc_server_handled_total')).toHaveLength(1);
  });

  it('refuses a registry where someone else took the names', () => {
    const other = new Registry();
    new Counter({ name: 'platter_rpc_server_handled_total', help: 'not ours', registers: [other] });
    expect(() => rpcMetrics(other, 'server')).toThrow(/already registered/);
  });
});
