import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { Code, rpcErrorWithDetail, type RpcError } from '@platter/rpc';
import { describe, expect, it } from 'vitest';
import { fakeCall } from '../testing/fake-call.js';
import { createBucket, deleteBucket, getBucketLocation, listBuckets } from './buckets.js';
import { checkBucketAccess } from './bucket-access.js';
import type { NamespaceApi } from './namespace-api.js';
import type { ObjectStoreDeps } from './object-store-deps.js';

// Bucket operations over an in-memory stand-in for the namespace's bucket
// calls (only what these handlers use). Like the real namespace, it deletes a
// bucket that holds only unfinished uploads, and the uploads with it.

function refusal(reason: commonV1.ErrorReason): RpcError {
  return rpcErrorWithDetail(Code.FAILED_PRECONDITION, 'refused', { reason });
}

interface World {
  buckets: Map<string, string>;
  versions: Map<string, string[]>;
  uploads: Map<string, { key: string; uploadId: string }[]>;
}

function depsOf(world: World, region = 'us-east-1', locationConstraint = ''): ObjectStoreDeps {
  const ns: Partial<NamespaceApi> = {
    getBucket: async ({ name }) => {
      const owner = world.buckets.get(name!);
      if (owner === undefined) throw refusal(commonV1.ErrorReason.NO_SUCH_BUCKET);
      return create(namespaceV1.GetBucketResponseSchema, { bucket: { name: name!, ownerAccountId: owner } });
    },
    createBucket: async ({ name, ownerAccountId }) => {
      const owner = world.buckets.get(name!);
      if (owner !== undefined)
        throw refusal(
          owner === ownerAccountId
            ? commonV1.ErrorReason.BUCKET_ALREADY_OWNED_BY_YOU
            : commonV1.ErrorReason.BUCKET_ALREADY_EXISTS,
        );
      world.buckets.set(name!, ownerAccountId!);
      return create(namespaceV1.CreateBucketResponseSchema);
    },
    deleteBucket: async ({ name }) => {
      if (!world.buckets.has(name!)) throw refusal(commonV1.ErrorReason.NO_SUCH_BUCKET);
      if ((world.versions.get(name!)?.length ?? 0) > 0) throw refusal(commonV1.ErrorReason.BUCKET_NOT_EMPTY);
      world.buckets.delete(name!);
      world.uploads.delete(name!);
      return create(namespaceV1.DeleteBucketResponseSchema);
    },
    listBuckets: async ({ ownerAccountId, prefix }) =>
      create(namespaceV1.ListBucketsResponseSchema, {
        buckets: [...world.buckets]
          .filter(([name, owner]) => owner === ownerAccountId && name.startsWith(prefix ?? ''))
          .map(([name, owner]) => ({ name, ownerAccountId: owner })),
      }),
  };
  return { namespace: ns as NamespaceApi, region, locationConstraint } as ObjectStoreDeps;
}

function emptyWorld(): World {
  return { buckets: new Map(), versions: new Map(), uploads: new Map() };
}

describe('createBucket', () => {
  it("answers 200 to the owner's re-create in us-east-1, BucketAlreadyOwnedByYou elsewhere", async () => {
    const world = emptyWorld();
    const east = depsOf(world);
    expect((await createBucket(east, fakeCall({ method: 'PUT', bucket: 'bkt-1' }))).status).toBe(200);
    expect((await createBucket(east, fakeCall({ method: 'PUT', bucket: 'bkt-1' }))).status).toBe(200);
    await expect(
      createBucket(depsOf(world, 'eu-west-3'), fakeCall({ method: 'PUT', bucket: 'bkt-1' })),
    ).rejects.toMatchObject({ code: 'BucketAlreadyOwnedByYou', status: 409 });
    await expect(
      createBucket(east, fakeCall({ method: 'PUT', bucket: 'bkt-1', accountId: 'other' })),
    ).rejects.toMatchObject({
      code: 'BucketAlreadyExists',
    });
  });

  it('takes x-amz-object-ownership BucketOwnerEnforced only: the other settings need ACLs', async () => {
    const deps = depsOf(emptyWorld());
    const put = (bucket: string, ownership: string) =>
      createBucket(deps, fakeCall({ method: 'PUT', bucket, headers: { 'x-amz-object-ownership': ownership } }));
    expect((await put('own-enforced', 'BucketOwnerEnforced')).status).toBe(200);
    await expect(put('own-writer', 'ObjectWriter')).rejects.toMatchObject({ code: 'NotImplemented', status: 501 });
    await expect(put('own-preferred', 'BucketOwnerPreferred')).rejects.toMatchObject({ code: 'NotImplemented' });
    await expect(put('own-bad', 'Everyone')).rejects.toMatchObject({ code: 'InvalidArgument', status: 400 });
  });

  it('accepts the region or the configured location name, and reports the latter', async () => {
    const world = emptyWorld();
    const deps = depsOf(world, 'us-east-1', 'default');
    const config = (loc: string): Buffer =>
      Buffer.from(
        `<CreateBucketConfiguration><LocationConstraint>${loc}</LocationConstraint></CreateBucketConfiguration>`,
      );
    const put = (bucket: string, loc: string) =>
      createBucket(
        deps,
        fakeCall({
          method: 'PUT',
          bucket,
          headers: { 'content-length': String(config(loc).length) },
          body: [config(loc)],
        }),
      );
    expect((await put('b-default', 'default')).status).toBe(200);
    expect((await put('b-east', 'us-east-1')).status).toBe(200);
    await expect(put('b-west', 'eu-west-3')).rejects.toMatchObject({ code: 'InvalidLocationConstraint' });
    const location = await getBucketLocation(deps, fakeCall({ bucket: 'b-default' }));
    expect(location.body).toContain('>default</LocationConstraint>');
  });
});

