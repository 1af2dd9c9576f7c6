import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { NamespaceError } from '../errors.js';
import { PartitionStore } from '../store/partition-store.js';
import {
  abortUploadOp,
  completeUploadOp,
  copyBucketOp,
  createBucketOp,
  createUploadOp,
  deleteBucketOp,
  deleteBucketStepOp,
  deleteObjectOp,
  getObjectRequest,
  listObjectsRequest,
  md5Hex,
  partLayout,
  putObjectOp,
  registerPartOp,
  setVersioningOp,
  shardIdOf,
  stripedLayout,
  updateShardOp,
} from '../testing/requests.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { PartitionStateMachine, type Committed } from './partition-state-machine.js';
import type { OpOf, OpResponse, OpType } from './ops.js';

const VS = namespaceV1.VersioningState;
const STEP = namespaceV1.DeleteBucketStep;

let tmp: { dir: string; remove: () => Promise<void> };
let store: PartitionStore;
let sm: PartitionStateMachine;

beforeEach(async () => {
  tmp = await makeTempDir('ns-sm');
  store = PartitionStore.open({ path: tmp.dir, mapSizeBytes: 2 ** 30 });
  sm = new PartitionStateMachine({ store, chainEpoch: 1n, clock: () => 1_700_000_000_000 });
});

afterEach(async () => {
  await store.close();
  await tmp.remove();
});

async function ok<T extends OpType>(o: OpOf<T>): Promise<Committed<OpResponse<T>>> {
  const r = await sm.execute(o);
  if (r instanceof NamespaceError) throw new Error(`unexpected ${r.code}: ${r.message}`);
  return r;
}

async function refused<T extends OpType>(o: OpOf<T>): Promise<string> {
  const r = await sm.execute(o);
  if (!(r instanceof NamespaceError)) throw new Error(`expected a refusal, got sequence ${r.sequence}`);
  return r.code;
}

function shardsOn(diskId: string): string[] {
  const page = sm.listDiskShards(create(namespaceV1.ListDiskShardsRequestSchema, { diskId }));
  if (page instanceof NamespaceError) throw page;
  return page.shards.map((s) => s.location?.shardId ?? '');
}

function get(bucket: string, key: string, versionId = ''): namespaceV1.ObjectVersion | string {
  const r = sm.getObject(getObjectRequest(bucket, key, versionId));
  return r instanceof NamespaceError ? r.code : r;
}

describe('buckets', () => {
  it('creates, refuses duplicates by owner, and deletes only when empty', async () => {
    await ok(createBucketOp('bkt1', 'alice'));
    expect(await refused(createBucketOp('bkt1', 'alice'))).toBe('BUCKET_ALREADY_OWNED_BY_YOU');
    expect(await refused(createBucketOp('bkt1', 'bob'))).toBe('BUCKET_ALREADY_EXISTS');
    expect(await refused(createBucketOp('Bad_Name'))).toBe('INVALID_ARGUMENT');
    await ok(putObjectOp({ bucket: 'bkt1', key: 'k', body: 'x' }));
    expect(await refused(deleteBucketOp('bkt1'))).toBe('BUCKET_NOT_EMPTY');
    await ok(deleteObjectOp({ bucket: 'bkt1', key: 'k' }));
    await ok(deleteBucketOp('bkt1'));
    expect(sm.getBucket('bkt1')).toMatchObject({ code: 'NO_SUCH_BUCKET' });
    expect(await refused(putObjectOp({ bucket: 'bkt1', key: 'k', body: 'x' }))).toBe('NO_SUCH_BUCKET');
  });

  it('counts a delete marker as content', async () => {
    await ok(createBucketOp('bkt2'));
    await ok(setVersioningOp('bkt2', VS.ENABLED));
    await ok(deleteObjectOp({ bucket: 'bkt2', key: 'gone' }));
    expect(await refused(deleteBucketOp('bkt2'))).toBe('BUCKET_NOT_EMPTY');
  });

  it('deletes a bucket holding only in-progress uploads, with their parts and disk index rows', async () => {
    await ok(createBucketOp('bkt3'));
    const up = await ok(createUploadOp('bkt3', 'big'));
    const uploadId = up.response.upload?.uploadId ?? '';
    const shard = { diskId: 'd9', shardId: shardIdOf(90), shardIndex: 0 };
    await ok(registerPartOp('bkt3', 'big', uploadId, partLayout(1, 5n, [shard], 3, md5Hex('p1'))));
    await ok(createUploadOp('bkt3', 'other'));
    expect(shardsOn('d9')).toEqual([shardIdOf(90)]);
    await ok(deleteBucketOp('bkt3'));
    // The parts' shards are now unreferenced: the auditor reclaims them as orphans.
    expect(shardsOn('d9')).toEqual([]);
    await ok(createBucketOp('bkt3'));
    expect(
      sm.listMultipartUploads(create(namespaceV1.ListMultipartUploadsRequestSchema, { bucket: 'bkt3' })),
    ).toMatchObject({ uploads: [] });
    expect(await refused(registerPartOp('bkt3', 'big', uploadId, partLayout(2, 5n, [], 3, md5Hex('p2'))))).toBe(
      'NO_SUCH_UPLOAD',
    );
    expect(await refused(abortUploadOp('bkt3', 'big', uploadId))).toBe('NO_SUCH_UPLOAD');
  });
});

