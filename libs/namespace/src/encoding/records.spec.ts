import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { commonV1, namespaceV1 } from '@platter/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeVersion,
  decodeVersionMeta,
  decodeVersionSummary,
  encodeVersion,
  isDeleteMarkerRecord,
} from './records.js';

/** What a listing row must show for a version: the contract's fields, taken from the version itself. */
function expectedSummary(version: namespaceV1.ObjectVersion, isLatest: boolean): namespaceV1.ObjectSummary {
  return create(namespaceV1.ObjectSummarySchema, {
    key: version.key,
    versionId: version.versionId,
    isLatest,
    deleteMarker: version.deleteMarker,
    size: version.size,
    etag: version.etag,
    createdAt: version.createdAt,
    storageClass: version.storageClass,
    ownerAccountId: version.ownerAccountId,
    checksumAlgorithms: version.checksums.map((c) => c.algorithm),
    checksumType: version.checksums[0]?.type ?? commonV1.ChecksumType.UNSPECIFIED,
  });
}

const versionArb = fc
  .record({
    key: fc.string(),
    sequence: fc.bigInt({ min: 1n, max: 2n ** 40n }),
    isNull: fc.boolean(),
    deleteMarker: fc.boolean(),
    size: fc.bigInt({ min: 0n, max: 2n ** 50n }),
    etag: fc.string({ maxLength: 40 }),
    storageClass: fc.constantFrom('', 'STANDARD', 'GLACIER_IR'),
    owner: fc.string({ maxLength: 20 }),
    createdMs: fc.integer({ min: 0, max: 2 ** 42 }),
    checksums: fc.array(
      fc.record({ algorithm: fc.integer({ min: 0, max: 5 }), type: fc.integer({ min: 0, max: 2 }) }),
      { maxLength: 2 },
    ),
    inline: fc.uint8Array({ maxLength: 16 }),
  })
  .map((r) =>
    create(namespaceV1.ObjectVersionSchema, {
      bucket: 'bkt',
      key: r.key,
      versionId: r.isNull ? 'null' : r.sequence.toString(16).padStart(16, '0'),
      deleteMarker: r.deleteMarker,
      size: r.size,
      etag: r.etag,
      storageClass: r.storageClass,
      ownerAccountId: r.owner,
      createdAt: timestampFromMs(r.createdMs),
      sequence: r.sequence,
      checksums: r.checksums.map((c) => create(commonV1.ChecksumSchema, { ...c, value: new Uint8Array([1, 2, 3, 4]) })),
      layout: r.deleteMarker
        ? undefined
        : create(commonV1.ObjectLayoutSchema, { data: { case: 'inlineData', value: r.inline } }),
    }),
  );

describe('version records', () => {
  it('round-trip, and the listing summary equals the version’s own fields', () => {
    fc.assert(
      fc.property(versionArb, fc.boolean(), (version, isLatest) => {
        const bytes = encodeVersion(version);
        expect(isDeleteMarkerRecord(bytes)).toBe(version.deleteMarker);
        expect(decodeVersion(bytes)).toEqual(version);
        expect(decodeVersionMeta(bytes)).toEqual({ ...version, layout: undefined });
        expect(decodeVersionSummary(bytes, version.key, version.sequence, isLatest)).toEqual(
          expectedSummary(version, isLatest),
        );
      }),
      { numRuns: 500 },
    );
  });
});
