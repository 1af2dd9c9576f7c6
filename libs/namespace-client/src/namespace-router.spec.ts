// NamespaceRouter's batching against a fake replica over real gRPC, routed by
// a real etcd: concurrent PutObjects leave as one Batch, a per-op refusal
// reaches the caller as the unary call's RpcError, a per-op STALE_EPOCH is
// retried alone, a replica without Batch is called unary, and batching off
// sends unary calls; full GetObjects go in Batches too, and one whose answer
// did not fit in the Batch's response is asked again alone.
import { ChainRecordCodec, connectEtcd, Keyspace, MemberRecordCodec, type Etcd3 } from '@platter/cluster';
import { commonV1, namespaceV1 } from '@platter/proto';
import {
  Code,
  createRpcServer,
  errorReason,
  RpcError,
  rpcErrorWithDetail,
  type RpcServer,
  type ServiceImpl,
} from '@platter/rpc';
import { createLogger, createMetricsRegistry } from '@platter/telemetry';
import { Cleanup, startEtcd } from '@platter/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchOpErrorOf } from './batch-op-error.js';
import { NamespaceRouter } from './namespace-router.js';

type Impl = ServiceImpl<typeof namespaceV1.NamespaceService>;
const R = commonV1.ErrorReason;
const logger = createLogger({ service: 'test', level: 'silent' });
const cleanup = new Cleanup();
let etcd: Etcd3;

beforeAll(async () => {
  const server = await startEtcd();
  cleanup.add(() => server.destroy(), 'etcd');
  etcd = connectEtcd(server.endpoints, { requestTimeoutMs: 2_000 });
  cleanup.add(() => etcd.close(), 'etcd client');
}, 30_000);
afterAll(() => cleanup.run(), 30_000);

/** What the fake replica was asked. */
interface Seen {
  batches: number[];
  unary: number;
}

/**
 * A one-partition namespace in etcd (its own keyspace root) whose only
 * replica is a gRPC server answering PutObject by `put` (unary or in a Batch;
 * a Batch throws UNIMPLEMENTED when `noBatch`), and a router over it.
 */
async function fixture(
  name: string,
  put: (req: namespaceV1.PutObjectRequest) => Promise<{ replacedVersionId: string }>,
  routerOptions: { batching?: boolean; noBatch?: boolean; etcdReachable?: () => boolean } = {},
): Promise<{ router: NamespaceRouter; seen: Seen }> {
  const seen: Seen = { batches: [], unary: 0 };
  const unimplemented = async (): Promise<never> => {
    throw new RpcError(Code.UNIMPLEMENTED, 'not in this fake');
  };
  const impl = Object.fromEntries(
    Object.keys(namespaceV1.NamespaceService.method).map((m) => [m, unimplemented]),
  ) as unknown as Impl;
  impl.putObject = async (req) => {
    seen.unary++;
    return put(req);
  };
  impl.getObject = async (req) => {
    seen.unary++;
    return { version: { key: req.key, size: 1n } };
  };
  // BatchStream as the real handler does it, one batch at a time; an older replica has neither.
  impl.batchStream = async function* (requests, ctx) {
    if (routerOptions.noBatch) throw new RpcError(Code.UNIMPLEMENTED, 'unknown method');
    for await (const r of requests) {
      try {
        yield { id: r.id, result: { case: 'batch' as const, value: await impl.batch(r.batch!, ctx) } };
      } catch (error) {
        yield { id: r.id, result: { case: 'error' as const, value: batchOpErrorOf(error) } };
      }
    }
  };
  impl.batch = async (req) => {
    if (routerOptions.noBatch) throw new RpcError(Code.UNIMPLEMENTED, 'unknown method');
    seen.batches.push(req.ops.length);
    const results = await Promise.all(
      req.ops.map(async (op) => {
        if (op.op.case === 'getObject') {
          // Keys named "big…" stand for answers past the Batch's response budget.
          if (!op.op.value.key.startsWith('big'))
            return { result: { case: 'getObject' as const, value: { version: { key: op.op.value.key, size: 2n } } } };
          const tooLarge = rpcErrorWithDetail(Code.RESOURCE_EXHAUSTED, 'too large for this Batch', {
            reason: R.BATCH_RESPONSE_TOO_LARGE,
          });
          return { result: { case: 'error' as const, value: batchOpErrorOf(tooLarge) } };
        }
        if (op.op.case !== 'putObject') throw new Error('only puts and gets here');
        try {
          return { result: { case: 'putObject' as const, value: await put(op.op.value) } };
        } catch (error) {
          return { result: { case: 'error' as const, value: batchOpErrorOf(error) } };
        }
      }),
    );
    return { results };
  };
  const server: RpcServer = createRpcServer({ logger, registry: createMetricsRegistry({ service: 'test' }) }).add(
    namespaceV1.NamespaceService,
    impl,
  );
  const port = await server.listen('127.0.0.1:0');
  cleanup.add(() => server.shutdown(1_000), `fake replica ${name}`);

  const keyspace = new Keyspace(`/test-${name}/`);
  await etcd.put(keyspace.chain(0)).value(
    ChainRecordCodec.encode({
      partition: 0,
      epoch: 7,
      replicas: ['m1'],
      joining: [],
      updatedAt: new Date().toISOString(),
    }),
  );
  await etcd.put(keyspace.member('namespace', 'm1')).value(
    MemberRecordCodec.encode({
      role: 'namespace',
      id: 'm1',
      grpcAddress: `127.0.0.1:${port}`,
      adminUrl: 'http://127.0.0.1:1',
      labels: {},
      version: 'test',
      startedAt: new Date().toISOString(),
      pid: process.pid,
    }),
  );
  const router = await NamespaceRouter.open({
    etcd,
    keyspace,
    logger,
    partitionCount: 1,
    defaultTimeoutMs: 5_000,
    batching: routerOptions.batching,
    etcdReachable: routerOptions.etcdReachable,
  });
  cleanup.add(() => router.close(), `router ${name}`);
  return { router, seen };
}

