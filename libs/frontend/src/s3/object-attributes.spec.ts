import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { describe, expect, it } from 'vitest';
import { fakeCall } from '../testing/fake-call.js';
import type { NamespaceApi } from './namespace-api.js';
import { getObjectAttributes } from './object-attributes.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { partOf } from './objects.js';

const A = commonV1.ChecksumAlgorithm;
const T = commonV1.ChecksumType;

/** A three-part multipart version (sizes 10, 20, 5) with a composite CRC32. */
const multipart = create(namespaceV1.ObjectVersionSchema, {
  bucket: 'bkt',
  key: 'mp',
  versionId: 'null',
  size: 35n,
  etag: 'abc-3',
  partsCount: 3,
  storageClass: 'STANDARD',
  checksums: [{ algorithm: A.CRC32, type: T.COMPOSITE, value: Buffer.from([0, 0, 0, 9]) }],
  createdAt: { seconds: 1_700_000_000n },
  layout: {
    data: {
      case: 'striped',
      value: {
        parts: [10n, 20n, 5n].map((size, i) => ({
          partNumber: i + 1,
          size,
          checksums: [{ algorithm: A.CRC32, type: T.FULL_OBJECT, value: Buffer.from([0, 0, 0, i + 1]) }],
        })),
      },
    },
  },
});
const single = create(namespaceV1.ObjectVersionSchema, {
  bucket: 'bkt',
  key: 'one',
  versionId: 'null',
  size: 3n,
  etag: 'e1',
  layout: { data: { case: 'inlineData', value: Buffer.from('foo') } },
});

const ns: Partial<NamespaceApi> = {
  getBucket: async ({ name }) =>
    create(namespaceV1.GetBucketResponseSchema, { bucket: { name: name!, ownerAccountId: 'acct' } }),
  getObject: async ({ key }) =>
    create(namespaceV1.GetObjectResponseSchema, { version: key === 'mp' ? multipart : single }),
};
const deps = { namespace: ns as NamespaceApi } as ObjectStoreDeps;

describe('partOf (GET ?partNumber)', () => {
  const call = (q: string) => fakeCall({ bucket: 'bkt', key: 'mp', query: q });
  it('names the byte range and layout of part n of a multipart object', () => {
    expect(partOf(call(''), multipart)).toBeUndefined();
    expect(partOf(call('partNumber=1'), multipart)?.range).toEqual({ start: 0, end: 9 });
    const second = partOf(call('partNumber=2'), multipart);
    expect(second?.range).toEqual({ start: 10, end: 29 });
    expect(second?.layout?.partNumber).toBe(2);
    expect(() => partOf(call('partNumber=4'), multipart)).toThrow(
      expect.objectContaining({ code: 'InvalidPart', status: 400 }),
    );
    expect(() => partOf(call('partNumber=x'), multipart)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });

  it('part 1 of a single-part object is the whole object; part 2 is InvalidPart', () => {
    expect(partOf(call('partNumber=1'), single)).toEqual({ range: undefined });
    expect(() => partOf(call('partNumber=2'), single)).toThrow(
      expect.objectContaining({ code: 'InvalidPart', status: 400 }),
    );
  });
});

describe('getObjectAttributes', () => {
  const ask = (key: string, headers: Record<string, string>) =>
    getObjectAttributes(deps, fakeCall({ bucket: 'bkt', key, query: 'attributes', headers }));
  const ALL = 'ETag,Checksum,ObjectParts,StorageClass,ObjectSize';

  it('pages the parts of a multipart object after the marker', async () => {
    const body = String(
      (await ask('mp', { 'x-amz-object-attributes': ALL, 'x-amz-max-parts': '1', 'x-amz-part-number-marker': '1' }))
        .body,
    );
    expect(body).toContain('<ETag>abc-3</ETag>');
    expect(body).toContain('<ChecksumCRC32>AAAACQ==-3</ChecksumCRC32><ChecksumType>COMPOSITE</ChecksumType>');
    expect(body).toContain(
      '<PartsCount>3</PartsCount><PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>1</MaxParts><IsTruncated>true</IsTruncated>',
    );
    expect(body).toContain(
      '<Part><PartNumber>2</PartNumber><Size>20</Size><ChecksumCRC32>AAAAAg==</ChecksumCRC32></Part>',
    );
    expect(body).not.toContain('<PartNumber>3</PartNumber>');
    expect(body).toContain('<ObjectSize>35</ObjectSize>');
  });

  it('a single-part object has no ObjectParts; only the asked-for elements appear', async () => {
    const body = String((await ask('one', { 'x-amz-object-attributes': ALL })).body);
    expect(body).not.toContain('ObjectParts');
    expect(body).toContain('<StorageClass>STANDARD</StorageClass>');
    const etagOnly = String((await ask('one', { 'x-amz-object-attributes': 'ETag' })).body);
    expect(etagOnly).toContain('<ETag>e1</ETag>');
    expect(etagOnly).not.toContain('ObjectSize');
    await expect(ask('one', {})).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(ask('one', { 'x-amz-object-attributes': 'Colour' })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
  });
});
