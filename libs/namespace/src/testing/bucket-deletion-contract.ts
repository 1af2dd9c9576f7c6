// DeleteBucket across partitions, as a caller sees it through NamespaceRouter:
// in-progress uploads go with the bucket, and a deletion racing writers never
// leaves an acknowledged object in a deleted (or re-created) bucket. The real
// service passes it over real gRPC (namespace.integration.spec.ts).
import { randomBytes } from 'node:crypto';
import { commonV1, namespaceV1 } from '@platter/proto';
import { Code, RpcError, errorReason } from '@platter/rpc';
import { describe, expect, it } from 'vitest';
import { homePartitionOfBucket, partitionOfKey } from '@platter/namespace-client';
import type { NamespaceContractTarget } from './namespace-contract.js';
import { rpcFailure } from './namespace-contract.js';
import {
  completeUploadOp,
  createUploadOp,
  deleteObjectOp,
  md5Hex,
  partLayout,
  putObjectOp,
  registerPartOp,
  shardIdOf,
} from './requests.js';

const R = commonV1.ErrorReason;

// Writers racing each deletion: enough to keep objects in flight on every
// partition, few enough that every partition is sometimes empty (a deletion
// needs each one empty when it seals it) and for two shared cores.
const RACE_WRITERS = 4;
// A writer's pause between PUT/DELETE pairs, up to this (ms, random): lowers
// the time a partition holds an object, so deletions do succeed.
const RACE_THINK_MAX_MS = 40;
const RACE_ROUNDS = 3;
// More rounds, up to this many, while no deletion has yet met an object in
// flight: on a loaded machine a round's deletion may win at once.
const RACE_MAX_ROUNDS = 8;
// Writers run alone at least this long before the deletion starts, and until
// one of their objects exists, so that it meets objects in flight (ms)...
const RACE_HEAD_START_MS = 150;
// ...waiting for such an object at most this long (ms; a slow chain's first PUTs).
const RACE_IN_FLIGHT_WAIT_MS = 10_000;
// DeleteBucket is retried on BucketNotEmpty (the writers keep the bucket
// briefly non-empty) until it succeeds or this time passes (ms; a bound, not a
// target: it usually succeeds within a few attempts). A round whose deletion
// never won still checks that the refused deletions left the bucket whole.
const RACE_DELETE_BUDGET_MS = 25_000;
// A writer stops after this many PUT/DELETE pairs even if the bucket lives on.
const MAX_PAIRS_PER_WRITER = 2_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** What one writer saw: its acknowledged PUTs, which of them it removed again, and its refusals. */
interface WriterLog {
  acked: Array<{ key: string; ackedAt: number }>;
  removed: Set<string>;
  /** PUTs refused because the bucket was sealed (ABORTED). */
  refused: number;
  /** When PUTs were answered NO_SUCH_BUCKET (ms). */
  goneAt: number[];
  /** A DELETE of an acknowledged object that failed: the object outlived its bucket's seal or drop. */
  stranded: Array<{ key: string; reason: string }>;
}

function describeError(error: unknown): string {
  return error instanceof RpcError ? `code ${error.code}/${R[errorReason(error)]}: ${error.message}` : String(error);
}

/** A key of `bucket` that lives on `partition`. */
function keyOn(bucket: string, partition: number, partitionCount: number): string {
  for (let i = 0; ; i++) if (partitionOfKey(bucket, `k${i}`, partitionCount) === partition) return `k${i}`;
}

