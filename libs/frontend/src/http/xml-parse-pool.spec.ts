import { parseCompleteMultipartUpload, parseDeleteObjects, S3Error } from '@platter/s3';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_XML_MAX_BYTES, XmlParsePool } from './xml-parse-pool.js';

// The pool against @platter/s3's parsers run here: the same value or the same
// S3 error, whether a body is parsed on the loop or in the worker.

const pool = new XmlParsePool();
afterAll(() => pool.close());

const completeBody = (parts: number): Buffer =>
  Buffer.from(
    '<CompleteMultipartUpload>' +
      Array.from(
        { length: parts },
        (_, i) =>
          `<Part><PartNumber>${i + 1}</PartNumber><ETag>"${'a'.repeat(31)}${i % 10}"</ETag>` +
          `<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>`,
      ).join('') +
      '</CompleteMultipartUpload>',
  );

const deleteBody = (keys: number, keyBytes = 40): Buffer =>
  Buffer.from(
    '<Delete><Quiet>true</Quiet>' +
      Array.from({ length: keys }, (_, i) => `<Object><Key>${'k'.repeat(keyBytes)}/${i}&amp;x</Key></Object>`).join(
        '',
      ) +
      '</Delete>',
  );

/** What a parse settles to, comparably: the value, or the S3 error's code, status, message and details. */
async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return { value: await p };
  } catch (e) {
    if (!(e instanceof S3Error)) throw e;
    return { code: e.code, status: e.status, message: e.message, details: e.details };
  }
}

const inline = <T>(f: () => T): Promise<T> => {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e);
  }
};

describe('XmlParsePool', () => {
  it('parses a 10,000-part CompleteMultipartUpload in the worker, to exactly what the parser gives here', async () => {
    const body = completeBody(10_000);
    expect(body.length).toBeGreaterThan(LOCAL_XML_MAX_BYTES);
    const before = pool.offloaded;
    const parts = await pool.parse('parseCompleteMultipartUpload', body);
    expect(pool.offloaded).toBe(before + 1);
    expect(parts).toEqual(parseCompleteMultipartUpload(body));
    expect(parts).toHaveLength(10_000);
    expect(parts[9_999]).toEqual({ partNumber: 10_000, etag: `${'a'.repeat(31)}9`, checksums: { CRC32: 'AAAAAA==' } });
  });

  it('parses a small body on the loop', async () => {
    const body = deleteBody(3);
    expect(body.length).toBeLessThanOrEqual(LOCAL_XML_MAX_BYTES);
    const before = pool.offloaded;
    expect(await pool.parse('parseDeleteObjects', body)).toEqual(parseDeleteObjects(body));
    expect(pool.offloaded).toBe(before);
  });

  it('rejects with the very S3 error the parser throws, from the worker as from the loop', async () => {
    const cases: Array<[Parameters<XmlParsePool['parse']>[0], Buffer]> = [
      // Over S3's 1,000 keys: MalformedXML.
      ['parseDeleteObjects', deleteBody(1_001)],
      // Not well-formed.
      ['parseDeleteObjects', Buffer.concat([deleteBody(600), Buffer.from('<Object>')])],
      // A DTD, however it is hidden in a large body.
      ['parseDeleteObjects', Buffer.from(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>${' '.repeat(20_000)}`)],
      // Parts out of order, and a part number out of range (with its details).
      [
        'parseCompleteMultipartUpload',
        Buffer.from(completeBody(900).toString().replace('<PartNumber>5<', '<PartNumber>900<')),
      ],
      [
        'parseCompleteMultipartUpload',
        Buffer.from(completeBody(900).toString().replace('<PartNumber>7<', '<PartNumber>0x7<')),
      ],
      // The wrong root.
      ['parseCompleteMultipartUpload', deleteBody(600)],
    ];
    for (const [parser, body] of cases) {
      expect(body.length).toBeGreaterThan(LOCAL_XML_MAX_BYTES);
      const fromPool = await outcome(pool.parse(parser, body));
      const here = await outcome(
        inline(() => (parser === 'parseDeleteObjects' ? parseDeleteObjects : parseCompleteMultipartUpload)(body)),
      );
      expect(fromPool).toEqual(here);
      expect(fromPool).toHaveProperty('status', 400);
    }
  });
});
