import { XMLParser } from 'fast-xml-parser';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { errorResponseXml } from '../error-response.js';
import { S3Error } from '../errors.js';
import { readCappedBody } from '../http/read-capped-body.js';
import { parseCompleteMultipartUpload, parseCreateBucketConfiguration, parseDeleteObjects } from './request-bodies.js';
import {
  completeMultipartUploadXml,
  copyObjectResultXml,
  copyPartResultXml,
  deleteResultXml,
  initiateMultipartUploadXml,
  listAllMyBucketsXml,
  listMultipartUploadsXml,
  listObjectsV1Xml,
  listObjectsV2Xml,
  listPartsXml,
  locationConstraintXml,
  objectAttributesXml,
  urlEncodeListName,
} from './responses.js';
import { decodeXmlText, MAX_DELETE_XML_BYTES } from './xml-request.js';
import { escapeXml, XML_DECLARATION } from './xml-writer.js';

// An independent reader for what we write: a client-side parser with
// standard entity handling, as an SDK would use.
const reader = new XMLParser({ parseTagValue: false, ignoreAttributes: false, trimValues: false });
const read = (xml: string): Record<string, unknown> => reader.parse(xml) as Record<string, unknown>;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(S3Error);
    return (e as S3Error).code;
  }
}

const DATE = new Date('2026-11-23T10:20:30.456Z');

