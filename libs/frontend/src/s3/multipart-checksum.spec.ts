import { create } from '@bufbuild/protobuf';
import { commonV1 } from '@platter/proto';
import { describe, expect, it } from 'vitest';
import {
  checksumsForXml,
  completedPartChecksums,
  expectedObjectChecksums,
  partChecksumRequest,
  uploadChecksumHeaders,
  uploadChecksumNames,
  uploadChecksumOf,
} from './multipart-checksum.js';

const A = commonV1.ChecksumAlgorithm;
const T = commonV1.ChecksumType;

describe('uploadChecksumOf', () => {
  it("fills in S3's default type: COMPOSITE for CRC32/CRC32C/SHA*, FULL_OBJECT for CRC64NVME", () => {
    expect(uploadChecksumOf({})).toBeUndefined();
    expect(uploadChecksumOf({ 'x-amz-checksum-algorithm': 'crc32' })).toEqual({
      algorithm: A.CRC32,
      type: T.COMPOSITE,
    });
    expect(uploadChecksumOf({ 'x-amz-checksum-algorithm': 'SHA256' })).toEqual({
      algorithm: A.SHA256,
      type: T.COMPOSITE,
    });
    expect(uploadChecksumOf({ 'x-amz-checksum-algorithm': 'CRC64NVME' })).toEqual({
      algorithm: A.CRC64NVME,
      type: T.FULL_OBJECT,
    });
    expect(uploadChecksumOf({ 'x-amz-checksum-algorithm': 'CRC32C', 'x-amz-checksum-type': 'FULL_OBJECT' })).toEqual({
      algorithm: A.CRC32C,
      type: T.FULL_OBJECT,
    });
  });

  it('refuses impossible combinations and a type without an algorithm', () => {
    for (const h of [
      { 'x-amz-checksum-algorithm': 'SHA1', 'x-amz-checksum-type': 'FULL_OBJECT' },
      { 'x-amz-checksum-algorithm': 'CRC64NVME', 'x-amz-checksum-type': 'COMPOSITE' },
      { 'x-amz-checksum-algorithm': 'CRC32', 'x-amz-checksum-type': 'WHOLE' },
      { 'x-amz-checksum-type': 'COMPOSITE' },
      { 'x-amz-checksum-algorithm': 'MD5' },
    ])
      expect(() => uploadChecksumOf(h), JSON.stringify(h)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }));
  });

  it('names the choice in the answer headers', () => {
    expect(uploadChecksumHeaders({ algorithm: A.CRC32, type: T.COMPOSITE })).toEqual({
      'x-amz-checksum-algorithm': 'CRC32',
      'x-amz-checksum-type': 'COMPOSITE',
    });
    expect(uploadChecksumHeaders(undefined)).toEqual({});
  });
});

describe('part checksums', () => {
  it("a part carries the upload's algorithm: computed when not sent, refused when another", () => {
    const upload = { checksumAlgorithm: A.SHA256 };
    expect(partChecksumRequest(undefined, upload)).toEqual({ algorithm: 'SHA256' });
    expect(partChecksumRequest({ algorithm: 'SHA256', expected: 'x' }, upload)).toEqual({
      algorithm: 'SHA256',
      expected: 'x',
    });
    expect(() => partChecksumRequest({ algorithm: 'CRC32' }, upload)).toThrow(
      expect.objectContaining({ code: 'InvalidRequest' }),
    );
    expect(partChecksumRequest(undefined, { checksumAlgorithm: A.UNSPECIFIED })).toBeUndefined();
    expect(partChecksumRequest({ algorithm: 'CRC32' }, { checksumAlgorithm: A.UNSPECIFIED })).toEqual({
      algorithm: 'CRC32',
    });
  });

  it('decodes the checksums a Complete lists, refusing malformed ones', () => {
    const crc = Buffer.from([1, 2, 3, 4]).toString('base64');
    expect(completedPartChecksums({ CRC32: crc })).toEqual([{ algorithm: A.CRC32, value: Buffer.from([1, 2, 3, 4]) }]);
    expect(() => completedPartChecksums({ CRC32: 'AAAA' })).toThrow(
      expect.objectContaining({ code: 'InvalidRequest' }),
    );
  });

  it('reads a whole-object checksum asserted at completion, with or without "-N"', () => {
    const crc = Buffer.from([9, 9, 9, 9]).toString('base64');
    expect(expectedObjectChecksums({ 'x-amz-checksum-crc32c': `${crc}-3`, host: 'h' })).toEqual([
      { algorithm: A.CRC32C, value: Buffer.from([9, 9, 9, 9]) },
    ]);
    expect(expectedObjectChecksums({ 'x-amz-checksum-crc32c': crc })).toHaveLength(1);
    // s3-tests test_multipart_checksum_sha256: a value that is no digest is BadDigest.
    expect(() => expectedObjectChecksums({ 'x-amz-checksum-sha256': 'bad' })).toThrow(
      expect.objectContaining({ code: 'BadDigest', status: 400 }),
    );
  });
});

describe('checksumsForXml', () => {
  it('shows composite checksums with the part count and full-object ones bare', () => {
    const value = Buffer.from([0, 0, 0, 1]);
    const composite = create(commonV1.ChecksumSchema, { algorithm: A.CRC32, type: T.COMPOSITE, value });
    expect(checksumsForXml([composite], 3)).toEqual({
      checksums: { CRC32: `${value.toString('base64')}-3` },
      checksumType: 'COMPOSITE',
    });
    const full = create(commonV1.ChecksumSchema, {
      algorithm: A.CRC64NVME,
      type: T.FULL_OBJECT,
      value: Buffer.alloc(8),
    });
    expect(checksumsForXml([full], 3)).toEqual({
      checksums: { CRC64NVME: Buffer.alloc(8).toString('base64') },
      checksumType: 'FULL_OBJECT',
    });
    expect(checksumsForXml([], 0)).toEqual({ checksums: {} });
  });

  it('names an upload checksum with its effective type', () => {
    expect(uploadChecksumNames({ checksumAlgorithm: A.CRC64NVME, checksumType: T.UNSPECIFIED })).toEqual({
      checksumAlgorithm: 'CRC64NVME',
      checksumType: 'FULL_OBJECT',
    });
    expect(uploadChecksumNames({ checksumAlgorithm: A.UNSPECIFIED, checksumType: T.UNSPECIFIED })).toEqual({});
  });
});
