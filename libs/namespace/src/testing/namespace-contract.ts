// The provider suite of the NamespaceService contract (namespace.proto), as a
// caller sees it through NamespaceRouter: buckets, conditional puts, gets and
// deletes, listings (prefix, delimiter, pagination), multipart, shard-location
// compare-and-set and the disk index. The real service passes it over real
// gRPC (namespace.integration.spec.ts); a consumer's fake must pass it too.
import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { Code, RpcError } from '@platter/rpc';
import { describe, expect, it } from 'vitest';
import type { NamespaceRouter } from '@platter/namespace-client';
import { errorReason } from '@platter/rpc';
import { partitionOfKey } from '@platter/namespace-client';
import {
  abortUploadOp,
  completeUploadOp,
  createUploadOp,
  deleteObjectOp,
  md5Hex,
  partLayout,
  putObjectOp,
  registerPartOp,
  shardIdOf,
  stripedLayout,
  updateShardOp,
} from './requests.js';

/** The calls the suite makes: NamespaceRouter's, or a fake's with the same shape. */
export type NamespaceApi = Pick<
  NamespaceRouter,
  | 'createBucket'
  | 'deleteBucket'
  | 'getBucket'
  | 'listBuckets'
  | 'setBucketVersioning'
  | 'putObject'
  | 'getObject'
  | 'deleteObject'
  | 'listObjects'
  | 'listObjectVersions'
  | 'createMultipartUpload'
  | 'registerPart'
  | 'listParts'
  | 'listMultipartUploads'
  | 'completeMultipartUpload'
  | 'abortMultipartUpload'
  | 'updateShardLocation'
  | 'listDiskShards'
  | 'getPartLayout'
  // One partition's replica, for steps a router takes one by one (a copy arriving late).
  | 'call'
>;

export interface NamespaceContractTarget {
  ns: NamespaceApi;
  partitionCount: number;
}

const R = commonV1.ErrorReason;

