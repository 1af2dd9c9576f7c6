import { setTimeout as sleep } from 'node:timers/promises';
import { testingV1Echo } from '@platter/proto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Code } from './code.js';
import { createRpcClient } from './rpc-client.js';
import { RpcError } from './rpc-error.js';
import { collect, echoImpl, startEchoServer, type RunningServer } from './testing/echo-fixture.js';
import { startTcpProxy } from './testing/tcp-proxy.js';
import type { HandlerContext, RpcClient } from './types.js';

async function rejection(promise: Promise<unknown>): Promise<RpcError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(RpcError);
  return outcome as RpcError;
}

function abortCode(reason: unknown): Code | undefined {
  return reason instanceof RpcError ? reason.code : undefined;
}

describe('deadlines and cancellation', () => {
  let running: RunningServer;
  let client: RpcClient<typeof testingV1Echo.EchoService>;
  /** Contexts of download handlers, to watch their signals. */
  const downloads: HandlerContext[] = [];
  /** Upload handlers that failed, with their error; and every upload handler's context. */
  const uploads: { context: HandlerContext; error: unknown }[] = [];
  const uploadContexts: HandlerContext[] = [];

  beforeAll(async () => {
    running = await startEchoServer({
      setup: (server, seen) => {
        const plain = echoImpl(seen);
        server.add(testingV1Echo.EchoService, {
          ...plain,
          // Sends one message, then waits for its signal.
          async *download(_request, context) {
            downloads.push(context);
            yield { offset: 0n, data: new Uint8Array(4) };
            await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
          },
          async upload(requests, context) {
            uploadContexts.push(context);
            try {
              for await (const _request of requests);
              return {};
            } catch (error) {
              uploads.push({ context, error });
              throw error;
            }
          },
        });
      },
    });
    client = createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 5_000 });
  });

  afterAll(async () => {
    client.close();
    await running.stop();
  });

  /** The abort reason the echo handler saw for the request with this text. */
  async function handlerAbort(text: string): Promise<Code | undefined> {
    await vi.waitFor(() => expect(running.seen.aborts.some((abort) => abort.text === text)).toBe(true), {
      timeout: 2_000,
    });
    return abortCode(running.seen.aborts.find((abort) => abort.text === text)?.reason);
  }

  it('fails with DEADLINE_EXCEEDED when the server is slower than the timeout, and aborts the handler', async () => {
    const started = Date.now();
    const error = await rejection(client.echo({ text: 'slow-1', delayMs: 3_000 }, { timeoutMs: 200 }));
    expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await handlerAbort('slow-1')).toBe(Code.DEADLINE_EXCEEDED);
  });

  it('applies the default timeout when a call gives none', async () => {
    const quick = createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 250 });
    try {
      const started = Date.now();
      const error = await rejection(quick.echo({ text: 'slow-2', delayMs: 3_000 }));
      expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(await handlerAbort('slow-2')).toBe(Code.DEADLINE_EXCEEDED);
    } finally {
      quick.close();
    }
  });

  it('refuses a client without a default timeout', () => {
    expect(() => createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 0 })).toThrow(
      TypeError,
    );
    expect(() =>
      createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: Number.POSITIVE_INFINITY }),
    ).toThrow(TypeError);
  });

  it('cancels when the caller aborts: CANCELLED for the client, an aborted signal for the handler', async () => {
    const controller = new AbortController();
    const calls = running.seen.echoCalls;
    const call = client.echo({ text: 'slow-3', delayMs: 3_000 }, { signal: controller.signal });
    await vi.waitFor(() => expect(running.seen.echoCalls).toBe(calls + 1));
    controller.abort();
    const error = await rejection(call);
    expect(error.code).toBe(Code.CANCELLED);
    expect(await handlerAbort('slow-3')).toBe(Code.CANCELLED);
  });

  it('does not start a call whose signal is already aborted', async () => {
    const calls = running.seen.echoCalls;
    const error = await rejection(client.echo({ text: 'x' }, { signal: AbortSignal.abort() }));
    expect(error.code).toBe(Code.CANCELLED);
    await sleep(50);
    expect(running.seen.echoCalls).toBe(calls);
  });

  it('cancels a server stream the consumer stops reading, and the handler sees it', async () => {
    for await (const message of client.download({ bytes: 4n })) {
      expect(message.data.byteLength).toBe(4);
      break;
    }
    const context = downloads.at(-1);
    await vi.waitFor(() => expect(context?.signal.aborted).toBe(true), { timeout: 2_000 });
    expect(abortCode(context?.signal.reason)).toBe(Code.CANCELLED);
  });

  it('ends a server stream at its deadline with DEADLINE_EXCEEDED', async () => {
    const iteration = collect(client.download({ bytes: 4n }, { timeoutMs: 300 }));
    const error = await rejection(iteration);
    expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
    const context = downloads.at(-1);
    await vi.waitFor(() => expect(context?.signal.aborted).toBe(true), { timeout: 2_000 });
    expect(abortCode(context?.signal.reason)).toBe(Code.DEADLINE_EXCEEDED);
  });

  it('cancels a client stream when the caller aborts: CANCELLED for the client, an aborted signal for the handler', async () => {
    const controller = new AbortController();
    let sent = 0;
    async function* forever() {
      for (let i = 0; i < 10_000; i++) {
        sent++;
        yield { payload: { case: 'header' as const, value: { name: `n${i}` } } };
        await sleep(5);
      }
    }
    setTimeout(() => controller.abort(), 200);
    const error = await rejection(client.upload(forever(), { signal: controller.signal }));
    expect(error.code).toBe(Code.CANCELLED);
    const sentAtCancel = sent;
    await vi.waitFor(() => expect(uploadContexts.at(-1)?.signal.aborted).toBe(true), { timeout: 2_000 });
    expect(abortCode(uploadContexts.at(-1)?.signal.reason)).toBe(Code.CANCELLED);
    // The request source is not pulled any further (one pull may have been pending; unchecked it would be ~10 more).
    await sleep(50);
    expect(sent).toBeLessThanOrEqual(sentAtCancel + 1);
  });

  it('never lets a connection lost mid-upload look like a complete request stream', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: running.port });
    const viaProxy = createRpcClient(testingV1Echo.EchoService, proxy.address, { defaultTimeoutMs: 5_000 });
    try {
      const failures = uploads.length;
      async function* slow() {
        for (let i = 0; i < 10_000; i++) {
          yield { payload: { case: 'header' as const, value: { name: `n${i}` } } };
          await sleep(5);
        }
      }
      const call = viaProxy.upload(slow());
      await vi.waitFor(() => expect(uploadContexts.length).toBeGreaterThan(0), { timeout: 2_000 });
      await sleep(100);
      proxy.cut();
      const error = await rejection(call);
      expect(error.code).toBe(Code.UNAVAILABLE);
      await vi.waitFor(() => expect(uploads.length).toBe(failures + 1), { timeout: 2_000 });
      expect(abortCode(uploads.at(-1)?.error)).toBe(Code.CANCELLED);
    } finally {
      viaProxy.close();
      await proxy.close();
    }
  });

  it('rejects a client stream with the error of a failing request source, as is', async () => {
    const failure = new Error('source broke');
    async function* failing() {
      yield { payload: { case: 'header' as const, value: { name: 'x' } } };
      throw failure;
    }
    await expect(client.upload(failing())).rejects.toBe(failure);
  });
});