describe('deletion protocol (seal, unseal, drop)', () => {
  beforeEach(async () => {
    await ok(createBucketOp('seal'));
  });

  it('refuses to seal a partition holding a version, and leaves the bucket writable', async () => {
    await ok(putObjectOp({ bucket: 'seal', key: 'k', body: 'x' }));
    expect(await refused(deleteBucketStepOp('seal', STEP.SEAL, 'del-1'))).toBe('BUCKET_NOT_EMPTY');
    expect(sm.getBucket('seal')).toMatchObject({ state: namespaceV1.BucketState.UNSPECIFIED });
    await ok(putObjectOp({ bucket: 'seal', key: 'k2', body: 'y' }));
  });

  it('refuses every write that could add content while sealed, allows aborts, and unseals only by its deletion', async () => {
    const up = await ok(createUploadOp('seal', 'mpu'));
    const uploadId = up.response.upload?.uploadId ?? '';
    await ok(deleteBucketStepOp('seal', STEP.SEAL, 'del-1'));
    expect(sm.getBucket('seal')).toMatchObject({ state: namespaceV1.BucketState.DELETING, deletionId: 'del-1' });
    const conflict = 'CONDITIONAL_REQUEST_CONFLICT';
    expect(await refused(putObjectOp({ bucket: 'seal', key: 'k', body: 'x' }))).toBe(conflict);
    expect(await refused(deleteObjectOp({ bucket: 'seal', key: 'k' }))).toBe(conflict);
    expect(await refused(createUploadOp('seal', 'mpu2'))).toBe(conflict);
    expect(await refused(registerPartOp('seal', 'mpu', uploadId, partLayout(1, 5n, [], 3, md5Hex('p'))))).toBe(
      conflict,
    );
    expect(await refused(completeUploadOp('seal', 'mpu', uploadId, [{ partNumber: 1, etag: md5Hex('p') }]))).toBe(
      conflict,
    );
    expect(await refused(setVersioningOp('seal', VS.ENABLED))).toBe(conflict);
    expect(await refused(createBucketOp('seal'))).toBe(conflict);
    await ok(abortUploadOp('seal', 'mpu', uploadId));
    // Another deletion's unseal is a no-op; the sealing one's lifts it.
    await ok(deleteBucketStepOp('seal', STEP.UNSEAL, 'del-other'));
    expect(await refused(putObjectOp({ bucket: 'seal', key: 'k', body: 'x' }))).toBe(conflict);
    await ok(deleteBucketStepOp('seal', STEP.UNSEAL, 'del-1'));
    await ok(putObjectOp({ bucket: 'seal', key: 'k', body: 'x' }));
  });

  it('lets a later deletion take a seal over, and drops a sealed copy', async () => {
    await ok(deleteBucketStepOp('seal', STEP.SEAL, 'del-1'));
    await ok(deleteBucketStepOp('seal', STEP.SEAL, 'del-2'));
    await ok(deleteBucketStepOp('seal', STEP.UNSEAL, 'del-1'));
    expect(sm.getBucket('seal')).toMatchObject({ state: namespaceV1.BucketState.DELETING, deletionId: 'del-2' });
    await ok(deleteBucketStepOp('seal', STEP.DROP, 'del-2'));
    expect(sm.getBucket('seal')).toMatchObject({ code: 'NO_SUCH_BUCKET' });
    // Sealing where no copy exists is a success that writes nothing.
    await ok(deleteBucketStepOp('seal', STEP.SEAL, 'del-3'));
    expect(sm.getBucket('seal')).toMatchObject({ code: 'NO_SUCH_BUCKET' });
    expect(await refused(deleteBucketStepOp('seal', STEP.SEAL, ''))).toBe('INVALID_ARGUMENT');
  });
});

