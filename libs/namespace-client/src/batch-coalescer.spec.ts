import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { Code, RpcError, errorReason, readErrorDetail, rpcErrorWithDetail, type CallOptions } from '@platter/rpc';
import { describe, expect, it } from 'vitest';
import { BatchCoalescer, type SendBatch } from './batch-coalescer.js';
import { batchOpErrorOf, rpcErrorOfBatchOpError } from './batch-op-error.js';

type BatchRequestInit = Parameters<SendBatch>[0];

const route = { partitionId: 1, chainEpoch: 3n };

/** A replica that answers each op by `answer` and records every Batch. */
function fakeReplica(answer: (op: namespaceV1.BatchOp) => namespaceV1.BatchResult['result']) {
  const calls: Array<{ request: namespaceV1.BatchRequest; options: CallOptions }> = [];
  const send: SendBatch = async (init: BatchRequestInit, options) => {
    const request = create(namespaceV1.BatchRequestSchema, init);
    calls.push({ request, options });
    await new Promise((r) => setImmediate(r));
    return create(namespaceV1.BatchResponseSchema, {
      results: request.ops.map((op) => ({ result: answer(op) })),
    });
  };
  return { calls, send };
}

const deadline = (): number => Date.now() + 4_000;

function get(key: string): namespaceV1.GetObjectRequest {
  return create(namespaceV1.GetObjectRequestSchema, { route, bucket: 'b', key, metadataOnly: true });
}

/** Answers a GetObject with a version whose etag is its key, anything else with PutObject's answer. */
function echo(op: namespaceV1.BatchOp): namespaceV1.BatchResult['result'] {
  if (op.op.case === 'getObject') {
    return {
      case: 'getObject',
      value: create(namespaceV1.GetObjectResponseSchema, { version: { etag: op.op.value.key } }),
    };
  }
  return { case: 'putObject', value: create(namespaceV1.PutObjectResponseSchema, { version: { versionId: 'v1' } }) };
}