describe('XML writing', () => {
  it('escapes the five specials and control characters', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
    expect(escapeXml('x\ry\u0001z\tw\nv')).toBe('x&#xD;y&#x1;z\tw\nv');
    expect(escapeXml('plain €')).toBe('plain €');
  });

  it('error body: Code, Message, details, Resource, RequestId', () => {
    const error = new S3Error('NoSuchKey', undefined, { details: { Key: 'a<b' } });
    const xml = errorResponseXml(error, { resource: '/bucket/a<b', requestId: 'req-1' });
    expect(xml.startsWith(XML_DECLARATION)).toBe(true);
    expect(xml).toContain(
      '<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&lt;b</Key><Resource>/bucket/a&lt;b</Resource><RequestId>req-1</RequestId></Error>',
    );
    expect(read(errorResponseXml(new S3Error('InternalError'), { requestId: 'r', hostId: 'h' }))).toMatchObject({
      Error: { Code: 'InternalError', RequestId: 'r', HostId: 'h' },
    });
  });

  it('ListObjectsV2 with encoding-type=url encodes names but not tokens; KeyCount counts prefixes', () => {
    const xml = listObjectsV2Xml({
      bucket: 'b',
      prefix: 'dir one/',
      delimiter: '/',
      maxKeys: 2,
      isTruncated: true,
      encodingType: 'url',
      continuationToken: 'tok+/=',
      nextContinuationToken: 'next+/=',
      startAfter: 'a b',
      contents: [{ key: 'dir one/a&b+c.txt', lastModified: DATE, etag: '"e1"', size: 5 }],
      commonPrefixes: ['dir one/sub dir/'],
    });
    const r = read(xml)['ListBucketResult'] as Record<string, unknown>;
    expect(r).toMatchObject({
      '@_xmlns': 'http://s3.amazonaws.com/doc/2006-03-01/',
      Name: 'b',
      Prefix: 'dir%20one/',
      ContinuationToken: 'tok+/=',
      NextContinuationToken: 'next+/=',
      KeyCount: '2',
      MaxKeys: '2',
      Delimiter: '/',
      IsTruncated: 'true',
      StartAfter: 'a%20b',
      EncodingType: 'url',
      Contents: {
        Key: 'dir%20one/a%26b%2Bc.txt',
        LastModified: '2026-11-23T10:20:30.456Z',
        ETag: '"e1"',
        Size: '5',
        StorageClass: 'STANDARD',
      },
      CommonPrefixes: { Prefix: 'dir%20one/sub%20dir/' },
    });
    expect(decodeURIComponent(urlEncodeListName('x y/€'))).toBe('x y/€');
  });

  it('ListObjects V1 with NextMarker, owner and raw names', () => {
    const r = read(
      listObjectsV1Xml({
        bucket: 'b',
        prefix: '',
        marker: 'm<',
        nextMarker: 'k2',
        delimiter: '/',
        maxKeys: 1000,
        isTruncated: true,
        contents: [
          { key: 'k<1', lastModified: DATE, etag: '"e"', size: 0, owner: { id: 'o', displayName: 'Owner' } },
          {
            key: 'k2',
            lastModified: DATE,
            etag: '"e"',
            size: 1,
            checksumAlgorithms: ['CRC32C'],
            checksumType: 'FULL_OBJECT',
          },
        ],
        commonPrefixes: [],
      }),
    )['ListBucketResult'] as Record<string, unknown>;
    expect(r['Marker']).toBe('m<');
    expect(r['NextMarker']).toBe('k2');
    const contents = r['Contents'] as Record<string, unknown>[];
    expect(contents[0]).toMatchObject({ Key: 'k<1', Owner: { ID: 'o', DisplayName: 'Owner' } });
    expect(contents[1]).toMatchObject({ ChecksumAlgorithm: 'CRC32C', ChecksumType: 'FULL_OBJECT' });
    expect(r['EncodingType']).toBeUndefined();
  });

  it('ListObjects V1 with encoding-type=url encodes marker, delimiter and names but not Prefix', () => {
    const r = read(
      listObjectsV1Xml({
        bucket: 'b',
        prefix: '\n',
        marker: 'a b',
        nextMarker: 'c d',
        delimiter: ' ',
        maxKeys: 2,
        isTruncated: true,
        encodingType: 'url',
        contents: [{ key: 'k\n', lastModified: DATE, etag: '"e"', size: 0 }],
        commonPrefixes: ['p q'],
      }),
    )['ListBucketResult'] as Record<string, unknown>;
    expect(r).toMatchObject({
      Prefix: '\n',
      Marker: 'a%20b',
      NextMarker: 'c%20d',
      Delimiter: '%20',
      EncodingType: 'url',
      Contents: { Key: 'k%0A' },
      CommonPrefixes: { Prefix: 'p%20q' },
    });
  });

  it('GetObjectAttributes: only the asked-for elements, parts paged', () => {
    const r = read(
      objectAttributesXml({
        etag: 'abc-2',
        checksum: { checksums: { CRC32: 'AAAAAA==-2' }, checksumType: 'COMPOSITE' },
        objectParts: {
          partsCount: 2,
          partNumberMarker: 1,
          nextPartNumberMarker: 2,
          maxParts: 1,
          isTruncated: false,
          parts: [{ partNumber: 2, size: 10, checksums: { CRC32: 'AAAAAQ==' } }],
        },
        objectSize: 20,
      }),
    )['GetObjectAttributesResponse'] as Record<string, unknown>;
    expect(r).toMatchObject({
      ETag: 'abc-2',
      Checksum: { ChecksumCRC32: 'AAAAAA==-2', ChecksumType: 'COMPOSITE' },
      ObjectParts: {
        PartsCount: '2',
        PartNumberMarker: '1',
        NextPartNumberMarker: '2',
        MaxParts: '1',
        IsTruncated: 'false',
        Part: { PartNumber: '2', Size: '10', ChecksumCRC32: 'AAAAAQ==' },
      },
      ObjectSize: '20',
    });
    expect(r['StorageClass']).toBeUndefined();
    const bare = read(objectAttributesXml({ checksum: { checksums: {} } }))['GetObjectAttributesResponse'];
    // No checksum stored: no Checksum element at all.
    expect(bare).toEqual({ '@_xmlns': 'http://s3.amazonaws.com/doc/2006-03-01/' });
  });

  it('ListAllMyBuckets', () => {
    const r = read(
      listAllMyBucketsXml({
        owner: { id: 'acc' },
        buckets: [
          { name: 'a', creationDate: DATE },
          { name: 'b', creationDate: DATE, region: 'eu-west-1' },
        ],
      }),
    )['ListAllMyBucketsResult'] as Record<string, unknown>;
    expect(r['Owner']).toEqual({ ID: 'acc' });
    expect((r['Buckets'] as Record<string, unknown>)['Bucket']).toEqual([
      { Name: 'a', CreationDate: '2026-11-23T10:20:30.456Z' },
      { Name: 'b', CreationDate: '2026-11-23T10:20:30.456Z', BucketRegion: 'eu-west-1' },
    ]);
  });

  it('ListMultipartUploads and ListParts', () => {
    const uploads = read(
      listMultipartUploadsXml({
        bucket: 'b',
        keyMarker: '',
        uploadIdMarker: '',
        nextKeyMarker: 'k 1',
        nextUploadIdMarker: 'u1',
        prefix: '',
        maxUploads: 1000,
        isTruncated: false,
        encodingType: 'url',
        uploads: [{ key: 'k 1', uploadId: 'u1', initiated: DATE, initiator: { id: 'i' }, owner: { id: 'o' } }],
        commonPrefixes: [],
      }),
    )['ListMultipartUploadsResult'] as Record<string, unknown>;
    expect(uploads).toMatchObject({
      NextKeyMarker: 'k%201',
      Upload: { Key: 'k%201', UploadId: 'u1', Initiator: { ID: 'i' }, Owner: { ID: 'o' }, StorageClass: 'STANDARD' },
    });
    const parts = read(
      listPartsXml({
        bucket: 'b',
        key: 'k',
        uploadId: 'u',
        partNumberMarker: 0,
        nextPartNumberMarker: 2,
        maxParts: 2,
        isTruncated: true,
        checksumAlgorithm: 'SHA256',
        checksumType: 'COMPOSITE',
        parts: [
          { partNumber: 1, lastModified: DATE, etag: '"p1"', size: 5, checksums: { SHA256: 'c1' } },
          { partNumber: 2, lastModified: DATE, etag: '"p2"', size: 6 },
        ],
      }),
    )['ListPartsResult'] as Record<string, unknown>;
    expect(parts).toMatchObject({ NextPartNumberMarker: '2', ChecksumAlgorithm: 'SHA256', ChecksumType: 'COMPOSITE' });
    expect(parts['Part']).toEqual([
      { PartNumber: '1', LastModified: DATE.toISOString(), ETag: '"p1"', Size: '5', ChecksumSHA256: 'c1' },
      { PartNumber: '2', LastModified: DATE.toISOString(), ETag: '"p2"', Size: '6' },
    ]);
  });

  it('Initiate, Complete, Copy and CopyPart results', () => {
    expect(read(initiateMultipartUploadXml({ bucket: 'b', key: 'k&', uploadId: 'u' }))).toMatchObject({
      InitiateMultipartUploadResult: { Bucket: 'b', Key: 'k&', UploadId: 'u' },
    });
    expect(
      read(
        completeMultipartUploadXml({
          location: 'http://h/b/k',
          bucket: 'b',
          key: 'k',
          etag: '"x-2"',
          checksums: { CRC32C: 'abc=' },
          checksumType: 'COMPOSITE',
        }),
      ),
    ).toMatchObject({
      CompleteMultipartUploadResult: {
        Location: 'http://h/b/k',
        ETag: '"x-2"',
        ChecksumCRC32C: 'abc=',
        ChecksumType: 'COMPOSITE',
      },
    });
    expect(read(copyObjectResultXml({ etag: '"e"', lastModified: DATE }))).toMatchObject({
      CopyObjectResult: { ETag: '"e"', LastModified: DATE.toISOString() },
    });
    expect(read(copyPartResultXml({ etag: '"e"', lastModified: DATE, checksums: { CRC32: 'q' } }))).toMatchObject({
      CopyPartResult: { ETag: '"e"', ChecksumCRC32: 'q' },
    });
  });

  it('DeleteResult and LocationConstraint', () => {
    const r = read(
      deleteResultXml({
        deleted: [{ key: 'a' }, { key: 'b', versionId: 'v', deleteMarker: true, deleteMarkerVersionId: 'dm' }],
        errors: [{ key: 'c', code: 'AccessDenied', message: 'Access Denied' }],
      }),
    )['DeleteResult'] as Record<string, unknown>;
    expect(r['Deleted']).toEqual([
      { Key: 'a' },
      { Key: 'b', VersionId: 'v', DeleteMarker: 'true', DeleteMarkerVersionId: 'dm' },
    ]);
    expect(r['Error']).toEqual({ Key: 'c', Code: 'AccessDenied', Message: 'Access Denied' });
    expect(locationConstraintXml('us-east-1')).toContain(
      '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>',
    );
    expect(read(locationConstraintXml('eu-west-1'))).toMatchObject({ LocationConstraint: { '#text': 'eu-west-1' } });
  });
});