describe('bucket incarnations', () => {
  const BS = namespaceV1.BucketState;
  const names = (): string[] => {
    const page = sm.listBuckets(create(namespaceV1.ListBucketsRequestSchema, {}));
    if (page instanceof NamespaceError) throw page;
    return page.buckets.map((b) => b.name);
  };
  const home = (name: string): namespaceV1.Bucket => {
    const b = sm.getBucket(name);
    if (b instanceof NamespaceError) throw b;
    return b;
  };

  it('numbers each creation of a name one past the last dropped, behind a tombstone nobody sees', async () => {
    const first = await ok(createBucketOp('inc'));
    expect(first.response.bucket?.incarnation).toBe(1n);
    await ok(deleteBucketOp('inc'));
    expect(sm.getBucket('inc')).toMatchObject({ code: 'NO_SUCH_BUCKET' });
    expect(names()).not.toContain('inc');
    expect(await refused(putObjectOp({ bucket: 'inc', key: 'k', body: 'x' }))).toBe('NO_SUCH_BUCKET');
    expect(await refused(deleteBucketOp('inc'))).toBe('NO_SUCH_BUCKET');
    const second = await ok(createBucketOp('inc'));
    expect(second.response.bucket?.incarnation).toBe(2n);
    expect(names()).toContain('inc');
  });

  it('refuses a copy of an incarnation dropped here, or older than the one here', async () => {
    await ok(copyBucketOp('cpy', 4n));
    expect(home('cpy').incarnation).toBe(4n);
    // The same copy again (a retry, or the router after a lost answer) is already there.
    expect(await refused(copyBucketOp('cpy', 4n))).toBe('BUCKET_ALREADY_OWNED_BY_YOU');
    expect(await refused(copyBucketOp('cpy', 3n))).toBe('NO_SUCH_BUCKET');
    await ok(deleteBucketStepOp('cpy', STEP.DROP, 'del-1'));
    expect(await refused(copyBucketOp('cpy', 4n))).toBe('NO_SUCH_BUCKET');
    expect(await refused(putObjectOp({ bucket: 'cpy', key: 'k', body: 'x' }))).toBe('NO_SUCH_BUCKET');
    await ok(copyBucketOp('cpy', 5n));
    await ok(putObjectOp({ bucket: 'cpy', key: 'k', body: 'x' }));
  });

  it('drops a copy that never arrived: the late copy is refused and no write gets in', async () => {
    const record = create(namespaceV1.BucketSchema, { name: 'late', ownerAccountId: 'acct-1', incarnation: 7n });
    await ok(deleteBucketStepOp('late', STEP.SEAL, 'del-1', undefined, record));
    await ok(deleteBucketStepOp('late', STEP.DROP, 'del-1', undefined, record));
    expect(await refused(copyBucketOp('late', 7n))).toBe('NO_SUCH_BUCKET');
    expect(await refused(putObjectOp({ bucket: 'late', key: 'k', body: 'x' }))).toBe('NO_SUCH_BUCKET');
    expect(names()).not.toContain('late');
    // A creation decided at this partition as home continues the numbering.
    expect((await ok(createBucketOp('late'))).response.bucket?.incarnation).toBe(8n);
  });

  it('seals where no copy arrived yet with a sealed copy of the home record; unsealed, it is the missing copy', async () => {
    const record = create(namespaceV1.BucketSchema, {
      name: 'phx',
      ownerAccountId: 'acct-1',
      incarnation: 3n,
      versioning: VS.ENABLED,
    });
    await ok(deleteBucketStepOp('phx', STEP.SEAL, 'del-1', undefined, record));
    expect(home('phx')).toMatchObject({ state: BS.DELETING, deletionId: 'del-1', incarnation: 3n });
    // The copy arriving now finds itself in place, sealed: no write gets past the seal.
    expect(await refused(copyBucketOp('phx', 3n))).toBe('BUCKET_ALREADY_OWNED_BY_YOU');
    expect(await refused(putObjectOp({ bucket: 'phx', key: 'k', body: 'x' }))).toBe('CONDITIONAL_REQUEST_CONFLICT');
    await ok(deleteBucketStepOp('phx', STEP.UNSEAL, 'del-1'));
    expect(home('phx')).toMatchObject({ state: BS.UNSPECIFIED, incarnation: 3n, versioning: VS.ENABLED });
    await ok(putObjectOp({ bucket: 'phx', key: 'k', body: 'x' }));
  });

  it('replaces an empty copy an earlier incarnation left, but never one holding versions', async () => {
    await ok(copyBucketOp('old', 1n));
    const up = await ok(createUploadOp('old', 'mpu'));
    await ok(copyBucketOp('old', 2n));
    expect(home('old').incarnation).toBe(2n);
    const listed = sm.listMultipartUploads(create(namespaceV1.ListMultipartUploadsRequestSchema, { bucket: 'old' }));
    expect(listed).toMatchObject({ uploads: [] });
    expect(up.response.upload?.uploadId).not.toBe('');
    await ok(putObjectOp({ bucket: 'old', key: 'k', body: 'x' }));
    expect(await refused(copyBucketOp('old', 3n))).toBe('BUCKET_NOT_EMPTY');
    expect(home('old').incarnation).toBe(2n);
  });
});

