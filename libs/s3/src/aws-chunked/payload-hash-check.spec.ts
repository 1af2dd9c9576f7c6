import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import { createPayloadHashCheck } from './payload-hash-check.js';

async function run(pieces: string[], expected: string): Promise<{ out: string; error: unknown }> {
  const received: Buffer[] = [];
  let error: unknown;
  try {
    await pipeline(
      Readable.from(pieces.map((p) => Buffer.from(p))),
      createPayloadHashCheck(expected),
      new Writable({
        write(c: Buffer, _e, cb) {
          received.push(c);
          cb();
        },
      }),
    );
  } catch (e) {
    error = e;
  }
  return { out: Buffer.concat(received).toString(), error };
}

describe('createPayloadHashCheck', () => {
  const hex = createHash('sha256').update('hello world').digest('hex');

  it('passes bytes through and ends cleanly when the hash matches (any case)', async () => {
    expect(await run(['hello ', 'world'], hex)).toEqual({ out: 'hello world', error: undefined });
    expect((await run(['hello world'], hex.toUpperCase())).error).toBeUndefined();
  });

  it('fails with XAmzContentSHA256Mismatch at the end otherwise', async () => {
    const { error } = await run(['hello there'], hex);
    expect(error).toBeInstanceOf(S3Error);
    expect((error as S3Error).code).toBe('XAmzContentSHA256Mismatch');
    expect((error as S3Error).details['ClientComputedContentSHA256']).toBe(hex);
  });
});
