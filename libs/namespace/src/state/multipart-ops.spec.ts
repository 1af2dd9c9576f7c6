import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NamespaceError } from '../errors.js';
import { PartitionStore } from '../store/partition-store.js';
import {
  completeUploadOp,
  createBucketOp,
  createUploadOp,
  md5Hex,
  partLayout,
  registerPartOp,
  shardIdOf,
} from '../testing/requests.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { PartitionStateMachine } from './partition-state-machine.js';
import type { OpOf } from './ops.js';

// CompleteMultipartUpload's minimum part size: the stricter of the
// namespace's own limit and the one the caller (the frontend) sends.

let tmp: { dir: string; remove: () => Promise<void> };
let store: PartitionStore;

beforeEach(async () => {
  tmp = await makeTempDir('ns-mpu');
  store = PartitionStore.open({ path: tmp.dir, mapSizeBytes: 2 ** 30 });
});

afterEach(async () => {
  await store.close();
  await tmp.remove();
});

/** An upload with parts of 100 and 50 bytes, and the Complete that lists both. */
async function uploadOfTwoParts(sm: PartitionStateMachine): Promise<OpOf<'completeMultipartUpload'>> {
  const ok = async (o: Parameters<PartitionStateMachine['execute']>[0]) => {
    const r = await sm.execute(o);
    if (r instanceof NamespaceError) throw new Error(`unexpected ${r.code}`);
    return r;
  };
  await ok(createBucketOp('mpu'));
  const up = await ok(createUploadOp('mpu', 'obj'));
  const uploadId = 'upload' in up.response ? (up.response.upload?.uploadId ?? '') : '';
  const sizes = [100n, 50n];
  for (const [i, size] of sizes.entries()) {
    const n = i + 1;
    const shard = [{ diskId: 'd1', shardId: shardIdOf(n), shardIndex: 0 }];
    await ok(registerPartOp('mpu', 'obj', uploadId, partLayout(n, size, shard, 3, md5Hex(`p${n}`))));
  }
  return completeUploadOp('mpu', 'obj', uploadId, [
    { partNumber: 1, etag: md5Hex('p1') },
    { partNumber: 2, etag: md5Hex('p2') },
  ]);
}

async function outcome(sm: PartitionStateMachine, complete: OpOf<'completeMultipartUpload'>): Promise<string> {
  const r = await sm.execute(complete);
  return r instanceof NamespaceError ? r.code : 'OK';
}

describe('completeMultipartUpload minimum part size', () => {
  it("refuses a non-last part under the caller's minimum and keeps the upload", async () => {
    const sm = new PartitionStateMachine({ store, chainEpoch: 1n, clock: () => 1_700_000_000_000 });
    const complete = await uploadOfTwoParts(sm);
    complete.request.minPartSizeBytes = 101n;
    expect(await outcome(sm, complete)).toBe('ENTITY_TOO_SMALL');
    // Nothing was consumed: the same parts complete under a lower minimum.
    complete.request.minPartSizeBytes = 100n;
    complete.request.writeId = 'second-attempt';
    expect(await outcome(sm, complete)).toBe('OK');
  });

  it('never checks the last part', async () => {
    const sm = new PartitionStateMachine({ store, chainEpoch: 1n, clock: () => 1_700_000_000_000 });
    const complete = await uploadOfTwoParts(sm);
    complete.request.minPartSizeBytes = 60n; // above the last part's 50 bytes
    expect(await outcome(sm, complete)).toBe('OK');
  });

  it("enforces the namespace's own limit when it is the stricter one", async () => {
    const sm = new PartitionStateMachine({
      store,
      chainEpoch: 1n,
      clock: () => 1_700_000_000_000,
      minPartSizeBytes: 200,
    });
    const complete = await uploadOfTwoParts(sm);
    complete.request.minPartSizeBytes = 10n;
    expect(await outcome(sm, complete)).toBe('ENTITY_TOO_SMALL');
  });

  it('has no minimum when neither side sets one', async () => {
    const sm = new PartitionStateMachine({ store, chainEpoch: 1n, clock: () => 1_700_000_000_000 });
    expect(await outcome(sm, await uploadOfTwoParts(sm))).toBe('OK');
  });
});
