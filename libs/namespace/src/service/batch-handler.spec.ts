// The Batch RPC's handler over a real chain of two replicas in one process
// (LocalPeers): each op runs as its unary call would, concurrently, and is
// answered on its own — wins and refusals side by side in one batch.
import { create } from '@bufbuild/protobuf';
import type { ChainRecord } from '@platter/cluster';
import { batchOpErrorOf, MAX_BATCH_OPS } from '@platter/namespace-client';
import { commonV1, namespaceV1 } from '@platter/proto';
import { Code, Metadata, RpcError, type HandlerContext } from '@platter/rpc';
import { createLogger } from '@platter/telemetry';
import { afterEach, describe, expect, it } from 'vitest';
import { ChainReplica } from '../chain/chain-replica.js';
import { NamespaceError } from '../errors.js';
import { LocalPeers } from '../testing/local-peers.js';
import { createBucketOp, putObjectOp } from '../testing/requests.js';
import { makeTempDir } from '../testing/temp-dir.js';
import {
  createBatchHandler,
  createBatchStreamHandler,
  MAX_STREAM_BATCHES_IN_FLIGHT,
  type BatchableHandlers,
} from './batch-handler.js';
import { createNamespaceService } from './namespace-service.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const R = commonV1.ErrorReason;
const EPOCH = 1;
const teardown: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const t of teardown.splice(0).reverse()) await t();
});

function ctx(): HandlerContext {
  return {
    signal: new AbortController().signal,
    deadline: undefined,
    metadata: new Metadata(),
    peer: 'test',
    callOptions: () => ({}),
  };
}

const route = (partitionId = 0) => ({ partitionId, chainEpoch: BigInt(EPOCH) });

/** A chain a → b of partition 0 (the only one), and the NamespaceService of each member. */
async function chain() {
  const peers = new LocalPeers();
  const replicas = new Map<string, ChainReplica>();
  for (const id of ['a', 'b']) {
    const tmp = await makeTempDir(`batch-${id}`);
    const replica = await ChainReplica.open({
      partition: 0,
      memberId: id,
      dir: tmp.dir,
      peers,
      mapSizeBytes: 2 ** 26,
      logger,
    });
    teardown.push(async () => {
      await replica.close();
      await tmp.remove();
    });
    peers.register(id, { replica: (p) => (p === 0 ? replica : undefined), all: () => [replica] });
    replicas.set(id, replica);
  }
  const record: ChainRecord = {
    partition: 0,
    epoch: EPOCH,
    replicas: ['a', 'b'],
    joining: [],
    updatedAt: new Date().toISOString(),
  };
  for (const r of replicas.values()) r.configure(record);
  const serviceOf = (id: string) => {
    const replica = replicas.get(id) as ChainReplica;
    return createNamespaceService({
      replicas: { replica: (p) => (p === 0 ? replica : undefined), all: () => [replica] },
      partitionCount: 1,
      logger,
    });
  };
  const head = serviceOf('a');
  const made = await (replicas.get('a') as ChainReplica).write(
    createBucketOp('bkt'),
    create(namespaceV1.PartitionRouteSchema, route()),
  );
  if (made instanceof NamespaceError) throw made;
  return { head, tail: serviceOf('b') };
}

function put(key: string, body: string, ifNoneMatch = false): namespaceV1.BatchOp {
  const request = putObjectOp({
    bucket: 'bkt',
    key,
    body,
    condition: ifNoneMatch ? { kind: 'ifNoneMatch' } : undefined,
  }).request;
  return create(namespaceV1.BatchOpSchema, {
    op: { case: 'putObject', value: { ...request, route: create(namespaceV1.PartitionRouteSchema, route()) } },
  });
}

function get(key: string): namespaceV1.BatchOp {
  return create(namespaceV1.BatchOpSchema, {
    op: { case: 'getObject', value: { route: route(), bucket: 'bkt', key, metadataOnly: true } },
  });
}

function batch(ops: namespaceV1.BatchOp[]): namespaceV1.BatchRequest {
  return create(namespaceV1.BatchRequestSchema, { ops });
}