const putReq = (key: string) => ({ writeId: `w-${key}`, bucket: 'b', key });
const ok = async (req: namespaceV1.PutObjectRequest) => {
  expect(req.route?.chainEpoch).toBe(7n);
  return { replacedVersionId: `v-${req.key}` };
};

describe('NamespaceRouter batching', () => {
  it('sends concurrent PutObjects as one Batch and answers each with its own response', async () => {
    const { router, seen } = await fixture('one-batch', ok);
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const answers = await Promise.all(keys.map((k) => router.putObject(putReq(k))));
    expect(answers.map((a) => a.replacedVersionId)).toEqual(keys.map((k) => `v-${k}`));
    expect(seen).toEqual({ batches: [20], unary: 0 });
  });

  it("rejects a refused op with the unary call's RpcError, and retries a STALE_EPOCH op alone", async () => {
    let staleOnce = true;
    const { router, seen } = await fixture('refusals', async (req) => {
      if (req.key === 'taken') {
        throw rpcErrorWithDetail(Code.FAILED_PRECONDITION, 'precondition failed', {
          reason: R.PRECONDITION_FAILED,
          resource: 'b/taken',
        });
      }
      if (req.key === 'stale' && staleOnce) {
        staleOnce = false;
        throw rpcErrorWithDetail(Code.FAILED_PRECONDITION, 'stale epoch', { reason: R.STALE_EPOCH, currentEpoch: 8n });
      }
      return ok(req);
    });
    const settled = await Promise.allSettled(['taken', 'stale', 'fine'].map((k) => router.putObject(putReq(k))));
    const [taken, stale, fine] = settled as [(typeof settled)[0], (typeof settled)[0], (typeof settled)[0]];
    expect(taken.status).toBe('rejected');
    const error = (taken as PromiseRejectedResult).reason as unknown;
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.FAILED_PRECONDITION);
    expect(errorReason(error)).toBe(R.PRECONDITION_FAILED);
    expect(stale.status === 'fulfilled' && stale.value.replacedVersionId).toBe('v-stale');
    expect(fine.status === 'fulfilled' && fine.value.replacedVersionId).toBe('v-fine');
    // The first Batch held all three; the retry of the stale op went alone.
    expect(seen.batches).toEqual([3, 1]);
  });

  it('calls a replica without Batch unary, from its first UNIMPLEMENTED on', async () => {
    const { router, seen } = await fixture('old-replica', ok, { noBatch: true });
    const first = await Promise.all(['a', 'b'].map((k) => router.putObject(putReq(k))));
    const second = await router.putObject(putReq('c'));
    expect([...first, second].map((a) => a.replacedVersionId)).toEqual(['v-a', 'v-b', 'v-c']);
    expect(seen).toEqual({ batches: [], unary: 3 });
  });

  it('batches full GetObjects, and asks an answer too large for its Batch again alone', async () => {
    const { router, seen } = await fixture('full-gets', ok);
    const keys = ['a', 'big-1', 'b', 'big-2'];
    const answers = await Promise.all(keys.map((key) => router.getObject({ bucket: 'b', key })));
    // Sizes tell the two paths apart: 2 from the Batch, 1 from a unary call.
    expect(answers.map((a) => [a.version?.key, a.version?.size])).toEqual([
      ['a', 2n],
      ['big-1', 1n],
      ['b', 2n],
      ['big-2', 1n],
    ]);
    expect(seen).toEqual({ batches: [4], unary: 2 });
  });

  it('sends every call unary with batching off', async () => {
    const { router, seen } = await fixture('unbatched', ok, { batching: false });
    await Promise.all(['a', 'b', 'c', 'd'].map((k) => router.putObject(putReq(k))));
    expect(seen).toEqual({ batches: [], unary: 4 });
  });
});

describe('NamespaceRouter while etcd is out of reach', () => {
  it('answers a refusal at once instead of waiting for a reconfiguration that needs etcd', async () => {
    let reachable = true;
    let refusals = 2;
    const { router, seen } = await fixture(
      'etcd-gone',
      async (req) => {
        if (req.key === 'fenced' || refusals-- > 0) throw new RpcError(Code.UNAVAILABLE, 'membership lease lost');
        return ok(req);
      },
      { etcdReachable: () => reachable },
    );
    // Reachable: the router rides out two refusals and succeeds.
    expect((await router.putObject(putReq('later'))).replacedVersionId).toBe('v-later');
    expect(seen.batches).toEqual([1, 1, 1]);
    // Out of reach: one attempt, and the replica's refusal is the answer.
    reachable = false;
    await expect(router.putObject(putReq('fenced'))).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    expect(seen.batches).toEqual([1, 1, 1, 1]);
    // Back: refusals are waited out again, retried until the call's budget (300 ms
    // here) runs out — with the last refusal, or DEADLINE_EXCEEDED if an attempt was cut.
    reachable = true;
    const late = await router.putObject(putReq('fenced'), { timeoutMs: 300 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(late).toBeInstanceOf(RpcError);
    expect([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED]).toContain((late as RpcError).code);
    expect(seen.batches.length).toBeGreaterThan(5);
  });
});
