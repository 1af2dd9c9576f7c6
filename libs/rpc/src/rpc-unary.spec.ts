import { testingV1Echo } from '@platter/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code, codeName } from './code.js';
import { createRpcClient } from './rpc-client.js';
import { RpcError } from './rpc-error.js';
import { INTERNAL_ERROR_MESSAGE } from './server-handlers.js';
import { startEchoServer, type RunningServer } from './testing/echo-fixture.js';
import { overrideService } from './testing/fake-service.js';
import type { RpcClient } from './types.js';

describe('unary calls over loopback', () => {
  let running: RunningServer;
  let client: RpcClient<typeof testingV1Echo.EchoService>;

  beforeAll(async () => {
    running = await startEchoServer({
      setup: (server, seen) =>
        server.add(testingV1Echo.EchoService, {
          async echo(request) {
            seen.echoCalls++;
            if (request.text === 'boom') throw new Error('secret database password is hunter2');
            if (request.text === 'throw-ok') throw new RpcError(Code.OK, 'not an error');
            if (request.failCode !== 0) throw new RpcError(request.failCode as Code, `asked for ${request.failCode}`);
            return { text: request.text.toUpperCase() };
          },
          upload: async () => ({}),
          download: async function* () {},
          chat: async function* () {},
        }),
    });
    client = createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 5_000 });
  });

  afterAll(async () => {
    client.close();
    await running.stop();
  });

  it('round-trips a request and a typed response', async () => {
    const response = await client.echo({ text: 'hello' });
    expect(response.$typeName).toBe('platter.testing.v1.EchoResponse');
    expect(response.text).toBe('HELLO');
  });

  it('carries every status code a handler throws to the client with its message', async () => {
    const codes: Code[] = [
      Code.INVALID_ARGUMENT,
      Code.NOT_FOUND,
      Code.ALREADY_EXISTS,
      Code.PERMISSION_DENIED,
      Code.RESOURCE_EXHAUSTED,
      Code.FAILED_PRECONDITION,
      Code.ABORTED,
      Code.OUT_OF_RANGE,
      Code.UNIMPLEMENTED,
      Code.UNAVAILABLE,
      Code.DATA_LOSS,
      Code.UNAUTHENTICATED,
    ];
    for (const code of codes) {
      const error = await client.echo({ text: 'x', failCode: code }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, codeName(code)).toBeInstanceOf(RpcError);
      expect((error as RpcError).code, codeName(code)).toBe(code);
      expect((error as RpcError).message).toBe(`asked for ${code}`);
    }
  });

  it('answers INTERNAL without leaking the message of an unexpected error, and logs it', async () => {
    const error = await client.echo({ text: 'boom' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.INTERNAL);
    expect((error as RpcError).message).toBe(INTERNAL_ERROR_MESSAGE);
    expect((error as RpcError).message).not.toContain('hunter2');
    const logged = running.logs.records.find((record) => record.msg === 'rpc handler failed');
    expect(logged).toBeDefined();
    expect(JSON.stringify(logged)).toContain('hunter2');
    expect(logged?.method).toBe('/platter.testing.v1.EchoService/Echo');
  });

  it('turns a thrown OK into UNKNOWN rather than a success without a response', async () => {
    const error = await client.echo({ text: 'throw-ok' }).catch((e: unknown) => e);
    expect((error as RpcError).code).toBe(Code.UNKNOWN);
  });

  it('reports UNIMPLEMENTED for a service the server does not serve', async () => {
    const missing = overrideService(testingV1Echo.EchoService, { typeName: 'platter.testing.v1.MissingService' });
    const other = createRpcClient(missing, running.address, { defaultTimeoutMs: 5_000 });
    try {
      const error = await other.echo({ text: 'x' }).catch((e: unknown) => e);
      expect((error as RpcError).code).toBe(Code.UNIMPLEMENTED);
    } finally {
      other.close();
    }
  });
});
