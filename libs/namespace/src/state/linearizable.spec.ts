import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { NamespaceError } from '../errors.js';
import { checkRegisterHistory, type KeyedOperation } from '../linearizability/index.js';
import { PartitionStore } from '../store/partition-store.js';
import { createBucketOp, md5Hex, putObjectOp } from '../testing/requests.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { PartitionStateMachine } from './partition-state-machine.js';

// G2 end to end in one process: concurrent clients run GET, PUT and
// conditional PUT (If-Match / If-None-Match as compare-and-set) against one
// partition with group commit; the recorded history must be linearizable per
// key. Some answers are thrown away, as if the client timed out.

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('a partition under concurrent clients', () => {
  it('produces per-key linearizable histories', async () => {
    const tmp = await makeTempDir('ns-lin');
    const store = PartitionStore.open({ path: tmp.dir, mapSizeBytes: 2 ** 28 });
    cleanup = async () => {
      await store.close();
      await tmp.remove();
    };
    const sm = new PartitionStateMachine({ store });
    await sm.execute(createBucketOp('lin'));
    const bodyOfEtag = new Map<string, string>();
    const history: KeyedOperation[] = [];
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };

    const client = async (c: number): Promise<void> => {
      for (let i = 0; i < 60; i++) {
        const key = `k${random(3)}`;
        const choice = random(10);
        const timedOut = random(10) === 0;
        const invokedAt = performance.now();
        if (choice < 4) {
          const res = sm.getObject(create(namespaceV1.GetObjectRequestSchema, { bucket: 'lin', key }));
          // A read is served synchronously; yield so writers interleave.
          await new Promise((resolve) => setImmediate(resolve));
          const value = res instanceof NamespaceError ? null : (bodyOfEtag.get(res.etag) ?? `?${res.etag}`);
          if (res instanceof NamespaceError) expect(res.code).toBe('NO_SUCH_KEY');
          history.push({
            key,
            input: { kind: 'read' },
            invokedAt,
            completed: { at: performance.now(), output: { kind: 'read', value } },
          });
          continue;
        }
        const body = `c${c}-${i}`;
        bodyOfEtag.set(md5Hex(body), body);
        let expected: string | null | undefined;
        let condition: { kind: 'ifNoneMatch' } | { kind: 'ifMatch'; etag: string } | undefined;
        if (choice === 4 || choice === 5) {
          expected = null;
          condition = { kind: 'ifNoneMatch' };
        } else if (choice === 6 || choice === 7) {
          // Guess the current value from a recent write of any client.
          const recent = [...bodyOfEtag.values()].slice(-3)[random(3)] ?? body;
          expected = recent;
          condition = { kind: 'ifMatch', etag: md5Hex(recent) };
        }
        const res = await sm.execute(putObjectOp({ bucket: 'lin', key, body, condition }));
        const completedAt = performance.now();
        const input: KeyedOperation['input'] =
          expected === undefined ? { kind: 'write', value: body } : { kind: 'cas', expected, value: body };
        let output: NonNullable<KeyedOperation['completed']>['output'];
        if (res instanceof NamespaceError) {
          expect(['PRECONDITION_FAILED', 'NO_SUCH_KEY']).toContain(res.code);
          output = { kind: 'cas', ok: false };
        } else output = expected === undefined ? { kind: 'write' } : { kind: 'cas', ok: true };
        history.push({ key, input, invokedAt, completed: timedOut ? undefined : { at: completedAt, output } });
      }
    };
    await Promise.all([0, 1, 2, 3, 4].map(client));
    const batches = sm.commitStats();
    expect(batches.items / batches.batches).toBeGreaterThan(1);
    expect(
      history.filter((h) => h.input.kind === 'cas' && h.completed?.output.kind === 'cas' && h.completed.output.ok)
        .length,
    ).toBeGreaterThan(0);
    expect(checkRegisterHistory(history)).toMatchObject({ ok: true });
  }, 60_000);
});