describe('objects and conditions', () => {
  beforeEach(async () => {
    await ok(createBucketOp('bkt'));
  });

  it('evaluates If-None-Match and If-Match atomically with the write', async () => {
    const first = await ok(putObjectOp({ bucket: 'bkt', key: 'a', body: 'one', condition: { kind: 'ifNoneMatch' } }));
    expect(first.response.version?.versionId).toBe('null');
    expect(first.response.replacedVersionId).toBe('');
    expect(
      await refused(putObjectOp({ bucket: 'bkt', key: 'a', body: 'two', condition: { kind: 'ifNoneMatch' } })),
    ).toBe('PRECONDITION_FAILED');
    expect(
      await refused(
        putObjectOp({ bucket: 'bkt', key: 'a', body: 'two', condition: { kind: 'ifMatch', etag: md5Hex('zzz') } }),
      ),
    ).toBe('PRECONDITION_FAILED');
    const second = await ok(
      putObjectOp({ bucket: 'bkt', key: 'a', body: 'two', condition: { kind: 'ifMatch', etag: md5Hex('one') } }),
    );
    expect(second.response.replacedVersionId).toBe('null');
    expect(
      await refused(putObjectOp({ bucket: 'bkt', key: 'nope', body: 'x', condition: { kind: 'ifMatch', etag: '*' } })),
    ).toBe('NO_SUCH_KEY');
    const current = get('bkt', 'a');
    expect(typeof current === 'string' ? current : current.etag).toBe(md5Hex('two'));
    expect(await refused(deleteObjectOp({ bucket: 'bkt', key: 'a', ifMatch: md5Hex('one') }))).toBe(
      'PRECONDITION_FAILED',
    );
    const del = await ok(deleteObjectOp({ bucket: 'bkt', key: 'a', ifMatch: md5Hex('two') }));
    expect(del.response).toMatchObject({ existed: true, deleteMarker: false, versionId: 'null' });
    expect(get('bkt', 'a')).toBe('NO_SUCH_KEY');
  });

  it('keeps versions newest first in an ENABLED bucket, with delete markers and the null version', async () => {
    await ok(putObjectOp({ bucket: 'bkt', key: 'k', body: 'v0' })); // the null version
    await ok(setVersioningOp('bkt', VS.ENABLED));
    const v1 = await ok(putObjectOp({ bucket: 'bkt', key: 'k', body: 'v1' }));
    const id1 = v1.response.version?.versionId ?? '';
    expect(id1).toMatch(/^[0-9a-f]{16}$/);
    const marker = await ok(deleteObjectOp({ bucket: 'bkt', key: 'k' }));
    expect(marker.response.deleteMarker).toBe(true);
    const latest = get('bkt', 'k');
    expect(typeof latest !== 'string' && latest.deleteMarker).toBe(true);
    // If-None-Match succeeds over a delete marker.
    const v2 = await ok(putObjectOp({ bucket: 'bkt', key: 'k', body: 'v2', condition: { kind: 'ifNoneMatch' } }));
    const versions = sm.listObjectVersions(listVersions('bkt')) as namespaceV1.ListObjectVersionsResponse;
    expect(versions.versions.map((v) => [v.versionId, v.isLatest, v.deleteMarker])).toEqual([
      [v2.response.version?.versionId, true, false],
      [marker.response.versionId, false, true],
      [id1, false, false],
      ['null', false, false],
    ]);
    const old = get('bkt', 'k', 'null');
    expect(typeof old !== 'string' && old.etag).toBe(md5Hex('v0'));
    // Removing a specific version, including the delete marker.
    await ok(deleteObjectOp({ bucket: 'bkt', key: 'k', versionId: marker.response.versionId }));
    await ok(deleteObjectOp({ bucket: 'bkt', key: 'k', versionId: 'null' }));
    expect(get('bkt', 'k', 'null')).toBe('NO_SUCH_VERSION');
    expect(get('bkt', 'k', 'zzzz')).toBe('INVALID_ARGUMENT');
  });

  it('replaces the null version in a SUSPENDED bucket and adds a null delete marker', async () => {
    await ok(setVersioningOp('bkt', VS.ENABLED));
    const kept = await ok(putObjectOp({ bucket: 'bkt', key: 's', body: 'kept' }));
    await ok(setVersioningOp('bkt', VS.SUSPENDED));
    await ok(putObjectOp({ bucket: 'bkt', key: 's', body: 'n1' }));
    const n2 = await ok(putObjectOp({ bucket: 'bkt', key: 's', body: 'n2' }));
    expect(n2.response.replacedVersionId).toBe('null');
    const del = await ok(deleteObjectOp({ bucket: 'bkt', key: 's' }));
    expect(del.response).toMatchObject({ deleteMarker: true, versionId: 'null', existed: true });
    const versions = sm.listObjectVersions(listVersions('bkt')) as namespaceV1.ListObjectVersionsResponse;
    expect(versions.versions.map((v) => [v.versionId, v.deleteMarker])).toEqual([
      ['null', true],
      [kept.response.version?.versionId, false],
    ]);
  });

  it('answers a write_id retry with the first outcome and applies nothing twice', async () => {
    const put = putObjectOp({
      bucket: 'bkt',
      key: 'r',
      body: 'x',
      condition: { kind: 'ifNoneMatch' },
      writeId: 'req-1',
    });
    const first = await ok(put);
    const retry = await ok(put);
    expect(retry.duplicate).toBe(true);
    expect(retry.sequence).toBe(first.sequence);
    expect(retry.response).toEqual(first.response);
    expect(store.applied().sequence).toBe(first.sequence);
    expect(await refused(deleteObjectOp({ bucket: 'bkt', key: 'r', writeId: 'req-1' }))).toBe('WRITE_ID_REUSED');
  });

  it('refuses a stale epoch and fences routes', async () => {
    sm.setChainEpoch(5n);
    await ok(putObjectOp({ bucket: 'bkt', key: 'e', body: 'x' }));
    expect(store.applied().epoch).toBe(5n);
    const stale = new PartitionStateMachine({ store, chainEpoch: 4n });
    expect(await stale.execute(putObjectOp({ bucket: 'bkt', key: 'e', body: 'y' }))).toMatchObject({
      code: 'STALE_EPOCH',
    });
    expect(sm.checkRoute(namespaceRoute(4n))?.code).toBe('STALE_EPOCH');
    expect(sm.checkRoute(namespaceRoute(6n))?.code).toBe('RECEIVER_BEHIND');
    expect(sm.checkRoute(namespaceRoute(5n))).toBeUndefined();
    expect(sm.checkRoute(namespaceRoute(0n))).toBeUndefined();
  });
});