describe('XML request parsing', () => {
  it('DeleteObjects: one object is still a list; keys keep whitespace, digits and entities', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Quiet> TRUE </Quiet>
  <Object><Key> 007 a&amp;b&lt;&#x41;&#66;&#x1F600; </Key><VersionId>v1</VersionId></Object>
</Delete>`;
    expect(parseDeleteObjects(xml)).toEqual({ quiet: true, objects: [{ key: ' 007 a&b<AB😀 ', versionId: 'v1' }] });
    expect(
      parseDeleteObjects(
        '<Delete><Object><Key>x</Key></Object><Object><Key><![CDATA[a&amp;<b>]]></Key></Object></Delete>',
      ),
    ).toEqual({
      quiet: false,
      objects: [{ key: 'x' }, { key: 'a&amp;<b>' }],
    });
  });

  it('DeleteObjects: 1 to 1,000 objects, each with a Key', () => {
    const many = (n: number): string => `<Delete>${'<Object><Key>k</Key></Object>'.repeat(n)}</Delete>`;
    expect(parseDeleteObjects(many(1000)).objects).toHaveLength(1000);
    expect(code(() => parseDeleteObjects(many(1001)))).toBe('MalformedXML');
    expect(code(() => parseDeleteObjects('<Delete></Delete>'))).toBe('MalformedXML');
    expect(code(() => parseDeleteObjects('<Delete><Object><VersionId>v</VersionId></Object></Delete>'))).toBe(
      'MalformedXML',
    );
    expect(code(() => parseDeleteObjects('<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>'))).toBe(
      'MalformedXML',
    );
  });

  it('refuses DTDs, entity bombs, unknown entities and bare ampersands', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><Delete><Object><Key>&lol2;</Key></Object></Delete>`;
    expect(code(() => parseDeleteObjects(bomb))).toBe('MalformedXML');
    expect(code(() => parseDeleteObjects('<!doctype x SYSTEM "file:///etc/passwd"><Delete/>'))).toBe('MalformedXML');
    expect(code(() => parseDeleteObjects('<Delete><Object><Key>&nbsp;</Key></Object></Delete>'))).toBe('MalformedXML');
    expect(code(() => parseDeleteObjects('<Delete><Object><Key>a & b</Key></Object></Delete>'))).toBe('MalformedXML');
    expect(code(() => decodeXmlText('&#xD800;'))).toBe('MalformedXML');
    expect(code(() => decodeXmlText('&#x110000;'))).toBe('MalformedXML');
  });

  it('refuses malformed documents, wrong roots and elements where text belongs', () => {
    for (const bad of [
      '',
      '   ',
      '<Delete><Object><Key>a</Key></Object>',
      '<Delete><Object><Key>a</Key></Object></Delete>trailing',
      '<Other><Object><Key>a</Key></Object></Other>',
      '<Delete><Object><Key>a<b>x</b></Key></Object></Delete>',
      'not xml at all',
    ]) {
      expect(
        code(() => parseDeleteObjects(bad)),
        bad,
      ).toBe('MalformedXML');
    }
  });

  it('checks the byte cap before parsing', () => {
    const huge = `<Delete>${' '.repeat(MAX_DELETE_XML_BYTES)}</Delete>`;
    expect(code(() => parseDeleteObjects(huge))).toBe('MaxMessageLengthExceeded');
    expect(code(() => parseDeleteObjects(Buffer.from(huge)))).toBe('MaxMessageLengthExceeded');
  });

  it('CompleteMultipartUpload: ascending parts, ETags unquoted, checksums, namespace prefixes', () => {
    const xml = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
      <Part><PartNumber>1</PartNumber><ETag>&quot;aaa&quot;</ETag><ChecksumCRC32C>AAAAAA==</ChecksumCRC32C></Part>
      <Part><PartNumber> 3 </PartNumber><ETag>"bbb"</ETag></Part>
    </CompleteMultipartUpload>`;
    expect(parseCompleteMultipartUpload(xml)).toEqual([
      { partNumber: 1, etag: 'aaa', checksums: { CRC32C: 'AAAAAA==' } },
      { partNumber: 3, etag: 'bbb', checksums: {} },
    ]);
    const prefixed =
      '<s3:CompleteMultipartUpload xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:Part><s3:PartNumber>2</s3:PartNumber><s3:ETag>e</s3:ETag></s3:Part></s3:CompleteMultipartUpload>';
    expect(parseCompleteMultipartUpload(prefixed)).toEqual([{ partNumber: 2, etag: 'e', checksums: {} }]);
  });

  it('CompleteMultipartUpload errors', () => {
    const part = (n: string, etag = '"e"'): string => `<Part><PartNumber>${n}</PartNumber><ETag>${etag}</ETag></Part>`;
    const doc = (...parts: string[]): string => `<CompleteMultipartUpload>${parts.join('')}</CompleteMultipartUpload>`;
    expect(code(() => parseCompleteMultipartUpload(doc(part('2'), part('1'))))).toBe('InvalidPartOrder');
    expect(code(() => parseCompleteMultipartUpload(doc(part('1'), part('2'), part('1'))))).toBe('InvalidPartOrder');
    // A part listed twice in a row (re-sent, both answers kept): the last entry names it.
    expect(parseCompleteMultipartUpload(doc(part('1', 'old'), part('1', 'new'), part('2')))).toEqual([
      { partNumber: 1, etag: 'new', checksums: {} },
      { partNumber: 2, etag: 'e', checksums: {} },
    ]);
    expect(code(() => parseCompleteMultipartUpload(doc(part('0'))))).toBe('InvalidArgument');
    expect(code(() => parseCompleteMultipartUpload(doc(part('10001'))))).toBe('InvalidArgument');
    expect(code(() => parseCompleteMultipartUpload(doc(part('1.5'))))).toBe('InvalidArgument');
    expect(parseCompleteMultipartUpload(doc(part('10000')))[0]?.partNumber).toBe(10000);
    expect(code(() => parseCompleteMultipartUpload(doc()))).toBe('MalformedXML');
    expect(code(() => parseCompleteMultipartUpload(doc('<Part><PartNumber>1</PartNumber></Part>')))).toBe(
      'MalformedXML',
    );
    expect(code(() => parseCompleteMultipartUpload(doc(part('1', '""'))))).toBe('MalformedXML');
  });

  it('CreateBucketConfiguration: optional body and LocationConstraint', () => {
    expect(parseCreateBucketConfiguration('')).toEqual({});
    expect(parseCreateBucketConfiguration(Buffer.alloc(0))).toEqual({});
    expect(
      parseCreateBucketConfiguration(
        '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>',
      ),
    ).toEqual({ locationConstraint: 'eu-west-1' });
    expect(parseCreateBucketConfiguration('<CreateBucketConfiguration/>')).toEqual({});
    expect(code(() => parseCreateBucketConfiguration('<Delete/>'))).toBe('MalformedXML');
  });
});

describe('readCappedBody', () => {
  it('reads a body under the cap and refuses one over it', async () => {
    const body = await readCappedBody(Readable.from([Buffer.from('ab'), 'cd']), 4);
    expect(body.toString()).toBe('abcd');
    await expect(readCappedBody(Readable.from([Buffer.from('ab'), Buffer.from('cde')]), 4)).rejects.toMatchObject({
      code: 'MaxMessageLengthExceeded',
    });
  });

  it('stops reading at the first chunk past the cap', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield Buffer.alloc(10);
      }
    }
    await expect(readCappedBody(endless(), 25)).rejects.toBeInstanceOf(S3Error);
    expect(pulled).toBe(3);
  });
});
