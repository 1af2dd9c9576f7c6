import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { Code, rpcErrorWithDetail } from '@platter/rpc';
import { S3Error } from '@platter/s3';
import { describe, expect, it } from 'vitest';
import { fakeCall } from '../testing/fake-call.js';
import type { NamespaceApi } from './namespace-api.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { deleteObject, lookup } from './objects.js';

// x-amz-delete-marker and x-amz-version-id as DeleteObject answers them and
// as a GET/HEAD of a deleted key carries them on its 404.

const noSuchKey = () => rpcErrorWithDetail(Code.NOT_FOUND, 'no such key', { reason: commonV1.ErrorReason.NO_SUCH_KEY });

function depsWith(ns: Partial<NamespaceApi>): ObjectStoreDeps {
  return {
    namespace: {
      getBucket: async ({ name }) =>
        create(namespaceV1.GetBucketResponseSchema, { bucket: { name: name!, ownerAccountId: 'acct' } }),
      ...ns,
    } as NamespaceApi,
  } as ObjectStoreDeps;
}

async function refusal(p: Promise<unknown>): Promise<S3Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof S3Error)) throw new Error(`expected an S3Error, got ${String(err)}`);
  return err;
}

describe('GET/HEAD of a deleted key', () => {
  const call = (query = '') => fakeCall({ method: 'HEAD', bucket: 'bkt', key: 'k', query });

  it('names the delete marker that is the current version', async () => {
    const deps = depsWith({
      getObject: async () =>
        create(namespaceV1.GetObjectResponseSchema, { version: { versionId: 'v9', deleteMarker: true } }),
    });
    const err = await refusal(lookup(deps, call(), 'bkt', 'k'));
    expect(err.code).toBe('NoSuchKey');
    expect(err.headers).toEqual({ 'x-amz-delete-marker': 'true', 'x-amz-version-id': 'v9' });
    const named = await refusal(lookup(deps, call('versionId=v9'), 'bkt', 'k'));
    expect(named.code).toBe('MethodNotAllowed');
    expect(named.headers['x-amz-delete-marker']).toBe('true');
  });

  it('says false for a key with no version at all', async () => {
    const deps = depsWith({
      getObject: async () => {
        throw noSuchKey();
      },
    });
    const err = await refusal(lookup(deps, call(), 'bkt', 'k'));
    expect(err.code).toBe('NoSuchKey');
    expect(err.headers).toEqual({ 'x-amz-delete-marker': 'false' });
  });
});

describe('DeleteObject response headers', () => {
  const del = (res: { deleteMarker: boolean; versionId: string; existed: boolean }) =>
    deleteObject(
      depsWith({ deleteObject: async () => create(namespaceV1.DeleteObjectResponseSchema, res) }),
      fakeCall({ method: 'DELETE', bucket: 'bkt', key: 'k' }),
    );

  it('answers a plain 204 in an unversioned bucket', async () => {
    expect(await del({ deleteMarker: false, versionId: 'null', existed: true })).toEqual({ status: 204, headers: {} });
  });

  it('names the marker created under versioning', async () => {
    expect((await del({ deleteMarker: true, versionId: 'v2', existed: true })).headers).toEqual({
      'x-amz-delete-marker': 'true',
      'x-amz-version-id': 'v2',
    });
  });

  it('names the null marker created under suspended versioning', async () => {
    expect((await del({ deleteMarker: true, versionId: 'null', existed: true })).headers).toEqual({
      'x-amz-delete-marker': 'true',
      'x-amz-version-id': 'null',
    });
  });
});