describe('deleteBucket', () => {
  it('deletes a bucket that holds only unfinished uploads (the namespace drops them with it)', async () => {
    const world = emptyWorld();
    world.buckets.set('bkt', 'acct');
    world.uploads.set('bkt', [
      { key: 'k1', uploadId: 'u1' },
      { key: 'k2', uploadId: 'u2' },
    ]);
    expect((await deleteBucket(depsOf(world), fakeCall({ method: 'DELETE', bucket: 'bkt' }))).status).toBe(204);
    expect(world.buckets.has('bkt')).toBe(false);
    expect(world.uploads.has('bkt')).toBe(false);
    await expect(deleteBucket(depsOf(world), fakeCall({ method: 'DELETE', bucket: 'bkt' }))).rejects.toMatchObject({
      code: 'NoSuchBucket',
      status: 404,
    });
  });

  it('keeps a bucket with a version, and its uploads', async () => {
    const world = emptyWorld();
    world.buckets.set('bkt', 'acct');
    world.versions.set('bkt', ['obj']);
    world.uploads.set('bkt', [{ key: 'k1', uploadId: 'u1' }]);
    await expect(deleteBucket(depsOf(world), fakeCall({ method: 'DELETE', bucket: 'bkt' }))).rejects.toMatchObject({
      code: 'BucketNotEmpty',
    });
    expect(world.uploads.get('bkt')).toHaveLength(1);
    expect(world.buckets.has('bkt')).toBe(true);
  });
});

describe('listBuckets', () => {
  it('pages by max-buckets with a continuation token, in name order', async () => {
    const world = emptyWorld();
    for (const name of ['c', 'a', 'b']) world.buckets.set(name, 'acct');
    world.buckets.set('z', 'other');
    const deps = depsOf(world);
    const names = (xml: string): string[] => [...xml.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]!);
    const token = (xml: string): string | undefined => /<ContinuationToken>([^<]*)</.exec(xml)?.[1];
    const first = String((await listBuckets(deps, fakeCall({ query: 'max-buckets=2' }))).body);
    expect(names(first)).toEqual(['a', 'b']);
    const next = token(first);
    expect(next).toBeDefined();
    const second = String(
      (await listBuckets(deps, fakeCall({ query: `max-buckets=2&continuation-token=${next}` }))).body,
    );
    expect(names(second)).toEqual(['c']);
    expect(token(second)).toBeUndefined();
    await expect(listBuckets(deps, fakeCall({ query: 'max-buckets=0' }))).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await expect(listBuckets(deps, fakeCall({ query: 'continuation-token=%21' }))).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
  });
});

describe('checkBucketAccess', () => {
  it('refuses a wrong x-amz-expected-bucket-owner with AccessDenied', async () => {
    const world = emptyWorld();
    world.buckets.set('bkt', 'acct');
    const deps = depsOf(world);
    await checkBucketAccess(
      deps,
      fakeCall({ bucket: 'bkt', headers: { 'x-amz-expected-bucket-owner': 'acct' } }),
      'bkt',
    );
    await expect(
      checkBucketAccess(deps, fakeCall({ bucket: 'bkt', headers: { 'x-amz-expected-bucket-owner': 'nobody' } }), 'bkt'),
    ).rejects.toMatchObject({ code: 'AccessDenied', status: 403 });
  });

  it('answers InvalidBucketName for a name no bucket can have, without asking the namespace', async () => {
    const world = emptyWorld();
    const deps = depsOf(world);
    deps.namespace.getBucket = () => Promise.reject(new Error('the namespace must not be asked'));
    for (const name of ['ab', 'Upper', 'a..b', '-lead'])
      await expect(checkBucketAccess(deps, fakeCall({ bucket: name }), name), name).rejects.toMatchObject({
        code: 'InvalidBucketName',
        status: 400,
      });
  });
});
