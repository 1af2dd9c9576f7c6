// StreamedCalls over loopback: request–response calls as messages on one
// EchoService.Chat stream, against a real grpc-js server.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { testingV1Echo } from '@platter/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code } from './code.js';
import { RpcError } from './rpc-error.js';
import { createRpcClient } from './rpc-client.js';
import { StreamedCalls } from './streamed-calls.js';
import { echoImpl, startEchoServer, type RunningServer } from './testing/echo-fixture.js';
import type { RpcClient } from './types.js';

describe('StreamedCalls', () => {
  let running: RunningServer;
  let client: RpcClient<typeof testingV1Echo.EchoService>;
  const streamsOpened = { count: 0 };

  beforeAll(async () => {
    running = await startEchoServer({
      setup: (server, seen) => {
        server.add(testingV1Echo.EchoService, {
          ...echoImpl(seen),
          // "fail" ends the stream with FAILED_PRECONDITION; "slow" answers after 300 ms.
          async *chat(requests) {
            streamsOpened.count++;
            for await (const r of requests) {
              if (r.text === 'fail') throw new RpcError(Code.FAILED_PRECONDITION, 'asked to fail');
              if (r.text === 'slow') await sleep(300);
              yield { text: `re:${r.text}` };
            }
          },
        });
      },
    });
    client = createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 10_000 });
  });

  afterAll(async () => {
    client.close();
    await running.stop();
  });

  const open = () =>
    new StreamedCalls(
      (reqs: AsyncIterable<MessageInitShape<typeof testingV1Echo.ChatRequestSchema>>, o) => client.chat(reqs, o),
      {
        timeoutMs: 5_000,
      },
    );

  it('answers many calls in order on one stream', async () => {
    const calls = open();
    const before = streamsOpened.count;
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => calls.call({ text: `m${i}` })));
    expect(answers.map((a) => a.text)).toEqual(Array.from({ length: 200 }, (_, i) => `re:m${i}`));
    expect((await calls.call({ text: 'again' })).text).toBe('re:again');
    expect(streamsOpened.count - before).toBe(1);
    calls.close();
  });

  it('fails the call the server refused and those queued behind it with its status, then opens a new stream', async () => {
    const calls = open();
    const before = streamsOpened.count;
    const first = calls.call({ text: 'a' });
    const refused = calls.call({ text: 'fail' });
    const behind = calls.call({ text: 'b' });
    expect((await first).text).toBe('re:a');
    await expect(refused).rejects.toMatchObject({ code: Code.FAILED_PRECONDITION });
    await expect(behind).rejects.toMatchObject({ code: Code.FAILED_PRECONDITION });
    expect((await calls.call({ text: 'c' })).text).toBe('re:c');
    expect(streamsOpened.count - before).toBe(2);
    calls.close();
  });

  it('fails a call past its timeout with DEADLINE_EXCEEDED and goes on on a new stream', async () => {
    const calls = open();
    await expect(calls.call({ text: 'slow' }, { timeoutMs: 50 })).rejects.toMatchObject({
      code: Code.DEADLINE_EXCEEDED,
    });
    expect((await calls.call({ text: 'd' })).text).toBe('re:d');
    calls.close();
  });

  it('fails a call whose signal aborts with CANCELLED', async () => {
    const calls = open();
    const abort = new AbortController();
    const pending = calls.call({ text: 'slow' }, { signal: abort.signal });
    abort.abort();
    await expect(pending).rejects.toMatchObject({ code: Code.CANCELLED });
    calls.close();
  });

  it('calls unary from the first UNIMPLEMENTED on, when it has the unary form', async () => {
    let unary = 0;
    const calls = new StreamedCalls<{ text: string }, { text: string }>(
      () => ({
        [Symbol.asyncIterator]: () => ({
          next: () => Promise.reject(new RpcError(Code.UNIMPLEMENTED, 'unknown method')),
        }),
      }),
      {
        timeoutMs: 1_000,
        unary: async (r) => {
          unary++;
          return { text: `unary:${r.text}` };
        },
      },
    );
    expect((await calls.call({ text: 'x' })).text).toBe('unary:x');
    expect((await calls.call({ text: 'y' })).text).toBe('unary:y');
    expect(unary).toBe(2);
  });
});
