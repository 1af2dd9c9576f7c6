import { afterEach, describe, expect, it } from 'vitest';
import { SILENT } from '../testing/fake-call.js';
import { S3Server } from './s3-server.js';

// Unsigned requests: Platter grants anonymous callers nothing, but like S3 it
// names a bucket that does not exist (404 NoSuchBucket) instead of 403.

const EXISTING = 'kept';

let server: S3Server | undefined;

afterEach(async () => {
  await server?.close(1_000);
  server = undefined;
});

async function start(bucketExists?: (bucket: string) => Promise<boolean>): Promise<string> {
  server = new S3Server({
    region: 'us-east-1',
    baseDomains: [],
    accessKeys: { find: () => undefined },
    route: () => async () => ({ status: 200 }),
    ...(bucketExists ? { bucketExists: (bucket: string) => bucketExists(bucket) } : {}),
    logger: SILENT,
  });
  const port = await server.listen('127.0.0.1', 0);
  return `http://127.0.0.1:${port}`;
}

async function answer(url: string, method = 'GET'): Promise<{ status: number; code: string | undefined }> {
  const res = await fetch(url, { method, signal: AbortSignal.timeout(5_000) });
  const body = await res.text();
  return { status: res.status, code: /<Code>([^<]+)<\/Code>/.exec(body)?.[1] };
}

describe('S3Server with unsigned requests', () => {
  it('answers NoSuchBucket for a bucket that does not exist, AccessDenied inside one that does', async () => {
    const asked: string[] = [];
    const base = await start(async (bucket) => {
      asked.push(bucket);
      return bucket === EXISTING;
    });
    expect(await answer(`${base}/gone/foo`)).toEqual({ status: 404, code: 'NoSuchBucket' });
    expect(await answer(`${base}/gone/foo`, 'DELETE')).toEqual({ status: 404, code: 'NoSuchBucket' });
    expect(await answer(`${base}/${EXISTING}/foo`)).toEqual({ status: 403, code: 'AccessDenied' });
    expect(await answer(`${base}/${EXISTING}`)).toEqual({ status: 403, code: 'AccessDenied' });
    // ListBuckets names no bucket: nothing to look up.
    expect(await answer(`${base}/`)).toEqual({ status: 403, code: 'AccessDenied' });
    expect(asked).toEqual(['gone', 'gone', EXISTING, EXISTING]);
  });

  it('keeps AccessDenied when existence cannot be checked', async () => {
    const failing = await start(async () => {
      throw new Error('namespace unavailable');
    });
    expect(await answer(`${failing}/gone/foo`)).toEqual({ status: 403, code: 'AccessDenied' });
  });

  it('keeps AccessDenied without an existence check', async () => {
    const base = await start();
    expect(await answer(`${base}/gone/foo`)).toEqual({ status: 403, code: 'AccessDenied' });
  });
});