/** The RpcError `call` fails with (the test fails if it succeeds). */
export async function rpcFailure(call: () => Promise<unknown>): Promise<RpcError> {
  try {
    await call();
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

async function refusal(call: () => Promise<unknown>): Promise<{ code: Code; reason: commonV1.ErrorReason }> {
  const err = await rpcFailure(call);
  return { code: err.code, reason: errorReason(err) };
}

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function describeNamespaceContract(name: string, target: () => NamespaceContractTarget): void {
  describe(`NamespaceService contract: ${name}`, () => {
    it('creates, finds, lists, versions and deletes buckets, with S3 errors', async () => {
      const { ns } = target();
      const bucket = unique('bkt');
      const created = await ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' });
      expect(created.bucket).toMatchObject({ name: bucket, versioning: namespaceV1.VersioningState.UNVERSIONED });
      expect((await ns.getBucket({ name: bucket })).bucket?.ownerAccountId).toBe('acct-1');
      expect(
        await refusal(() => ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' })),
      ).toEqual({ code: Code.ALREADY_EXISTS, reason: R.BUCKET_ALREADY_OWNED_BY_YOU });
      expect(
        await refusal(() => ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-2' })),
      ).toEqual({ code: Code.ALREADY_EXISTS, reason: R.BUCKET_ALREADY_EXISTS });
      const listed = await ns.listBuckets({ ownerAccountId: 'acct-1', prefix: bucket });
      expect(listed.buckets.map((b) => b.name)).toEqual([bucket]);
      const versioned = await ns.setBucketVersioning({
        writeId: unique('w'),
        name: bucket,
        versioning: namespaceV1.VersioningState.ENABLED,
      });
      expect(versioned.bucket?.versioning).toBe(namespaceV1.VersioningState.ENABLED);
      // Every partition got the versioning change: keys anywhere get real version ids.
      for (const key of ['k1', 'k2', 'k3', 'k4']) {
        const put = await ns.putObject(putObjectOp({ bucket, key, body: key }).request);
        expect(put.version?.versionId).not.toBe('null');
      }
      expect(await refusal(() => ns.deleteBucket({ writeId: unique('w'), name: bucket }))).toEqual({
        code: Code.FAILED_PRECONDITION,
        reason: R.BUCKET_NOT_EMPTY,
      });
      const versions = await ns.listObjectVersions({ bucket });
      for (const v of versions.versions) {
        await ns.deleteObject(deleteObjectOp({ bucket, key: v.key, versionId: v.versionId }).request);
      }
      await ns.deleteBucket({ writeId: unique('w'), name: bucket });
      expect(await refusal(() => ns.getBucket({ name: bucket }))).toEqual({
        code: Code.NOT_FOUND,
        reason: R.NO_SUCH_BUCKET,
      });
      expect(await refusal(() => ns.putObject(putObjectOp({ bucket, key: 'k1', body: 'x' }).request))).toEqual({
        code: Code.NOT_FOUND,
        reason: R.NO_SUCH_BUCKET,
      });
    });

    it('puts, gets and deletes objects with conditions and write-id retries', async () => {
      const { ns } = target();
      const bucket = unique('obj');
      await ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' });
      const first = putObjectOp({ bucket, key: 'a/b.txt', body: 'hello', condition: { kind: 'ifNoneMatch' } });
      const put = await ns.putObject(first.request);
      expect(put.version).toMatchObject({ key: 'a/b.txt', etag: md5Hex('hello'), size: 5n, versionId: 'null' });
      // The same write id again: the first answer, nothing applied twice (it would fail its own If-None-Match).
      expect((await ns.putObject(first.request)).version?.sequence).toBe(put.version?.sequence);
      const got = await ns.getObject({ bucket, key: 'a/b.txt' });
      expect(got.version?.etag).toBe(md5Hex('hello'));
      expect(got.version?.layout?.data.case).toBe('inlineData');
      expect((await ns.getObject({ bucket, key: 'a/b.txt', metadataOnly: true })).version?.layout).toBeUndefined();
      expect(
        await refusal(() =>
          ns.putObject(putObjectOp({ bucket, key: 'a/b.txt', body: 'x', condition: { kind: 'ifNoneMatch' } }).request),
        ),
      ).toEqual({ code: Code.FAILED_PRECONDITION, reason: R.PRECONDITION_FAILED });
      expect(
        await refusal(() =>
          ns.putObject(
            putObjectOp({ bucket, key: 'a/b.txt', body: 'x', condition: { kind: 'ifMatch', etag: md5Hex('nope') } })
              .request,
          ),
        ),
      ).toEqual({ code: Code.FAILED_PRECONDITION, reason: R.PRECONDITION_FAILED });
      expect(
        await refusal(() =>
          ns.putObject(
            putObjectOp({ bucket, key: 'missing', body: 'x', condition: { kind: 'ifMatch', etag: '*' } }).request,
          ),
        ),
      ).toEqual({ code: Code.NOT_FOUND, reason: R.NO_SUCH_KEY });
      const swapped = await ns.putObject(
        putObjectOp({ bucket, key: 'a/b.txt', body: 'v2', condition: { kind: 'ifMatch', etag: md5Hex('hello') } })
          .request,
      );
      expect(swapped.replacedVersionId).toBe('null');
      expect((await ns.getObject({ bucket, key: 'a/b.txt' })).version?.etag).toBe(md5Hex('v2'));
      const del = await ns.deleteObject(deleteObjectOp({ bucket, key: 'a/b.txt' }).request);
      expect(del.existed).toBe(true);
      expect(await refusal(() => ns.getObject({ bucket, key: 'a/b.txt' }))).toEqual({
        code: Code.NOT_FOUND,
        reason: R.NO_SUCH_KEY,
      });
      expect((await ns.deleteObject(deleteObjectOp({ bucket, key: 'a/b.txt' }).request)).existed).toBe(false);
    });

    it('lists keys of every partition in byte order, with prefix, delimiter and exact pagination', async () => {
      const { ns, partitionCount } = target();
      const bucket = unique('lst');
      await ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' });
      const keys = [
        ...Array.from({ length: 12 }, (_, i) => `photos/2024/img-${String(i).padStart(2, '0')}.jpg`),
        ...Array.from({ length: 5 }, (_, i) => `photos/2025/img-${i}.jpg`),
        ...Array.from({ length: 6 }, (_, i) => `docs/d${i}`),
        'root.txt',
        'Zeta',
        'é-accent',
      ];
      await Promise.all(keys.map((key) => ns.putObject(putObjectOp({ bucket, key, body: key }).request)));
      // The keys really are spread (26 keys over n partitions): the listing must merge partitions.
      const used = new Set(keys.map((k) => partitionOfKey(bucket, k, partitionCount))).size;
      if (partitionCount > 1) expect(used).toBeGreaterThan(1);
      const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const all = await ns.listObjects({ bucket });
      expect(all.objects.map((o) => o.key)).toEqual(sorted);
      expect(all.isTruncated).toBe(false);
      const top = await ns.listObjects({ bucket, delimiter: '/' });
      expect(top.commonPrefixes).toEqual(['docs/', 'photos/']);
      expect(top.objects.map((o) => o.key)).toEqual(['Zeta', 'root.txt', 'é-accent']);
      const years = await ns.listObjects({ bucket, prefix: 'photos/', delimiter: '/' });
      expect(years.commonPrefixes).toEqual(['photos/2024/', 'photos/2025/']);
      // Pages of 4 under a prefix: every key once, in order, then the end.
      const seen: string[] = [];
      let token = '';
      for (let page = 0; page < 10; page++) {
        const res = await ns.listObjects({ bucket, prefix: 'photos/', maxKeys: 4, continuationToken: token });
        expect(res.objects.length).toBeLessThanOrEqual(4);
        seen.push(...res.objects.map((o) => o.key));
        if (!res.isTruncated) break;
        token = res.nextContinuationToken;
      }
      expect(seen).toEqual(sorted.filter((k) => k.startsWith('photos/')));
      const after = await ns.listObjects({ bucket, startAfter: 'photos/2025/img-2.jpg' });
      expect(after.objects.map((o) => o.key)).toEqual(
        sorted.filter((k) => Buffer.compare(Buffer.from(k), Buffer.from('photos/2025/img-2.jpg')) > 0),
      );
    });

    it('runs multipart uploads: register, list, complete with the S3 ETag, abort', async () => {
      const { ns } = target();
      const bucket = unique('mpu');
      await ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' });
      const up = await ns.createMultipartUpload(createUploadOp(bucket, 'big.bin').request);
      const uploadId = up.upload?.uploadId ?? '';
      expect(uploadId).not.toBe('');
      const e1 = md5Hex('part-1');
      const e2 = md5Hex('part-2');
      const s = randomBytes(2).toString('hex');
      await ns.registerPart(
        registerPartOp(
          bucket,
          'big.bin',
          uploadId,
          partLayout(1, 10n, [{ diskId: `d-${s}`, shardId: shardIdOf(Math.random()), shardIndex: 0 }], 3, e1),
        ).request,
      );
      await ns.registerPart(
        registerPartOp(
          bucket,
          'big.bin',
          uploadId,
          partLayout(2, 6n, [{ diskId: `d-${s}`, shardId: shardIdOf(Math.random()), shardIndex: 0 }], 3, e2),
        ).request,
      );
      const parts = await ns.listParts({ bucket, key: 'big.bin', uploadId });
      expect(parts.parts.map((p) => p.part?.partNumber)).toEqual([1, 2]);
      const uploads = await ns.listMultipartUploads({ bucket });
      expect(uploads.uploads.map((u) => [u.key, u.uploadId])).toEqual([['big.bin', uploadId]]);
      expect(
        await refusal(() =>
          ns.completeMultipartUpload(
            completeUploadOp(bucket, 'big.bin', uploadId, [
              { partNumber: 2, etag: e2 },
              { partNumber: 1, etag: e1 },
            ]).request,
          ),
        ),
      ).toEqual({ code: Code.INVALID_ARGUMENT, reason: R.INVALID_PART_ORDER });
      const done = await ns.completeMultipartUpload(
        completeUploadOp(bucket, 'big.bin', uploadId, [
          { partNumber: 1, etag: e1 },
          { partNumber: 2, etag: e2 },
        ]).request,
      );
      expect(done.version?.size).toBe(16n);
      expect(done.version?.etag).toMatch(/^[0-9a-f]{32}-2$/);
      expect((await ns.getObject({ bucket, key: 'big.bin' })).version?.partsCount).toBe(2);
      const other = await ns.createMultipartUpload(createUploadOp(bucket, 'gone.bin').request);
      const otherId = other.upload?.uploadId ?? '';
      await ns.abortMultipartUpload(abortUploadOp(bucket, 'gone.bin', otherId).request);
      expect(await refusal(() => ns.listParts({ bucket, key: 'gone.bin', uploadId: otherId }))).toEqual({
        code: Code.NOT_FOUND,
        reason: R.NO_SUCH_UPLOAD,
      });
      expect((await ns.listMultipartUploads({ bucket })).uploads).toEqual([]);
    });

    it('swaps shard locations with compare-and-set and keeps the disk index exact', async () => {
      const { ns, partitionCount } = target();
      const bucket = unique('shd');
      const tag = randomBytes(3).toString('hex');
      const [d1, d2, d3] = [`d1-${tag}`, `d2-${tag}`, `d3-${tag}`];
      const ids = [shardIdOf(Math.random()), shardIdOf(Math.random()), shardIdOf(Math.random())] as const;
      await ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' });
      const layout = stripedLayout(100n, [
        { diskId: d1, shardId: ids[0], shardIndex: 0 },
        { diskId: d2, shardId: ids[1], shardIndex: 1 },
      ]);
      await ns.putObject(putObjectOp({ bucket, key: 'o', layout, size: 100n, etag: md5Hex('o') }).request);
      const owner = { case: 'versionId' as const, value: 'null' };
      const moved = await ns.updateShardLocation(
        updateShardOp({
          bucket,
          key: 'o',
          owner,
          partNumber: 1,
          shardIndex: 1,
          expected: { diskId: d2, shardId: ids[1] },
          replacement: { diskId: d3, shardId: ids[2] },
        }).request,
      );
      expect(moved.part?.shards.map((x) => x.diskId)).toEqual([d1, d3]);
      expect(
        await refusal(() =>
          ns.updateShardLocation(
            updateShardOp({
              bucket,
              key: 'o',
              owner,
              partNumber: 1,
              shardIndex: 1,
              expected: { diskId: d2, shardId: ids[1] },
              replacement: { diskId: d1, shardId: shardIdOf(Math.random()) },
            }).request,
          ),
        ),
      ).toEqual({ code: Code.ABORTED, reason: R.LOCATION_CHANGED });
      const ref = create(commonV1.PartRefSchema, { bucket, key: 'o', owner, partNumber: 1 });
      expect((await ns.getPartLayout({ part: ref })).part?.shards.map((x) => x.shardId)).toEqual([ids[0], ids[2]]);
      const partition = partitionOfKey(bucket, 'o', partitionCount);
      const onD3 = await ns.listDiskShards(partition, { diskId: d3, includeLayout: true });
      expect(onD3.shards.map((x) => [x.location?.shardId, x.shard?.shardIndex])).toEqual([[ids[2], 1]]);
      expect(onD3.shards[0]?.part?.shards.length).toBe(2);
      expect((await ns.listDiskShards(partition, { diskId: d2 })).shards).toEqual([]);
    });
  });
}
