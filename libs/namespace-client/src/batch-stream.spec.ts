// BatchStreamSender over a fake replica (a single module's unit test; the
// real stream runs under every router test and the e2e suite).
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { Code, RpcError, type CallOptions } from '@platter/rpc';
import { describe, expect, it } from 'vitest';
import { BatchStreamSender, type BatchTransport } from './batch-stream.js';

type StreamRequest = MessageInitShape<typeof namespaceV1.BatchStreamRequestSchema>;

/** One fake BatchStream: what the sender sent, and hooks to answer or break it. */
interface FakeStream {
  received: StreamRequest[];
  options: CallOptions;
  answer(id: bigint, results: number): void;
  fail(error: RpcError): void;
  requestSideEnded: boolean;
}

function fakeReplica() {
  const streams: FakeStream[] = [];
  const unaryCalls: number[] = [];
  let refuse: RpcError | undefined;
  const transport: BatchTransport = {
    batch: async (request) => {
      unaryCalls.push(request.ops?.length ?? 0);
      return create(namespaceV1.BatchResponseSchema, { results: (request.ops ?? []).map(() => ({})) });
    },
    batchStream: (requests, options) => {
      const out: Array<namespaceV1.BatchStreamResponse | RpcError> = [];
      let wake: (() => void) | undefined;
      const push = (x: namespaceV1.BatchStreamResponse | RpcError): void => {
        out.push(x);
        wake?.();
      };
      const stream: FakeStream = {
        received: [],
        options,
        requestSideEnded: false,
        answer: (id, results) =>
          push(
            create(namespaceV1.BatchStreamResponseSchema, {
              id,
              result: { case: 'batch', value: { results: Array.from({ length: results }, () => ({})) } },
            }),
          ),
        fail: (error) => push(error),
      };
      streams.push(stream);
      void (async () => {
        for await (const r of requests) stream.received.push(r);
        stream.requestSideEnded = true;
      })();
      if (refuse) stream.fail(refuse);
      return (async function* () {
        for (;;) {
          const next = out.shift();
          if (next === undefined) {
            await new Promise<void>((resolve) => (wake = resolve));
            continue;
          }
          if (next instanceof RpcError) throw next;
          yield next;
        }
      })();
    },
  };
  return { transport, streams, unaryCalls, refuseStreams: (e: RpcError) => (refuse = e) };
}

const ops = (n: number) => ({
  ops: Array.from({ length: n }, () => ({ op: { case: 'getObject' as const, value: {} } })),
});
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchStreamSender', () => {
  it('sends batches on one stream and settles each by its id, in whatever order the answers come', async () => {
    const { transport, streams } = fakeReplica();
    const sender = new BatchStreamSender(transport);
    const deadline = Date.now() + 30_000;
    const a = sender.send(ops(1), { deadline });
    const b = sender.send(ops(2), { deadline });
    await tick();
    expect(streams).toHaveLength(1);
    const [ra, rb] = streams[0]!.received;
    expect(ra).toMatchObject({ deadlineUnixMs: BigInt(deadline) });
    streams[0]!.answer(rb!.id as bigint, 2);
    streams[0]!.answer(ra!.id as bigint, 1);
    expect((await b).results).toHaveLength(2);
    expect((await a).results).toHaveLength(1);
    expect(streams[0]!.options.deadline).toBeGreaterThan(deadline);
  });

  it('fails a batch with DEADLINE_EXCEEDED at its deadline and ignores a late answer', async () => {
    const { transport, streams } = fakeReplica();
    const sender = new BatchStreamSender(transport);
    const late = sender.send(ops(1), { deadline: Date.now() + 20 });
    await expect(late).rejects.toMatchObject({ code: Code.DEADLINE_EXCEEDED });
    streams[0]!.answer(streams[0]!.received[0]!.id as bigint, 1);
    const next = sender.send(ops(1), { deadline: Date.now() + 30_000 });
    await tick();
    streams[0]!.answer(streams[0]!.received[1]!.id as bigint, 1);
    expect((await next).results).toHaveLength(1);
  });

  it('fails every unanswered batch with the error that broke the stream, then opens a new one', async () => {
    const { transport, streams } = fakeReplica();
    const sender = new BatchStreamSender(transport);
    const deadline = Date.now() + 30_000;
    const pending = [sender.send(ops(1), { deadline }), sender.send(ops(1), { deadline })];
    await tick();
    streams[0]!.fail(new RpcError(Code.UNAVAILABLE, 'connection reset'));
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    expect(streams[0]!.requestSideEnded).toBe(true);
    const again = sender.send(ops(3), { deadline });
    await tick();
    expect(streams).toHaveLength(2);
    streams[1]!.answer(streams[1]!.received[0]!.id as bigint, 3);
    expect((await again).results).toHaveLength(3);
  });

  it('falls back to Batch calls for good when the replica has no BatchStream', async () => {
    const { transport, streams, unaryCalls, refuseStreams } = fakeReplica();
    refuseStreams(new RpcError(Code.UNIMPLEMENTED, 'unknown method'));
    const sender = new BatchStreamSender(transport);
    const deadline = Date.now() + 30_000;
    expect((await sender.send(ops(2), { deadline })).results).toHaveLength(2);
    expect((await sender.send(ops(1), { deadline })).results).toHaveLength(1);
    expect(streams).toHaveLength(1);
    expect(unaryCalls).toEqual([2, 1]);
  });

  it('moves to a fresh stream for a batch whose deadline outlives the current one, and ends the old one when it is answered', async () => {
    const { transport, streams } = fakeReplica();
    const sender = new BatchStreamSender(transport);
    const first = sender.send(ops(1), { deadline: Date.now() + 30_000 });
    await tick();
    const far = sender.send(ops(1), { deadline: Date.now() + 24 * 3600_000 });
    await tick();
    expect(streams).toHaveLength(2);
    expect(streams[0]!.requestSideEnded).toBe(false);
    streams[0]!.answer(streams[0]!.received[0]!.id as bigint, 1);
    await first;
    await tick();
    expect(streams[0]!.requestSideEnded).toBe(true);
    streams[1]!.answer(streams[1]!.received[0]!.id as bigint, 1);
    await far;
    // The fresh stream lives past that deadline, so the next such batch stays on it.
    const farther = sender.send(ops(1), { deadline: Date.now() + 24 * 3600_000 });
    await tick();
    expect(streams).toHaveLength(2);
    streams[1]!.answer(streams[1]!.received[1]!.id as bigint, 1);
    await farther;
  });
});