export function describeBucketDeletionContract(name: string, target: () => NamespaceContractTarget): void {
  describe(`DeleteBucket across partitions: ${name}`, () => {
    it('deletes a bucket whose only content is in-progress uploads; a re-created bucket never sees them', async () => {
      const { ns, partitionCount } = target();
      const bucket = unique('mpu-del');
      await ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' });
      // Uploads on at least two partitions (when there are two), one with a
      // registered part (its shard is in the disk index).
      const keys: string[] = [];
      const used = new Set<number>();
      for (let i = 0; i < 64 && (keys.length < 4 || used.size < Math.min(2, partitionCount)); i++) {
        keys.push(`upload-${i}`);
        used.add(partitionOfKey(bucket, `upload-${i}`, partitionCount));
      }
      expect(used.size).toBeGreaterThanOrEqual(Math.min(2, partitionCount));
      const ids = new Map<string, string>();
      for (const key of keys) {
        const up = await ns.createMultipartUpload(createUploadOp(bucket, key).request);
        ids.set(key, up.upload?.uploadId ?? '');
      }
      const disk = unique('disk');
      const shardId = shardIdOf(Math.random());
      const firstKey = keys[0] ?? '';
      const firstId = ids.get(firstKey) ?? '';
      await ns.registerPart(
        registerPartOp(
          bucket,
          firstKey,
          firstId,
          partLayout(1, 10n, [{ diskId: disk, shardId, shardIndex: 0 }], 3, md5Hex('p1')),
        ).request,
      );
      const part = partitionOfKey(bucket, firstKey, partitionCount);
      expect((await ns.listDiskShards(part, { diskId: disk })).shards).toHaveLength(1);

      await ns.deleteBucket({ writeId: unique('w'), name: bucket });
      expect(errorReason(await rpcFailure(() => ns.getBucket({ name: bucket })))).toBe(R.NO_SUCH_BUCKET);
      // The part's shard is no longer referenced: the auditor reclaims it as an orphan.
      expect((await ns.listDiskShards(part, { diskId: disk })).shards).toHaveLength(0);

      await ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' });
      expect((await ns.listMultipartUploads({ bucket })).uploads).toEqual([]);
      expect(
        errorReason(
          await rpcFailure(() =>
            ns.registerPart(registerPartOp(bucket, firstKey, firstId, partLayout(2, 10n, [], 3, md5Hex('p2'))).request),
          ),
        ),
      ).toBe(R.NO_SUCH_UPLOAD);
      expect(
        errorReason(
          await rpcFailure(() =>
            ns.completeMultipartUpload(
              completeUploadOp(bucket, firstKey, firstId, [{ partNumber: 1, etag: md5Hex('x') }]).request,
            ),
          ),
        ),
      ).toBe(R.NO_SUCH_UPLOAD);
      await ns.deleteBucket({ writeId: unique('w'), name: bucket });
    });

    it('refuses a bucket copy that reaches a partition after the deletion passed it (CreateBucket racing DeleteBucket)', async () => {
      const { ns, partitionCount } = target();
      expect(partitionCount).toBeGreaterThan(1);
      const bucket = unique('late');
      const home = homePartitionOfBucket(bucket, partitionCount);
      const elsewhere = (home + 1) % partitionCount;
      const key = keyOn(bucket, elsewhere, partitionCount);
      // A router that stopped after the home decided: no copy anywhere else yet.
      const created = await ns.call(home, 'head', 'createBucket', {
        writeId: unique('w'),
        name: bucket,
        ownerAccountId: 'acct-1',
      });
      const incarnation = created.bucket?.incarnation ?? 0n;
      expect(incarnation).toBeGreaterThan(0n);
      await ns.deleteBucket({ writeId: unique('w'), name: bucket });
      // Its copy arrives now: refused, and the partition takes no write for the bucket.
      const lateCopy = (): Promise<unknown> =>
        ns.call(elsewhere, 'head', 'createBucket', {
          writeId: unique('w'),
          name: bucket,
          ownerAccountId: 'acct-1',
          incarnation,
        });
      expect(errorReason(await rpcFailure(lateCopy))).toBe(R.NO_SUCH_BUCKET);
      expect(errorReason(await rpcFailure(() => ns.putObject(putObjectOp({ bucket, key, body: 'x' }).request)))).toBe(
        R.NO_SUCH_BUCKET,
      );
      expect(errorReason(await rpcFailure(() => ns.getBucket({ name: bucket })))).toBe(R.NO_SUCH_BUCKET);
      expect((await ns.listBuckets({ prefix: bucket })).buckets).toEqual([]);

      // The next incarnation is a new number, and the old copy stays refused beside it.
      const again = await ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' });
      expect(again.bucket?.incarnation).toBeGreaterThan(incarnation);
      expect(errorReason(await rpcFailure(lateCopy))).toBe(R.NO_SUCH_BUCKET);
      await ns.putObject(putObjectOp({ bucket, key, body: 'new' }).request);
      expect((await ns.listObjects({ bucket })).objects.map((o) => o.key)).toEqual([key]);
      await ns.deleteObject(deleteObjectOp({ bucket, key }).request);
      await ns.deleteBucket({ writeId: unique('w'), name: bucket });
    });

    it('repairs a bucket copy that never arrived from the home record, versioning state included', async () => {
      const { ns, partitionCount } = target();
      const bucket = unique('heal');
      const home = homePartitionOfBucket(bucket, partitionCount);
      const elsewhere = (home + 1) % partitionCount;
      // A router that stopped after the home decided, and a versioning change that reached only the home.
      await ns.call(home, 'head', 'createBucket', { writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' });
      await ns.call(home, 'head', 'setBucketVersioning', {
        writeId: unique('w'),
        name: bucket,
        versioning: namespaceV1.VersioningState.ENABLED,
      });
      const key = keyOn(bucket, elsewhere, partitionCount);
      await ns.putObject(putObjectOp({ bucket, key, body: 'v1' }).request);
      await ns.putObject(putObjectOp({ bucket, key, body: 'v2' }).request);
      expect((await ns.listObjectVersions({ bucket })).versions).toHaveLength(2);
      expect(errorReason(await rpcFailure(() => ns.deleteBucket({ writeId: unique('w'), name: bucket })))).toBe(
        R.BUCKET_NOT_EMPTY,
      );
      // A bucket that does not exist stays so: the repair asks the home and finds nothing.
      const missing = unique('none');
      const other = (homePartitionOfBucket(missing, partitionCount) + 1) % partitionCount;
      expect(
        errorReason(
          await rpcFailure(() =>
            ns.putObject(
              putObjectOp({ bucket: missing, key: keyOn(missing, other, partitionCount), body: 'x' }).request,
            ),
          ),
        ),
      ).toBe(R.NO_SUCH_BUCKET);
    });

    it('refuses a non-empty bucket and leaves it writable (every seal rolled back)', async () => {
      const { ns } = target();
      const bucket = unique('keep');
      await ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' });
      await ns.putObject(putObjectOp({ bucket, key: 'only', body: 'x' }).request);
      const refused = await rpcFailure(() => ns.deleteBucket({ writeId: unique('w'), name: bucket }));
      expect({ code: refused.code, reason: errorReason(refused) }).toEqual({
        code: Code.FAILED_PRECONDITION,
        reason: R.BUCKET_NOT_EMPTY,
      });
      // Keys on every partition are writable again: no copy was left sealed.
      for (let i = 0; i < 12; i++) await ns.putObject(putObjectOp({ bucket, key: `after-${i}`, body: 'y' }).request);
      const listed = await ns.listObjects({ bucket });
      expect(listed.objects).toHaveLength(13);
    });

    it('never leaves an acknowledged object in a deleted or re-created bucket when PUTs race DeleteBucket', async () => {
      const { ns } = target();
      const bucket = unique('race');
      let deletedRounds = 0;
      let refusedDeletes = 0;
      for (let round = 0; round < RACE_ROUNDS || (refusedDeletes === 0 && round < RACE_MAX_ROUNDS); round++) {
        await ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' });
        // Re-created: nothing of an earlier incarnation may show.
        expect((await ns.listObjectVersions({ bucket })).versions).toEqual([]);
        expect((await ns.listMultipartUploads({ bucket })).uploads).toEqual([]);

        let stop = false;
        const logs: WriterLog[] = Array.from({ length: RACE_WRITERS }, () => ({
          acked: [],
          removed: new Set(),
          refused: 0,
          goneAt: [],
          stranded: [],
        }));
        const writer = async (w: number): Promise<void> => {
          const log = logs[w]!;
          for (let i = 0; i < MAX_PAIRS_PER_WRITER && !stop; i++) {
            const key = `r${round}/w${w}/k${i}`;
            try {
              await ns.putObject(putObjectOp({ bucket, key, body: key }).request);
            } catch (error) {
              if (errorReason(error) === R.NO_SUCH_BUCKET) log.goneAt.push(Date.now());
              else if (error instanceof RpcError && error.code === Code.ABORTED) log.refused++;
              else throw new Error(`PUT ${key}: ${describeError(error)}`);
              continue;
            }
            log.acked.push({ key, ackedAt: Date.now() });
            // The object makes the bucket non-empty until this DELETE: it must
            // succeed, since no seal or drop can pass an object that exists.
            try {
              await ns.deleteObject(deleteObjectOp({ bucket, key }).request);
              log.removed.add(key);
            } catch (error) {
              log.stranded.push({ key, reason: describeError(error) });
            }
            await sleep(Math.random() * RACE_THINK_MAX_MS);
          }
        };
        const writers = Array.from({ length: RACE_WRITERS }, (_, w) => writer(w));
        await sleep(RACE_HEAD_START_MS);
        const inFlight = (): boolean => logs.some((l) => l.acked.length > l.removed.size);
        for (const until = Date.now() + RACE_IN_FLIGHT_WAIT_MS; !inFlight() && Date.now() < until;) await sleep(1);

        let deletedAt: number | undefined;
        let winnerStartedAt = Number.POSITIVE_INFINITY;
        const giveUpAt = Date.now() + RACE_DELETE_BUDGET_MS;
        while (deletedAt === undefined && Date.now() < giveUpAt) {
          const startedAt = Date.now();
          try {
            await ns.deleteBucket({ writeId: unique('w'), name: bucket });
            deletedAt = Date.now();
            winnerStartedAt = startedAt;
          } catch (error) {
            if (errorReason(error) !== R.BUCKET_NOT_EMPTY) throw error;
            refusedDeletes++;
          }
        }
        // Writers keep going a little past the deletion, so PUTs meet the dropped bucket too.
        await sleep(RACE_HEAD_START_MS);
        stop = true;
        await Promise.all(writers);

        const acked = logs.flatMap((l) => l.acked);
        const stranded = logs.flatMap((l) => l.stranded);
        expect(stranded).toEqual([]);
        expect(acked.length).toBeGreaterThan(0);
        // A refused deletion drops nothing: the bucket is gone for a writer
        // only once the deletion that succeeds has started.
        const winner = winnerStartedAt;
        expect(logs.flatMap((l) => l.goneAt).filter((t) => t < winner)).toEqual([]);
        if (deletedAt === undefined) {
          // Never deleted: the bucket must still be whole and writable.
          expect((await ns.getBucket({ name: bucket })).bucket?.name).toBe(bucket);
          await ns.putObject(putObjectOp({ bucket, key: `r${round}/after`, body: 'x' }).request);
          await ns.deleteObject(deleteObjectOp({ bucket, key: `r${round}/after` }).request);
          await ns.deleteBucket({ writeId: unique('w'), name: bucket });
          continue;
        }
        deletedRounds++;
        const doneAt = deletedAt;
        // Every acknowledged object was removed before the deletion passed its
        // partition, and none was acknowledged after the deletion returned.
        expect(acked.filter((a) => !logs.some((l) => l.removed.has(a.key)))).toEqual([]);
        expect(acked.filter((a) => a.ackedAt > doneAt)).toEqual([]);
        expect(errorReason(await rpcFailure(() => ns.getBucket({ name: bucket })))).toBe(R.NO_SUCH_BUCKET);
        expect(
          errorReason(await rpcFailure(() => ns.putObject(putObjectOp({ bucket, key: 'late', body: 'x' }).request))),
        ).toBe(R.NO_SUCH_BUCKET);
      }
      // The last incarnation: re-created once more, it must be empty.
      await ns.createBucket({ writeId: unique('w'), name: bucket, ownerAccountId: 'acct-1' });
      expect((await ns.listObjectVersions({ bucket })).versions).toEqual([]);
      await ns.deleteBucket({ writeId: unique('w'), name: bucket });
      expect(deletedRounds).toBeGreaterThan(0);
      // Some deletion met an object in flight (else the race was not exercised).
      expect(refusedDeletes).toBeGreaterThan(0);
    }, 240_000);
  });
}
