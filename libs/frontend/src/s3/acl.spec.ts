import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { describe, expect, it } from 'vitest';
import { fakeCall } from '../testing/fake-call.js';
import { assertBucketAclHeaders, assertObjectAclHeaders } from './acl-headers.js';
import {
  deleteBucketOwnershipControls,
  getBucketAcl,
  getBucketOwnershipControls,
  getObjectAcl,
  putBucketAcl,
  putBucketOwnershipControls,
  putObjectAcl,
} from './acl.js';
import type { NamespaceApi } from './namespace-api.js';
import type { ObjectStoreDeps } from './object-store-deps.js';

const ns: Partial<NamespaceApi> = {
  getBucket: async ({ name }) =>
    create(namespaceV1.GetBucketResponseSchema, { bucket: { name: name!, ownerAccountId: 'acct' } }),
  getObject: async ({ bucket, key }) =>
    create(namespaceV1.GetObjectResponseSchema, {
      version: { bucket: bucket!, key: key!, versionId: 'null', ownerAccountId: 'writer', etag: 'e' },
    }),
};
const deps = { namespace: ns as NamespaceApi } as ObjectStoreDeps;

describe('the private-only ACL', () => {
  it('reads as the owner with FULL_CONTROL, for buckets and objects', async () => {
    const bucket = String((await getBucketAcl(deps, fakeCall({ bucket: 'bkt', query: 'acl' }))).body);
    expect(bucket).toContain('<Owner><ID>acct</ID><DisplayName>acct</DisplayName></Owner>');
    expect(bucket).toContain('xsi:type="CanonicalUser"');
    expect(bucket).toContain('<Permission>FULL_CONTROL</Permission>');
    const object = String((await getObjectAcl(deps, fakeCall({ bucket: 'bkt', key: 'k', query: 'acl' }))).body);
    // The object's owner is the account that wrote it (what listings show).
    expect(object).toContain('<Owner><ID>writer</ID><DisplayName>writer</DisplayName></Owner>');
  });

  it('accepts an owner-only canned ACL and refuses any other grant as S3 does with ACLs disabled', async () => {
    const put = (headers: Record<string, string>) =>
      putObjectAcl(deps, fakeCall({ method: 'PUT', bucket: 'bkt', key: 'k', query: 'acl', headers }));
    expect((await put({ 'x-amz-acl': 'private' })).status).toBe(200);
    expect((await put({ 'x-amz-acl': 'bucket-owner-full-control' })).status).toBe(200);
    expect(
      (
        await putBucketAcl(
          deps,
          fakeCall({ method: 'PUT', bucket: 'bkt', query: 'acl', headers: { 'x-amz-acl': 'private' } }),
        )
      ).status,
    ).toBe(200);
    const refused: Record<string, string>[] = [
      { 'x-amz-acl': 'public-read' },
      { 'x-amz-acl': 'private', 'x-amz-grant-read': 'id=x' },
      {},
    ];
    for (const headers of refused)
      await expect(put(headers), JSON.stringify(headers)).rejects.toMatchObject({
        code: 'AccessControlListNotSupported',
        status: 400,
      });
    await expect(put({ 'content-length': '120' })).rejects.toMatchObject({ code: 'NotImplemented', status: 501 });
  });

  it('lets writes name only owner-only ACLs', () => {
    const call = (headers: Record<string, string>) => fakeCall({ method: 'PUT', bucket: 'bkt', key: 'k', headers });
    const allowed: Record<string, string>[] = [
      {},
      { 'x-amz-acl': 'private' },
      { 'x-amz-acl': 'bucket-owner-full-control' },
    ];
    for (const headers of allowed) {
      expect(() => assertObjectAclHeaders(call(headers))).not.toThrow();
      expect(() => assertBucketAclHeaders(call(headers))).not.toThrow();
    }
    const refused: Record<string, string>[] = [
      { 'x-amz-acl': 'public-read' },
      { 'x-amz-grant-full-control': 'id=other' },
    ];
    for (const headers of refused) {
      expect(() => assertObjectAclHeaders(call(headers))).toThrow(
        expect.objectContaining({ code: 'AccessControlListNotSupported', status: 400 }),
      );
      expect(() => assertBucketAclHeaders(call(headers))).toThrow(
        expect.objectContaining({ code: 'InvalidBucketAclWithObjectOwnership', status: 400 }),
      );
    }
  });
});

describe('ownership controls', () => {
  const controls = (ownership: string): Buffer =>
    Buffer.from(
      `<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>${ownership}</ObjectOwnership></Rule></OwnershipControls>`,
    );
  const put = (body: Buffer) =>
    putBucketOwnershipControls(
      deps,
      fakeCall({
        method: 'PUT',
        bucket: 'bkt',
        query: 'ownershipControls',
        headers: { 'content-length': String(body.length) },
        body: [body],
      }),
    );
  it('reads as BucketOwnerEnforced, the setting every bucket has', async () => {
    const res = await getBucketOwnershipControls(deps, fakeCall({ bucket: 'bkt', query: 'ownershipControls' }));
    expect(res.status).toBe(200);
    expect(String(res.body)).toContain(
      '<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>',
    );
  });

  it('accepts BucketOwnerEnforced, refuses the settings that need ACLs, and cannot be removed', async () => {
    expect((await put(controls('BucketOwnerEnforced'))).status).toBe(200);
    await expect(put(controls('ObjectWriter'))).rejects.toMatchObject({ code: 'NotImplemented' });
    await expect(put(controls('BucketOwnerPreferred'))).rejects.toMatchObject({ code: 'NotImplemented' });
    await expect(put(controls('Everyone'))).rejects.toMatchObject({ code: 'MalformedXML' });
    await expect(put(Buffer.from('<OwnershipControls/>'))).rejects.toMatchObject({ code: 'MalformedXML' });
    await expect(
      deleteBucketOwnershipControls(deps, fakeCall({ method: 'DELETE', bucket: 'bkt', query: 'ownershipControls' })),
    ).rejects.toMatchObject({ code: 'NotImplemented' });
  });
});
