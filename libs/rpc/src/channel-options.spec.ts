import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { testingV1Echo } from '@platter/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientChannelOptions, MAX_MESSAGE_BYTES, serverChannelOptions } from './channel-options.js';
import { Code } from './code.js';
import { createRpcClient } from './rpc-client.js';
import { RpcError } from './rpc-error.js';
import { MIB, startEchoServer, type RunningServer } from './testing/echo-fixture.js';

// grpc-js keeps the list of option names it reads; anything else is silently ignored.
const require = createRequire(import.meta.url);
const { recognizedOptions } = require('@grpc/grpc-js/build/src/channel-options.js') as {
  recognizedOptions: Record<string, boolean>;
};

describe('channel options', () => {
  it('uses only option names grpc-js reads', () => {
    for (const name of [...Object.keys(clientChannelOptions()), ...Object.keys(serverChannelOptions())]) {
      expect(recognizedOptions, name).toHaveProperty([name]);
    }
  });

  it('turns keepalive on for both ends, even for idle client channels', () => {
    expect(clientChannelOptions()['grpc.keepalive_time_ms']).toBeGreaterThan(0);
    expect(clientChannelOptions()['grpc.keepalive_permit_without_calls']).toBe(1);
    expect(serverChannelOptions()['grpc.keepalive_time_ms']).toBeGreaterThan(0);
  });

  it('refuses compression', () => {
    expect(() => clientChannelOptions({ channelOptions: { 'grpc.default_compression_algorithm': 2 } })).toThrow(
      TypeError,
    );
  });
});

describe('message size limits over loopback', () => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await startEchoServer();
  });
  afterAll(async () => {
    await running.stop();
  });

  it('carries a 5 MiB message (grpc-js alone would refuse more than 4 MiB)', async () => {
    const client = createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 10_000 });
    try {
      async function* one() {
        yield { payload: { case: 'data' as const, value: Buffer.alloc(5 * MIB, 1) } };
      }
      expect((await client.upload(one())).bytes).toBe(BigInt(5 * MIB));
      let received = 0;
      for await (const message of client.download({ bytes: BigInt(5 * MIB), chunkSize: 5 * MIB })) {
        received += message.data.byteLength;
      }
      expect(received).toBe(5 * MIB);
    } finally {
      client.close();
    }
  });

  it('refuses a message over MAX_MESSAGE_BYTES with RESOURCE_EXHAUSTED', async () => {
    const client = createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 10_000 });
    try {
      async function* one() {
        yield { payload: { case: 'data' as const, value: Buffer.alloc(MAX_MESSAGE_BYTES + 1) } };
      }
      const error = await client.upload(one()).catch((e: unknown) => e);
      expect((error as RpcError).code).toBe(Code.RESOURCE_EXHAUSTED);
    } finally {
      client.close();
    }
  });
});

describe('keepalive', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });

  it('fails a call to a frozen server long before its deadline', async () => {
    const script = fileURLToPath(new URL('./testing/echo-server-process.ts', import.meta.url));
    child = spawn(process.execPath, ['--conditions=@platter/source', '--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server process did not start')), 30_000);
      child?.stdout?.once('data', (chunk: Buffer) => {
        clearTimeout(timer);
        resolve(Number(chunk.toString().trim()));
      });
      child?.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
    });
    const client = createRpcClient(testingV1Echo.EchoService, `127.0.0.1:${port}`, {
      defaultTimeoutMs: 30_000,
      keepalive: { timeMs: 300, timeoutMs: 500 },
    });
    try {
      expect((await client.echo({ text: 'connected' })).text).toBe('connected');
      child.kill('SIGSTOP');
      const started = Date.now();
      const error = await client.echo({ text: 'frozen' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).code).toBe(Code.UNAVAILABLE);
      // Keepalive noticed within a few ping periods; without it the call would wait its whole 30 s deadline.
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      client.close();
    }
  }, 60_000);
});
