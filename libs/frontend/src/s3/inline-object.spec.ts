import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { S3Error } from '@platter/s3';
import { describe, expect, it } from 'vitest';
import { collectBytes } from '../testing/collect.js';
import { fakeCall } from '../testing/fake-call.js';
import type { NamespaceApi } from './namespace-api.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { getObject, objectBytes } from './objects.js';

// Inline objects live in the namespace record, where LMDB keeps no checksum:
// their bytes are checked against the ETag (their MD5) before any leaves.

const BYTES = Buffer.from('the inline object, 37 bytes of it....');
const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

function versionOf(stored: Uint8Array, etag: string): namespaceV1.ObjectVersion {
  return create(namespaceV1.ObjectVersionSchema, {
    bucket: 'bkt',
    key: 'k',
    versionId: 'null',
    isLatest: true,
    size: BigInt(stored.byteLength),
    etag,
    ownerAccountId: 'acct',
    layout: { data: { case: 'inlineData', value: stored } },
  });
}

function depsServing(version: namespaceV1.ObjectVersion): ObjectStoreDeps {
  return {
    namespace: {
      getBucket: async ({ name }: { name?: string }) =>
        create(namespaceV1.GetBucketResponseSchema, { bucket: { name: name!, ownerAccountId: 'acct' } }),
      getObject: async () => create(namespaceV1.GetObjectResponseSchema, { version }),
    } as unknown as NamespaceApi,
  } as ObjectStoreDeps;
}

describe('GET of an inline object', () => {
  it('answers the bytes in one piece, whole or a range', async () => {
    const deps = depsServing(versionOf(BYTES, md5(BYTES)));
    const whole = await getObject(deps, fakeCall({ bucket: 'bkt', key: 'k' }));
    expect(whole.status).toBe(200);
    expect(whole.body).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(whole.body as Uint8Array).equals(BYTES)).toBe(true);
    const ranged = await getObject(deps, fakeCall({ bucket: 'bkt', key: 'k', headers: { range: 'bytes=4-9' } }));
    expect(ranged.status).toBe(206);
    expect(Buffer.from(ranged.body as Uint8Array).toString()).toBe(BYTES.subarray(4, 10).toString());
  });

  it('refuses bytes that do not match the ETag, whole, ranged or copied, never serving them', async () => {
    const flipped = Buffer.from(BYTES);
    flipped[20] = (flipped[20] as number) ^ 0x01;
    const version = versionOf(flipped, md5(BYTES));
    const deps = depsServing(version);
    const cases: Record<string, string>[] = [{}, { range: 'bytes=0-3' }];
    for (const headers of cases) {
      const err = await getObject(deps, fakeCall({ bucket: 'bkt', key: 'k', headers })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(S3Error);
      expect((err as S3Error).code).toBe('InternalError');
    }
    await expect(collectBytes(objectBytes(deps, version, 0, 4, new AbortController().signal))).rejects.toThrow(S3Error);
  });

  it('does not check a multipart-style ETag, which is no MD5 of the bytes', async () => {
    const deps = depsServing(versionOf(BYTES, `${md5(Buffer.from('parts'))}-2`));
    const res = await getObject(deps, fakeCall({ bucket: 'bkt', key: 'k' }));
    expect(Buffer.from(res.body as Uint8Array).equals(BYTES)).toBe(true);
  });
});
