import { healthV1, testingV1Echo } from '@platter/proto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkHealth } from './check-health.js';
import { Code } from './code.js';
import { HealthStatusManager, ServingStatus } from './health-status.js';
import { createRpcClient } from './rpc-client.js';
import { RpcError } from './rpc-error.js';
import { startEchoServer, type RunningServer } from './testing/echo-fixture.js';

const ECHO = testingV1Echo.EchoService.typeName;

/** Reads a watch in the background, keeping every status seen and how it ended. */
function watchInBackground(iterable: AsyncIterable<{ status: ServingStatus }>) {
  const seen: ServingStatus[] = [];
  const ended = (async () => {
    for await (const response of iterable) seen.push(response.status);
  })().then(
    () => 'ended' as const,
    (error: unknown) => error,
  );
  return { seen, ended };
}

describe('grpc.health.v1 on every server', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function server(): Promise<RunningServer> {
    const running = await startEchoServer();
    cleanups.push(() => running.stop());
    return running;
  }

  it('answers Check for the whole server, for each added service, and SERVICE_UNKNOWN for others', async () => {
    const { address } = await server();
    expect(await checkHealth(address, { timeoutMs: 2_000 })).toBe(ServingStatus.SERVING);
    expect(await checkHealth(address, { service: ECHO, timeoutMs: 2_000 })).toBe(ServingStatus.SERVING);
    expect(await checkHealth(address, { service: 'no.such.Service', timeoutMs: 2_000 })).toBe(
      ServingStatus.SERVICE_UNKNOWN,
    );
  });

  it('answers NOT_FOUND to a raw Check for an unknown service, as the protocol says', async () => {
    const { address } = await server();
    const client = createRpcClient(healthV1.Health, address, { defaultTimeoutMs: 2_000 });
    cleanups.push(() => client.close());
    const error = await client.check({ service: 'no.such.Service' }).catch((e: unknown) => e);
    expect((error as RpcError).code).toBe(Code.NOT_FOUND);
  });

  it('reports what the owner sets', async () => {
    const { address, server: rpcServer } = await server();
    rpcServer.health.setStatus(ECHO, ServingStatus.NOT_SERVING);
    expect(await checkHealth(address, { service: ECHO, timeoutMs: 2_000 })).toBe(ServingStatus.NOT_SERVING);
    rpcServer.health.setStatus(ECHO, ServingStatus.SERVING);
    expect(await checkHealth(address, { service: ECHO, timeoutMs: 2_000 })).toBe(ServingStatus.SERVING);
  });

  it('streams status changes to Watch', async () => {
    const { address, server: rpcServer } = await server();
    const client = createRpcClient(healthV1.Health, address, { defaultTimeoutMs: 10_000 });
    cleanups.push(() => client.close());
    const controller = new AbortController();
    const watch = watchInBackground(client.watch({ service: ECHO }, { signal: controller.signal }));
    await vi.waitFor(() => expect(watch.seen).toEqual([ServingStatus.SERVING]));
    rpcServer.health.setStatus(ECHO, ServingStatus.NOT_SERVING);
    await vi.waitFor(() => expect(watch.seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]));
    rpcServer.health.setStatus(ECHO, ServingStatus.NOT_SERVING); // no change, nothing sent
    rpcServer.health.setStatus(ECHO, ServingStatus.SERVING);
    await vi.waitFor(() =>
      expect(watch.seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVING]),
    );
    controller.abort();
    expect(((await watch.ended) as RpcError).code).toBe(Code.CANCELLED);
  });

  it('reports SERVICE_UNKNOWN to Watch for a service not (yet) registered, then its status once it is', async () => {
    const { address, server: rpcServer } = await server();
    const client = createRpcClient(healthV1.Health, address, { defaultTimeoutMs: 10_000 });
    cleanups.push(() => client.close());
    const controller = new AbortController();
    const watch = watchInBackground(client.watch({ service: 'later.Service' }, { signal: controller.signal }));
    await vi.waitFor(() => expect(watch.seen).toEqual([ServingStatus.SERVICE_UNKNOWN]));
    rpcServer.health.setStatus('later.Service', ServingStatus.SERVING);
    await vi.waitFor(() => expect(watch.seen).toEqual([ServingStatus.SERVICE_UNKNOWN, ServingStatus.SERVING]));
    controller.abort();
    await watch.ended;
  });

  it('turns NOT_SERVING as soon as shutdown begins, ends watches, and then refuses connections', async () => {
    const running = await startEchoServer();
    const client = createRpcClient(healthV1.Health, running.address, { defaultTimeoutMs: 10_000 });
    cleanups.push(() => client.close());
    const whole = watchInBackground(client.watch({ service: '' }));
    const echo = watchInBackground(client.watch({ service: ECHO }));
    await vi.waitFor(() => {
      expect(whole.seen).toEqual([ServingStatus.SERVING]);
      expect(echo.seen).toEqual([ServingStatus.SERVING]);
    });
    const started = Date.now();
    const shutdown = running.server.shutdown(5_000);
    expect(running.server.health.getStatus(ECHO)).toBe(ServingStatus.NOT_SERVING);
    await vi.waitFor(() => {
      expect(whole.seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
      expect(echo.seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    });
    // Watches end cleanly so that they do not hold the graceful shutdown for its whole grace period.
    expect(await whole.ended).toBe('ended');
    expect(await echo.ended).toBe('ended');
    await shutdown;
    expect(Date.now() - started).toBeLessThan(4_000);
    // Nothing can bring it back to SERVING.
    running.server.health.setStatus(ECHO, ServingStatus.SERVING);
    expect(running.server.health.getStatus(ECHO)).toBe(ServingStatus.NOT_SERVING);
    const error = await checkHealth(running.address, { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.UNAVAILABLE);
  });

  it('answers Check with NOT_SERVING when the owner enters shutdown before stopping the server', async () => {
    const { address, server: rpcServer } = await server();
    rpcServer.health.enterShutdown();
    expect(await checkHealth(address, { timeoutMs: 2_000 })).toBe(ServingStatus.NOT_SERVING);
    expect(await checkHealth(address, { service: ECHO, timeoutMs: 2_000 })).toBe(ServingStatus.NOT_SERVING);
  });

  it('forces calls still running after the grace period, and their handlers see their signal abort', async () => {
    const running = await startEchoServer();
    const client = createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 10_000 });
    cleanups.push(() => client.close());
    const call = client.echo({ text: 'stuck', delayMs: 8_000 }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(running.seen.echoCalls).toBe(1));
    const started = Date.now();
    await running.server.shutdown(300);
    expect(Date.now() - started).toBeLessThan(2_000);
    // The server resets the stream: grpc-js clients report that as CANCELLED.
    expect(((await call) as RpcError).code).toBe(Code.CANCELLED);
    await vi.waitFor(() => expect(running.seen.aborts.map((abort) => abort.text)).toEqual(['stuck']));
  });
});

describe('HealthStatusManager', () => {
  it('gives a slow watcher only the latest status', async () => {
    const manager = new HealthStatusManager();
    manager.setStatus('a', ServingStatus.SERVING);
    const controller = new AbortController();
    const iterator = manager.watch('a', controller.signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe(ServingStatus.SERVING);
    manager.setStatus('a', ServingStatus.NOT_SERVING);
    manager.setStatus('a', ServingStatus.SERVING);
    manager.setStatus('a', ServingStatus.NOT_SERVING);
    expect((await iterator.next()).value).toBe(ServingStatus.NOT_SERVING);
    controller.abort();
    expect((await iterator.next()).done).toBe(true);
  });

  it('ends a watch when its signal aborts while it waits', async () => {
    const manager = new HealthStatusManager();
    const controller = new AbortController();
    const iterator = manager.watch('x', controller.signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe(ServingStatus.SERVICE_UNKNOWN);
    const pending = iterator.next();
    controller.abort();
    expect((await pending).done).toBe(true);
  });
});