describe('multipart', () => {
  beforeEach(async () => {
    await ok(createBucketOp('mpu'));
  });

  it('completes atomically from the listed parts, with the S3 ETag, and moves the disk index', async () => {
    const up = await ok(createUploadOp('mpu', 'obj'));
    const uploadId = up.response.upload?.uploadId ?? '';
    const etag1 = md5Hex('p1');
    const etag2 = md5Hex('p2');
    await ok(
      registerPartOp(
        'mpu',
        'obj',
        uploadId,
        partLayout(1, 10n, [{ diskId: 'd1', shardId: shardIdOf(1), shardIndex: 0 }], 3, etag1),
      ),
    );
    await ok(
      registerPartOp(
        'mpu',
        'obj',
        uploadId,
        partLayout(2, 5n, [{ diskId: 'd1', shardId: shardIdOf(2), shardIndex: 0 }], 3, etag2),
      ),
    );
    await ok(
      registerPartOp(
        'mpu',
        'obj',
        uploadId,
        partLayout(3, 5n, [{ diskId: 'd1', shardId: shardIdOf(3), shardIndex: 0 }], 3, md5Hex('p3')),
      ),
    );
    expect(
      await refused(
        completeUploadOp('mpu', 'obj', uploadId, [
          { partNumber: 2, etag: etag2 },
          { partNumber: 1, etag: etag1 },
        ]),
      ),
    ).toBe('INVALID_PART_ORDER');
    expect(await refused(completeUploadOp('mpu', 'obj', uploadId, [{ partNumber: 1, etag: etag2 }]))).toBe(
      'INVALID_PART',
    );
    const done = await ok(
      completeUploadOp('mpu', 'obj', uploadId, [
        { partNumber: 1, etag: etag1 },
        { partNumber: 2, etag: etag2 },
      ]),
    );
    const version = done.response.version;
    expect(version?.size).toBe(15n);
    expect(version?.partsCount).toBe(2);
    expect(version?.etag).toMatch(/^[0-9a-f]{32}-2$/);
    const disk = sm.listDiskShards(create(namespaceV1.ListDiskShardsRequestSchema, { diskId: 'd1' }));
    if (disk instanceof NamespaceError) throw disk;
    // Part 3 was not listed: its shard is no longer referenced.
    expect(disk.shards.map((s) => [s.location?.shardId, s.shard?.part?.owner.case])).toEqual(
      [shardIdOf(1), shardIdOf(2)].sort().map((id) => [id, 'versionId']),
    );
    expect(await refused(completeUploadOp('mpu', 'obj', uploadId, [{ partNumber: 1, etag: etag1 }]))).toBe(
      'NO_SUCH_UPLOAD',
    );
  });

  it('checks the key condition at completion and leaves the upload open when it fails', async () => {
    await ok(putObjectOp({ bucket: 'mpu', key: 'taken', body: 'x' }));
    const up = await ok(createUploadOp('mpu', 'taken'));
    const uploadId = up.response.upload?.uploadId ?? '';
    const etag = md5Hex('p');
    await ok(registerPartOp('mpu', 'taken', uploadId, partLayout(1, 3n, [], 3, etag)));
    const complete = completeUploadOp('mpu', 'taken', uploadId, [{ partNumber: 1, etag }], {
      condition: { kind: 'ifNoneMatch' },
    });
    expect(await refused(complete)).toBe('PRECONDITION_FAILED');
    await ok(deleteObjectOp({ bucket: 'mpu', key: 'taken' }));
    expect((await ok(complete)).response.version?.etag).toMatch(/-1$/);
  });
});

