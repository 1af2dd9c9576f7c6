import { MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';
import { testingV1Echo } from '@platter/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { Code } from './code.js';
import { createRpcClient } from './rpc-client.js';
import { RpcError } from './rpc-error.js';
import { echoImpl, startEchoServer, type RunningServer } from './testing/echo-fixture.js';
import { overrideService } from './testing/fake-service.js';

// echo.proto declares no idempotency; a copy of the descriptor that says
// IDEMPOTENT stands in for a contract that does (same paths on the wire).
const IdempotentEcho = overrideService(testingV1Echo.EchoService, {
  idempotency: MethodOptions_IdempotencyLevel.IDEMPOTENT,
});
const QUICK_RETRIES = { initialBackoffMs: 20, maxBackoffMs: 100, maxAttempts: 50 };

describe('retries over loopback', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A server whose Echo answers UNAVAILABLE to the first `failures` calls. */
  async function flakyServer(failures: number): Promise<RunningServer> {
    const running = await startEchoServer({
      setup: (server, seen) =>
        server.add(testingV1Echo.EchoService, {
          ...echoImpl(seen),
          async echo(request) {
            seen.echoCalls++;
            if (seen.echoCalls <= failures) throw new RpcError(Code.UNAVAILABLE, `try again (${seen.echoCalls})`);
            return { text: request.text };
          },
        }),
    });
    cleanups.push(() => running.stop());
    return running;
  }

  it('retries an idempotent method on UNAVAILABLE until it succeeds', async () => {
    const running = await flakyServer(2);
    const client = createRpcClient(IdempotentEcho, running.address, { defaultTimeoutMs: 5_000, retry: QUICK_RETRIES });
    cleanups.push(() => client.close());
    expect((await client.echo({ text: 'hi' })).text).toBe('hi');
    expect(running.seen.echoCalls).toBe(3);
  });

  it('does not retry a method the proto does not declare idempotent', async () => {
    const running = await flakyServer(2);
    const client = createRpcClient(testingV1Echo.EchoService, running.address, {
      defaultTimeoutMs: 5_000,
      retry: QUICK_RETRIES,
    });
    cleanups.push(() => client.close());
    const error = await client.echo({ text: 'hi' }).catch((e: unknown) => e);
    expect((error as RpcError).code).toBe(Code.UNAVAILABLE);
    expect(running.seen.echoCalls).toBe(1);
  });

  it('does not retry other codes, even for an idempotent method', async () => {
    const running = await startEchoServer();
    cleanups.push(() => running.stop());
    const client = createRpcClient(IdempotentEcho, running.address, { defaultTimeoutMs: 5_000, retry: QUICK_RETRIES });
    cleanups.push(() => client.close());
    const error = await client.echo({ text: 'x', failCode: Code.RESOURCE_EXHAUSTED }).catch((e: unknown) => e);
    expect((error as RpcError).code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(running.seen.echoCalls).toBe(1);
  });

  it('does not retry when retries are turned off', async () => {
    const running = await flakyServer(2);
    const client = createRpcClient(IdempotentEcho, running.address, { defaultTimeoutMs: 5_000, retry: false });
    cleanups.push(() => client.close());
    await client.echo({ text: 'hi' }).catch(() => undefined);
    expect(running.seen.echoCalls).toBe(1);
  });

  it('stops retrying at the deadline, with the last error', async () => {
    const running = await flakyServer(Number.MAX_SAFE_INTEGER);
    const client = createRpcClient(IdempotentEcho, running.address, { defaultTimeoutMs: 5_000, retry: QUICK_RETRIES });
    cleanups.push(() => client.close());
    const started = Date.now();
    const error = await client.echo({ text: 'hi' }, { timeoutMs: 400 }).catch((e: unknown) => e);
    // The last attempt's UNAVAILABLE, or DEADLINE_EXCEEDED when the deadline fell
    // inside an attempt (a loaded machine answers late): never a retry past it.
    expect([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED]).toContain((error as RpcError).code);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(running.seen.echoCalls).toBeGreaterThan(2);
  });

  it('rides out a server that is down when the call starts and comes up within the deadline', async () => {
    // Find a free port, then leave it unbound.
    const probe = await startEchoServer();
    const port = probe.port;
    await probe.stop();

    const client = createRpcClient(IdempotentEcho, `127.0.0.1:${port}`, {
      defaultTimeoutMs: 10_000,
      retry: QUICK_RETRIES,
    });
    cleanups.push(() => client.close());
    const plain = createRpcClient(testingV1Echo.EchoService, `127.0.0.1:${port}`, { defaultTimeoutMs: 10_000 });
    cleanups.push(() => plain.close());

    const started = Date.now();
    const plainError = await plain.echo({ text: 'x' }).catch((e: unknown) => e);
    expect((plainError as RpcError).code).toBe(Code.UNAVAILABLE);
    expect(Date.now() - started).toBeLessThan(3_000);

    const call = client.echo({ text: 'eventually' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const running = await startEchoServer({ port });
    cleanups.push(() => running.stop());
    expect((await call).text).toBe('eventually');
    expect(running.seen.echoCalls).toBe(1);
  });
});