describe('deadline and cancellation propagation to a downstream call', () => {
  let backend: RunningServer;
  let front: RunningServer;
  let client: RpcClient<typeof testingV1Echo.EchoService>;
  const backendContexts: HandlerContext[] = [];
  const frontDeadlines: (number | undefined)[] = [];

  beforeAll(async () => {
    backend = await startEchoServer({
      setup: (server, seen) =>
        server.add(testingV1Echo.EchoService, {
          ...echoImpl(seen),
          async echo(request, context) {
            backendContexts.push(context);
            if (request.delayMs > 0) await sleep(request.delayMs, undefined, { signal: context.signal });
            return { text: `backend:${request.text}` };
          },
        }),
    });
    const downstream = createRpcClient(testingV1Echo.EchoService, backend.address, { defaultTimeoutMs: 60_000 });
    front = await startEchoServer({
      setup: (server, seen) =>
        server.add(testingV1Echo.EchoService, {
          ...echoImpl(seen),
          // Relays to the backend with this call's deadline and cancellation.
          async echo(request, context) {
            frontDeadlines.push(context.deadline);
            const response = await downstream.echo(request, context.callOptions());
            return { text: `front:${response.text}` };
          },
        }),
    });
    client = createRpcClient(testingV1Echo.EchoService, front.address, { defaultTimeoutMs: 5_000 });
  });

  afterAll(async () => {
    client.close();
    await front.stop();
    await backend.stop();
  });

  it('gives the downstream call the same deadline, not the downstream client default', async () => {
    const deadline = Date.now() + 4_000;
    const response = await client.echo({ text: 'hi' }, { deadline });
    expect(response.text).toBe('front:backend:hi');
    const frontDeadline = frontDeadlines.at(-1);
    const backendDeadline = backendContexts.at(-1)?.deadline;
    // grpc-timeout travels as a relative duration: allow for transit and rounding,
    // which a loaded 2-core machine stretches to hundreds of ms; the downstream
    // client's own default (seconds away) is what must not win.
    expect(Math.abs((frontDeadline ?? 0) - deadline)).toBeLessThan(1_000);
    expect(Math.abs((backendDeadline ?? 0) - deadline)).toBeLessThan(1_000);
  });

  it('runs the downstream call into the same deadline', async () => {
    const error = await rejection(client.echo({ text: 'slow', delayMs: 3_000 }, { timeoutMs: 300 }));
    expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
    const context = backendContexts.at(-1);
    await vi.waitFor(() => expect(context?.signal.aborted).toBe(true), { timeout: 2_000 });
  });

  it('cancels the downstream call when the original caller cancels', async () => {
    const controller = new AbortController();
    const count = backendContexts.length;
    const call = client.echo({ text: 'slow', delayMs: 3_000 }, { signal: controller.signal });
    await vi.waitFor(() => expect(backendContexts.length).toBe(count + 1), { timeout: 2_000 });
    controller.abort();
    expect((await rejection(call)).code).toBe(Code.CANCELLED);
    const context = backendContexts.at(-1);
    await vi.waitFor(() => expect(context?.signal.aborted).toBe(true), { timeout: 2_000 });
    expect(abortCode(context?.signal.reason)).toBe(Code.CANCELLED);
  });
});