describe('shard locations', () => {
  it('swaps a slot with compare-and-set and keeps the disk index in step', async () => {
    await ok(createBucketOp('shd'));
    const layout = stripedLayout(100n, [
      { diskId: 'd1', shardId: shardIdOf(1), shardIndex: 0 },
      { diskId: 'd2', shardId: shardIdOf(2), shardIndex: 1 },
    ]);
    await ok(putObjectOp({ bucket: 'shd', key: 'o', layout, size: 100n, etag: md5Hex('o') }));
    const owner = { case: 'versionId' as const, value: 'null' };
    const move = updateShardOp({
      bucket: 'shd',
      key: 'o',
      owner,
      partNumber: 1,
      shardIndex: 1,
      expected: { diskId: 'd2', shardId: shardIdOf(2) },
      replacement: { diskId: 'd3', shardId: shardIdOf(3) },
    });
    const moved = await ok(move);
    expect(moved.response.part?.shards.map((s) => s.diskId)).toEqual(['d1', 'd3']);
    // The same swap again (another write id) is a retry: it finds the replacement.
    expect(
      (await ok({ ...move, request: { ...move.request, writeId: 'again' } })).response.part?.shards[1]?.diskId,
    ).toBe('d3');
    // Expecting the old location now loses the race.
    expect(
      await refused(
        updateShardOp({
          bucket: 'shd',
          key: 'o',
          owner,
          partNumber: 1,
          shardIndex: 1,
          expected: { diskId: 'd2', shardId: shardIdOf(2) },
          replacement: { diskId: 'd4', shardId: shardIdOf(4) },
        }),
      ),
    ).toBe('LOCATION_CHANGED');
    // An empty slot is filled when expected is unset.
    await ok(
      updateShardOp({
        bucket: 'shd',
        key: 'o',
        owner,
        partNumber: 1,
        shardIndex: 2,
        replacement: { diskId: 'd5', shardId: shardIdOf(5) },
      }),
    );
    const onDisk = (diskId: string): string[] => {
      const r = sm.listDiskShards(create(namespaceV1.ListDiskShardsRequestSchema, { diskId }));
      if (r instanceof NamespaceError) throw r;
      return r.shards.map((s) => s.location?.shardId ?? '');
    };
    expect(onDisk('d2')).toEqual([]);
    expect(onDisk('d3')).toEqual([shardIdOf(3)]);
    expect(onDisk('d5')).toEqual([shardIdOf(5)]);
    await ok(deleteObjectOp({ bucket: 'shd', key: 'o' }));
    expect([...onDisk('d1'), ...onDisk('d3'), ...onDisk('d5')]).toEqual([]);
    expect(
      await refused(
        updateShardOp({
          bucket: 'shd',
          key: 'o',
          owner,
          partNumber: 1,
          shardIndex: 0,
          replacement: { diskId: 'd6', shardId: shardIdOf(6) },
        }),
      ),
    ).toBe('NO_SUCH_VERSION');
  });
});

