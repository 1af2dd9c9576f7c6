import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import {
  parseCompleteMultipartUpload,
  parseCreateBucketConfiguration,
  parseDeleteObjects,
  parseOwnershipControls,
  parseVersioningConfiguration,
} from './request-bodies.js';

// Hostile request bodies (RELIABILITY.md, layer 2): whatever the bytes, every
// body parser answers a value or an S3 error a client is told about (4xx, or
// NotImplemented for a feature it asked for), never another exception.

const PARSERS = {
  parseCompleteMultipartUpload,
  parseDeleteObjects,
  parseCreateBucketConfiguration,
  parseVersioningConfiguration,
  parseOwnershipControls,
} as const;

/** Pieces of the documents the parsers expect, and of XML that breaks them. */
const TOKENS = [
  ...['CompleteMultipartUpload', 'Part', 'PartNumber', 'ETag', 'ChecksumCRC32', 'Delete', 'Object', 'Key']
    .concat(['VersionId', 'Quiet', 'CreateBucketConfiguration', 'LocationConstraint', 'VersioningConfiguration'])
    .concat(['Status', 'MfaDelete', 'OwnershipControls', 'Rule', 'ObjectOwnership'])
    .flatMap((name) => [`<${name}>`, `</${name}>`, `<${name}/>`, `<x:${name} xmlns:x="u">`]),
  ...['1', '10000', '10001', '0', '-1', '"etag"', 'Enabled', 'Suspended', 'true', 'BucketOwnerEnforced', 'k', ' ']
    .concat(['&amp;', '&lt;', '&#x41;', '&#0;', '&#xD800;', '&bogus;', '&', '<![CDATA[', ']]>', '<!--', '-->'])
    .concat([
      '<?xml version="1.0"?>',
      '<?pi x?>',
      '<!DOCTYPE a>',
      '<!ENTITY e "x">',
      '\ufeff',
      '\u0000',
      '😀',
      '<',
      '>',
    ])
    .concat(['"', "'", '=', 'a="b"', '\n']),
];

const tokenDocuments = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join(''));

/** Leaf text: plain, entities good and bad, CDATA, markup where text belongs. */
const leafText = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom(
        '&amp;',
        '&#x1F600;',
        '&#0;',
        '&#xD800;',
        '&#1114112;',
        '&bogus;',
        '&',
        '&amp',
        '<![CDATA[<x>]]>',
      ),
      fc.constantFrom('<b/>', '<', ']]>', '1', '10000', '0', '"e"', 'Enabled', 'true', 'BucketOwnerEnforced'),
    ),
    { maxLength: 4 },
  )
  .map((t) => t.join(''));
const element = (name: string, inner: fc.Arbitrary<string>) => inner.map((t) => `<${name}>${t}</${name}>`);
const repeated = (inner: fc.Arbitrary<string>, maxLength: number) =>
  fc.array(inner, { maxLength }).map((t) => t.join(''));
/** Documents of the shapes the parsers expect, with arbitrary leaves, and the odd token inserted anywhere. */
const shapedDocuments = fc
  .tuple(
    fc.oneof(
      element(
        'Delete',
        fc
          .tuple(
            fc.option(element('Quiet', leafText), { nil: '' }),
            repeated(
              element(
                'Object',
                fc
                  .tuple(element('Key', leafText), fc.option(element('VersionId', leafText), { nil: '' }))
                  .map((t) => t.join('')),
              ),
              5,
            ),
          )
          .map((t) => t.join('')),
      ),
      element(
        'CompleteMultipartUpload',
        repeated(
          element(
            'Part',
            fc
              .tuple(
                element('PartNumber', leafText),
                element('ETag', leafText),
                fc.option(element('ChecksumSHA256', leafText), { nil: '' }),
              )
              .map((t) => t.join('')),
          ),
          5,
        ),
      ),
      element(
        'VersioningConfiguration',
        fc
          .tuple(element('Status', leafText), fc.option(element('MfaDelete', leafText), { nil: '' }))
          .map((t) => t.join('')),
      ),
      element('OwnershipControls', repeated(element('Rule', element('ObjectOwnership', leafText)), 2)),
      element('CreateBucketConfiguration', element('LocationConstraint', leafText)),
    ),
    fc.option(fc.tuple(fc.nat(), fc.constantFrom(...TOKENS)), { nil: undefined }),
  )
  .map(([doc, insert]) => {
    if (insert === undefined) return doc;
    const at = insert[0] % (doc.length + 1);
    return doc.slice(0, at) + insert[1] + doc.slice(at);
  });

const anyBody = fc.oneof(
  shapedDocuments,
  tokenDocuments,
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
);

function settle(f: () => unknown): { ok: true } | { ok: false; error: unknown } {
  try {
    f();
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

describe('request body parsers on hostile input', () => {
  for (const [name, parse] of Object.entries(PARSERS)) {
    it(`${name}: a value or a client-facing S3 error, for any body`, () => {
      fc.assert(
        fc.property(anyBody, (body) => {
          const r = settle(() => parse(body));
          if (r.ok) return;
          expect(r.error).toBeInstanceOf(S3Error);
          const e = r.error as S3Error;
          expect(e.status < 500 || e.code === 'NotImplemented', `${e.code} for ${JSON.stringify(body)}`).toBe(true);
        }),
        { numRuns: 600 },
      );
    });
  }

  it('refuses what it cannot read however deep or repetitive, as MalformedXML', () => {
    const deep = `<Delete>${'<Object>'.repeat(20_000)}`;
    const manyAttributes = `<Delete><Object ${'a="1" '.repeat(20_000)}><Key>k</Key></Object></Delete>`;
    const tooMany = `<Delete>${'<Object><Key>k</Key></Object>'.repeat(1_001)}</Delete>`;
    for (const body of [deep, manyAttributes, tooMany]) {
      expect(() => parseDeleteObjects(body)).toThrow(expect.objectContaining({ code: 'MalformedXML', status: 400 }));
    }
  });
});