describe('BatchCoalescer', () => {
  it('sends the ops issued in one turn as one Batch and answers each with its own result, in order', async () => {
    const replica = fakeReplica(echo);
    const batcher = new BatchCoalescer(replica.send);
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const answers = await Promise.all(keys.map((k) => batcher.submit('getObject', get(k), { deadline: deadline() })));
    expect(replica.calls).toHaveLength(1);
    expect(replica.calls[0]?.request.ops.map((o) => (o.op.value as namespaceV1.GetObjectRequest).key)).toEqual(keys);
    expect(answers.map((a) => a.version?.etag)).toEqual(keys);
  });

  it('sends a lone op at once and coalesces what arrives while batches are in flight', async () => {
    const replica = fakeReplica(echo);
    const batcher = new BatchCoalescer(replica.send, { maxInFlight: 1 });
    const first = batcher.submit('getObject', get('alone'), { deadline: deadline() });
    await new Promise((r) => setImmediate(r));
    // The first Batch is in flight now: these wait for it, then go out together.
    const rest = Array.from({ length: 10 }, (_, i) =>
      batcher.submit('getObject', get(`k${i}`), { deadline: deadline() }),
    );
    await Promise.all([first, ...rest]);
    expect(replica.calls.map((c) => c.request.ops.length)).toEqual([1, 10]);
  });

  it('caps the ops of one Batch', async () => {
    const replica = fakeReplica(echo);
    const batcher = new BatchCoalescer(replica.send, { maxOps: 4 });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => batcher.submit('getObject', get(`k${i}`), { deadline: deadline() })),
    );
    expect(replica.calls.map((c) => c.request.ops.length)).toEqual([4, 4, 2]);
  });

  it("rejects an op with the RpcError its unary call would have given, and leaves the batch's other ops alone", async () => {
    const unary = rpcErrorWithDetail(Code.FAILED_PRECONDITION, 'precondition failed', {
      reason: commonV1.ErrorReason.PRECONDITION_FAILED,
      resource: 'b/lost',
    });
    const replica = fakeReplica((op) =>
      op.op.case === 'getObject' && op.op.value.key === 'lost'
        ? { case: 'error', value: create(namespaceV1.BatchOpErrorSchema, batchOpErrorOf(unary)) }
        : echo(op),
    );
    const batcher = new BatchCoalescer(replica.send);
    const [won, lost] = await Promise.allSettled([
      batcher.submit('getObject', get('won'), { deadline: deadline() }),
      batcher.submit('getObject', get('lost'), { deadline: deadline() }),
    ]);
    expect(replica.calls).toHaveLength(1);
    expect(won.status === 'fulfilled' && won.value.version?.etag).toBe('won');
    expect(lost.status).toBe('rejected');
    const error = (lost as PromiseRejectedResult).reason as unknown;
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.FAILED_PRECONDITION);
    expect((error as RpcError).message).toBe('precondition failed');
    expect(errorReason(error)).toBe(commonV1.ErrorReason.PRECONDITION_FAILED);
    expect(readErrorDetail(error)?.resource).toBe('b/lost');
  });

  it('maps an error without ErrorDetail to a bare RpcError and an unknown code to UNKNOWN', () => {
    const bare = rpcErrorOfBatchOpError(
      create(namespaceV1.BatchOpErrorSchema, batchOpErrorOf(new RpcError(Code.UNAVAILABLE, 'down'))),
    );
    expect(bare.code).toBe(Code.UNAVAILABLE);
    expect(readErrorDetail(bare)).toBeUndefined();
    expect(rpcErrorOfBatchOpError(create(namespaceV1.BatchOpErrorSchema, { code: 99, message: '?' })).code).toBe(
      Code.UNKNOWN,
    );
    // A handler's non-RpcError never reaches the wire as itself.
    expect(batchOpErrorOf(new Error('secret path /x'))).toEqual({ code: Code.INTERNAL, message: 'internal error' });
  });

  it('rejects every op of a failed Batch with its error, and sends later ops anew', async () => {
    let fail = true;
    const replica = fakeReplica(echo);
    const batcher = new BatchCoalescer(async (req, o) => {
      if (fail) throw new RpcError(Code.UNAVAILABLE, 'connection refused');
      return replica.send(req, o);
    });
    const settled = await Promise.allSettled(
      ['a', 'b', 'c'].map((k) => batcher.submit('getObject', get(k), { deadline: deadline() })),
    );
    expect(settled.map((s) => s.status === 'rejected' && (s.reason as RpcError).code)).toEqual([
      Code.UNAVAILABLE,
      Code.UNAVAILABLE,
      Code.UNAVAILABLE,
    ]);
    fail = false;
    expect((await batcher.submit('getObject', get('d'), { deadline: deadline() })).version?.etag).toBe('d');
  });

  it("gives the Batch the latest deadline of its ops, holds an op to its own, and honours an op's abort", async () => {
    let release: () => void = () => undefined;
    const calls: CallOptions[] = [];
    const batcher = new BatchCoalescer((req, options) => {
      calls.push(options);
      return new Promise((resolve) => {
        release = () =>
          resolve(
            create(namespaceV1.BatchResponseSchema, {
              results: (req.ops ?? []).map(() => ({ result: { case: 'putObject' as const, value: {} } })),
            }),
          );
      });
    });
    const abort = new AbortController();
    const late = Date.now() + 4_000;
    const put = create(namespaceV1.PutObjectRequestSchema, { route, writeId: 'w', bucket: 'b', key: 'k' });
    const long = batcher.submit('putObject', put, { deadline: late });
    const short = batcher.submit('putObject', put, { deadline: Date.now() + 30 });
    const aborted = batcher.submit('putObject', put, { deadline: late, signal: abort.signal });
    await new Promise((r) => setImmediate(r));
    expect(calls[0]?.deadline).toBe(late);
    abort.abort();
    await expect(aborted).rejects.toMatchObject({ code: Code.CANCELLED });
    await expect(short).rejects.toMatchObject({ code: Code.DEADLINE_EXCEEDED });
    release();
    await expect(long).resolves.toBeDefined();
  });

  it('answers INTERNAL when the Batch answers the wrong number or kind of results', async () => {
    const wrongKind = new BatchCoalescer(fakeReplica(echo).send);
    await expect(
      wrongKind.submit('deleteObject', create(namespaceV1.DeleteObjectRequestSchema, { route }), {
        deadline: deadline(),
      }),
    ).rejects.toMatchObject({ code: Code.INTERNAL });
    const short = new BatchCoalescer(async () => create(namespaceV1.BatchResponseSchema, { results: [] }));
    await expect(short.submit('getObject', get('k'), { deadline: deadline() })).rejects.toMatchObject({
      code: Code.INTERNAL,
    });
  });
});