describe('shard ownership', () => {
  it('refuses a shard that another slot still holds, but lets a write take over the null version it replaces', async () => {
    await ok(createBucketOp('own'));
    const held = stripedLayout(10n, [{ diskId: 'd1', shardId: shardIdOf(42), shardIndex: 0 }]);
    await ok(putObjectOp({ bucket: 'own', key: 'first', layout: held, size: 10n, etag: md5Hex('f') }));
    // Another key may not claim the shard (a late retry whose write id expired looks like this).
    expect(
      await refused(putObjectOp({ bucket: 'own', key: 'second', layout: held, size: 10n, etag: md5Hex('f') })),
    ).toBe('INVALID_ARGUMENT');
    // Overwriting the null version of the same key frees its shards first.
    await ok(putObjectOp({ bucket: 'own', key: 'first', layout: held, size: 10n, etag: md5Hex('f') }));
    await ok(setVersioningOp('own', VS.ENABLED));
    expect(
      await refused(putObjectOp({ bucket: 'own', key: 'first', layout: held, size: 10n, etag: md5Hex('f') })),
    ).toBe('INVALID_ARGUMENT');
  });
});

describe('listing', () => {
  it('lists current keys in UTF-8 byte order with common prefixes and exact resumption', async () => {
    await ok(createBucketOp('lst'));
    const keys = ['a', 'a/b', 'a/c/d', 'b', 'é', '\u{1F600}', '\uFFFD', 'z/1', 'z/2', 'zz'];
    for (const key of keys) await ok(putObjectOp({ bucket: 'lst', key, body: key }));
    await ok(setVersioningOp('lst', VS.ENABLED));
    await ok(deleteObjectOp({ bucket: 'lst', key: 'b' }));
    const all = sm.listObjects(listObjectsRequest('lst')) as namespaceV1.ListObjectsResponse;
    const byBytes = keys.filter((k) => k !== 'b').sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(all.objects.map((o) => o.key)).toEqual(byBytes);
    const rolled = sm.listObjects(listObjectsRequest('lst', { delimiter: '/' })) as namespaceV1.ListObjectsResponse;
    expect(rolled.objects.map((o) => o.key)).toEqual(['a', 'zz', 'é', '\uFFFD', '\u{1F600}']);
    expect(rolled.commonPrefixes).toEqual(['a/', 'z/']);
    const seen: string[] = [];
    let token = '';
    for (let page = 0; page < 20; page++) {
      const r = sm.listObjects(
        listObjectsRequest('lst', { delimiter: '/', maxKeys: 2, token }),
      ) as namespaceV1.ListObjectsResponse;
      seen.push(...r.objects.map((o) => o.key), ...r.commonPrefixes);
      if (!r.isTruncated) break;
      token = r.nextContinuationToken;
    }
    expect(seen.sort()).toEqual(['a', 'a/', 'z/', 'zz', 'é', '\uFFFD', '\u{1F600}'].sort());
    expect(sm.listObjects(listObjectsRequest('lst', { token: 'garbage!' }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('listing under a scan budget', () => {
  it('reports a common prefix whose first keys are hidden by delete markers, once', async () => {
    await ok(createBucketOp('bud'));
    await ok(setVersioningOp('bud', VS.ENABLED));
    for (const key of ['a/1', 'a/2', 'a/3', 'b', 'c/1']) await ok(putObjectOp({ bucket: 'bud', key, body: key }));
    for (const key of ['a/1', 'a/2', 'c/1']) await ok(deleteObjectOp({ bucket: 'bud', key }));
    for (const budget of [1, 2, 3, 100]) {
      const seen: string[] = [];
      let token = '';
      for (let page = 0; page < 50; page++) {
        const r = sm.listObjects(listObjectsRequest('bud', { delimiter: '/', token }), { scanBudgetRows: budget });
        if (r instanceof NamespaceError) throw r;
        seen.push(...r.commonPrefixes.map((p) => `P:${p}`), ...r.objects.map((o) => `K:${o.key}`));
        if (!r.isTruncated) break;
        token = r.nextContinuationToken;
      }
      expect(seen).toEqual(['P:a/', 'K:b']);
    }
  });
});

function listVersions(bucket: string): namespaceV1.ListObjectVersionsRequest {
  return create(namespaceV1.ListObjectVersionsRequestSchema, { bucket });
}

function namespaceRoute(chainEpoch: bigint): namespaceV1.PartitionRoute {
  return create(namespaceV1.PartitionRouteSchema, { partitionId: 0, chainEpoch });
}