describe('NamespaceService.Batch', () => {
  it('answers each op on its own: of two If-None-Match:* PUTs of one key exactly one wins, the other is refused as unary', async () => {
    const { head, tail } = await chain();
    const wrongRole = get('elsewhere');
    const res = await head.batch(
      batch([put('k', 'first', true), put('k', 'second', true), put('other', 'plain'), wrongRole]),
      ctx(),
    );
    const results = (res.results ?? []).map((r) => create(namespaceV1.BatchResultSchema, r).result);
    expect(results).toHaveLength(4);
    const [one, two, other, misrouted] = results;
    const outcomes = [one, two].map((r) => r?.case);
    expect(outcomes.sort()).toEqual(['error', 'putObject']);
    const refused = [one, two].find((r) => r?.case === 'error');
    expect(refused?.case === 'error' && refused.value.code).toBe(Code.FAILED_PRECONDITION);
    expect(refused?.case === 'error' && refused.value.detail?.reason).toBe(R.PRECONDITION_FAILED);
    expect(other?.case).toBe('putObject');
    // A GET sent to the head: refused alone, as the unary call is (the router re-routes on WRONG_ROLE).
    expect(misrouted?.case === 'error' && misrouted.value.detail?.reason).toBe(R.WRONG_ROLE);

    // The same refusal the unary call gives now, field for field.
    const unary = await head
      .putObject(
        {
          ...putObjectOp({ bucket: 'bkt', key: 'k', body: 'third', condition: { kind: 'ifNoneMatch' } }).request,
          route: create(namespaceV1.PartitionRouteSchema, route()),
        },
        ctx(),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(unary).toBeInstanceOf(RpcError);
    const asBatch = create(namespaceV1.BatchOpErrorSchema, batchOpErrorOf(unary));
    expect(refused?.case === 'error' && { code: refused.value.code, reason: refused.value.detail?.reason }).toEqual({
      code: asBatch.code,
      reason: asBatch.detail?.reason,
    });

    // The winner is what the tail reads; a missing key is NOT_FOUND there, next to it.
    const read = await tail.batch(batch([get('k'), get('missing')]), ctx());
    const [found, missing] = (read.results ?? []).map((r) => create(namespaceV1.BatchResultSchema, r).result);
    const winner = one?.case === 'putObject' ? 'first' : 'second';
    expect(found?.case === 'getObject' && found.value.version?.size).toBe(BigInt(winner.length));
    expect(missing?.case === 'error' && missing.value.code).toBe(Code.NOT_FOUND);
    expect(missing?.case === 'error' && missing.value.detail?.reason).toBe(R.NO_SUCH_KEY);
  });

  it('refuses an op for a partition not hosted here and an op naming nothing, alone', async () => {
    const { head } = await chain();
    const foreign = create(namespaceV1.BatchOpSchema, {
      op: { case: 'deleteObject', value: { route: route(3), writeId: 'w-del', bucket: 'bkt', key: 'x' } },
    });
    const res = await head.batch(batch([foreign, create(namespaceV1.BatchOpSchema, {}), put('ok', 'fine')]), ctx());
    const [a, b, c] = (res.results ?? []).map((r) => create(namespaceV1.BatchResultSchema, r).result);
    expect(a?.case === 'error' && a.value.detail?.reason).toBe(R.WRONG_PARTITION);
    expect(b?.case === 'error' && b.value.code).toBe(Code.INVALID_ARGUMENT);
    expect(c?.case).toBe('putObject');
  });

  it('lets every op of a large batch wait on the one signal without a listener-leak warning', async () => {
    const { head } = await chain();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const ops = Array.from({ length: 40 }, (_, i) => put(`many/${i}`, 'x'));
      const res = await head.batch(batch(ops), ctx());
      const cases = (res.results ?? []).map((r) => create(namespaceV1.BatchResultSchema, r).result.case);
      expect(cases).toEqual(ops.map(() => 'putObject'));
      // Warnings reach listeners on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });

  it('fails a malformed batch as a whole: empty, or over the cap', async () => {
    const { head } = await chain();
    await expect(head.batch(batch([]), ctx())).rejects.toMatchObject({ code: Code.INVALID_ARGUMENT });
    const tooMany = Array.from({ length: MAX_BATCH_OPS + 1 }, (_, i) => get(`k${i}`));
    await expect(head.batch(batch(tooMany), ctx())).rejects.toMatchObject({ code: Code.INVALID_ARGUMENT });
  });
});

describe('Batch response budget', () => {
  // The handler alone, over stub handlers: each GET answers inline bytes of the size its key names.
  const stubs: BatchableHandlers = {
    putObject: async () => ({ replacedVersionId: '' }),
    deleteObject: async () => ({ versionId: 'null' }),
    getObject: async (req) => ({
      version: {
        key: req.key,
        size: BigInt(req.key.length),
        layout: { data: { case: 'inlineData', value: new Uint8Array(Number(req.key.slice(1))) } },
      },
    }),
  };
  const fullGet = (key: string) =>
    create(namespaceV1.BatchOpSchema, { op: { case: 'getObject', value: { route: route(), bucket: 'bkt', key } } });

  it('answers GETs past the budget with BATCH_RESPONSE_TOO_LARGE, the first one always, writes always', async () => {
    const handle = createBatchHandler(stubs, logger, 1_000);
    const ops = [
      fullGet('g1500'),
      fullGet('g100'),
      put('w', 'write'),
      fullGet('g600'),
      fullGet('g200'),
      fullGet('g50'),
    ];
    const res = await handle(batch(ops), ctx());
    const cases = res.results.map((r) => {
      const result = create(namespaceV1.BatchResultSchema, r).result;
      return result.case === 'error' ? `error:${result.value.code}:${result.value.detail?.reason}` : result.case;
    });
    const tooLarge = `error:${Code.RESOURCE_EXHAUSTED}:${R.BATCH_RESPONSE_TOO_LARGE}`;
    // 1,500 bytes alone exceed the budget but go first; each later GET goes while the sum of the kept ones fits.
    expect(cases).toEqual(['getObject', tooLarge, 'putObject', tooLarge, tooLarge, tooLarge]);
    const roomy = await createBatchHandler(stubs, logger, 2_000)(batch(ops), ctx());
    expect(roomy.results.map((r) => create(namespaceV1.BatchResultSchema, r).result.case)).toEqual([
      'getObject',
      'getObject',
      'putObject',
      'error',
      'getObject',
      'getObject',
    ]);
  });
});

describe('NamespaceService.BatchStream', () => {
  /** Feeds `requests` one by one, then ends, like a client's request side. */
  async function* from(requests: namespaceV1.BatchStreamRequest[]): AsyncGenerator<namespaceV1.BatchStreamRequest> {
    for (const r of requests) yield r;
  }
  const request = (id: number, ops: number, deadlineUnixMs = 0n) =>
    create(namespaceV1.BatchStreamRequestSchema, {
      id: BigInt(id),
      batch: { ops: Array.from({ length: ops }, () => ({ op: { case: 'getObject' as const, value: {} } })) },
      deadlineUnixMs,
    });

  it('answers each batch by id as it completes, a slow one not holding back the next, and fails a bad one alone', async () => {
    const seen: Array<{ ops: number; deadline: number | undefined }> = [];
    const handler = createBatchStreamHandler(async (batch, c) => {
      seen.push({ ops: batch.ops.length, deadline: c.deadline });
      if (batch.ops.length === 0) throw new RpcError(Code.INVALID_ARGUMENT, 'empty batch');
      await new Promise((resolve) => setTimeout(resolve, batch.ops.length === 2 ? 100 : 1));
      return { results: batch.ops.map(() => ({ result: { case: 'getObject', value: {} } })) };
    });
    const deadline = Date.now() + 60_000;
    const answers: Array<{ id: bigint; result: unknown }> = [];
    for await (const a of handler(from([request(1, 2, BigInt(deadline)), request(2, 1), request(3, 0)]), ctx()))
      answers.push(a as never);
    // The slow first batch answers last.
    expect(answers.map((a) => a.id).sort()).toEqual([1n, 2n, 3n]);
    expect(answers[2]).toMatchObject({ id: 1n, result: { case: 'batch', value: { results: [{}, {}] } } });
    expect(answers.find((a) => a.id === 3n)).toMatchObject({
      result: { case: 'error', value: { code: Code.INVALID_ARGUMENT } },
    });
    expect(answers.find((a) => a.id === 2n)).toMatchObject({ result: { case: 'batch', value: { results: [{}] } } });
    expect(seen.find((s) => s.ops === 2)?.deadline).toBe(deadline);
  });

  it('ends a batch at its own deadline with DEADLINE_EXCEEDED in its context, and holds at most 16 at once', async () => {
    let running = 0;
    let most = 0;
    const handler = createBatchStreamHandler(async (batch, c) => {
      most = Math.max(most, ++running);
      try {
        await new Promise((resolve, reject) => {
          const t = setTimeout(resolve, 20);
          c.signal.addEventListener('abort', () => {
            clearTimeout(t);
            reject(c.signal.reason);
          });
        });
      } finally {
        running--;
      }
      return { results: batch.ops.map(() => ({ result: { case: 'getObject', value: {} } })) };
    });
    const expired = request(99, 1, BigInt(Date.now() - 1));
    const many = Array.from({ length: 40 }, (_, i) => request(i + 1, 1));
    const answers: Array<{ id: bigint; result: { case: string; value: { code?: number } } }> = [];
    for await (const a of handler(from([expired, ...many]), ctx())) answers.push(a as never);
    expect(answers).toHaveLength(41);
    expect(answers.find((a) => a.id === 99n)?.result).toMatchObject({
      case: 'error',
      value: { code: Code.DEADLINE_EXCEEDED },
    });
    expect(answers.filter((a) => a.result.case === 'batch')).toHaveLength(40);
    expect(most).toBe(MAX_STREAM_BATCHES_IN_FLIGHT);
  });
});
