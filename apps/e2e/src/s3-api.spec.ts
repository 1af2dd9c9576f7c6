import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { crc32c } from '@node-rs/crc32';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '@platter/testkit';
import { clusterClient, errorOf } from './s3-client.js';

// The S3 API as an unmodified AWS SDK v3 client sees it, against a whole
// cluster of real processes: storage, namespace chains, placement, frontend.

let cluster: LocalCluster;
let s3: S3Client;

beforeAll(async () => {
  cluster = await startLocalCluster();
  s3 = clusterClient(cluster);
}, 240_000);

afterAll(async () => {
  s3?.destroy();
  await cluster?.stop();
}, 120_000);

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

describe('S3 API over the local cluster', () => {
  it('creates, finds and lists a bucket; a second create by the owner succeeds (us-east-1 rule)', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'e2e-one' }));
    await s3.send(new HeadBucketCommand({ Bucket: 'e2e-one' }));
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toContain('e2e-one');
    // S3 answers 200 to an owner re-creating a bucket in us-east-1 (the local cluster's region).
    const again = await s3.send(new CreateBucketCommand({ Bucket: 'e2e-one' }));
    expect(again.$metadata.httpStatusCode).toBe(200);
    await s3.send(new HeadBucketCommand({ Bucket: 'e2e-one' }));
    expect((await errorOf(s3.send(new HeadBucketCommand({ Bucket: 'e2e-missing' })))).status).toBe(404);
  });

  it('stores a tiny object inline and a 12 MiB object erasure-coded, and reads both back byte-exact', async () => {
    const tiny = Buffer.from('hello, platter');
    const big = randomBytes(12 * 1024 * 1024 + 12345);
    const putTiny = await s3.send(
      new PutObjectCommand({
        Bucket: 'e2e-one',
        Key: 'dir/tiny.txt',
        Body: tiny,
        ContentType: 'text/plain',
        Metadata: { color: 'blue' },
      }),
    );
    expect(putTiny.ETag).toBe(`"${md5(tiny)}"`);
    const putBig = await s3.send(new PutObjectCommand({ Bucket: 'e2e-one', Key: 'dir/big.bin', Body: big }));
    expect(putBig.ETag).toBe(`"${md5(big)}"`);

    const gotTiny = await s3.send(new GetObjectCommand({ Bucket: 'e2e-one', Key: 'dir/tiny.txt' }));
    expect(Buffer.from(await gotTiny.Body!.transformToByteArray()).equals(tiny)).toBe(true);
    expect(gotTiny.ContentType).toBe('text/plain');
    expect(gotTiny.Metadata).toEqual({ color: 'blue' });

    const gotBig = await s3.send(new GetObjectCommand({ Bucket: 'e2e-one', Key: 'dir/big.bin' }));
    expect(md5(Buffer.from(await gotBig.Body!.transformToByteArray()))).toBe(md5(big));

    const from = 5 * 1024 * 1024 - 7;
    const ranged = await s3.send(
      new GetObjectCommand({ Bucket: 'e2e-one', Key: 'dir/big.bin', Range: `bytes=${from}-${from + 99_999}` }),
    );
    expect(ranged.ContentRange).toBe(`bytes ${from}-${from + 99_999}/${big.length}`);
    expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(big.subarray(from, from + 100_000))).toBe(
      true,
    );

    const head = await s3.send(new HeadObjectCommand({ Bucket: 'e2e-one', Key: 'dir/big.bin' }));
    expect(head.ContentLength).toBe(big.length);
    expect(head.ETag).toBe(`"${md5(big)}"`);
  }, 120_000);

  it('honours If-None-Match: * atomically, and If-Match on GET', async () => {
    const body = Buffer.from('first');
    await s3.send(new PutObjectCommand({ Bucket: 'e2e-one', Key: 'cond', Body: body, IfNoneMatch: '*' }));
    expect(
      await errorOf(
        s3.send(
          new PutObjectCommand({ Bucket: 'e2e-one', Key: 'cond', Body: Buffer.from('second'), IfNoneMatch: '*' }),
        ),
      ),
    ).toEqual({ name: 'PreconditionFailed', status: 412 });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'e2e-one', Key: 'cond' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).toString()).toBe('first');
    expect(
      (await errorOf(s3.send(new GetObjectCommand({ Bucket: 'e2e-one', Key: 'cond', IfMatch: '"nope"' })))).status,
    ).toBe(412);
  });

  it('lists with prefix, delimiter and pages that resume exactly', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'e2e-list' }));
    const keys = Array.from({ length: 23 }, (_, i) => `k/${String(i).padStart(3, '0')}`);
    for (const Key of [...keys, 'other/x', 'top'])
      await s3.send(new PutObjectCommand({ Bucket: 'e2e-list', Key, Body: Key }));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: 'e2e-list', Prefix: 'k/', MaxKeys: 5, ContinuationToken: token }),
      );
      seen.push(...(page.Contents ?? []).map((c) => c.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(seen).toEqual(keys);
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'e2e-list', Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['k/', 'other/']);
    expect(top.Contents?.map((c) => c.Key)).toEqual(['top']);
  }, 60_000);

  it('deletes objects and refuses to delete a non-empty bucket', async () => {
    expect(await errorOf(s3.send(new DeleteBucketCommand({ Bucket: 'e2e-one' })))).toEqual({
      name: 'BucketNotEmpty',
      status: 409,
    });
    for (const Key of ['dir/tiny.txt', 'dir/big.bin', 'cond'])
      await s3.send(new DeleteObjectCommand({ Bucket: 'e2e-one', Key }));
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: 'e2e-one', Key: 'cond' })))).toEqual({
      name: 'NoSuchKey',
      status: 404,
    });
    await s3.send(new DeleteBucketCommand({ Bucket: 'e2e-one' }));
  });

  it('refuses a wrong secret and an unknown key', async () => {
    const bad = clusterClient(cluster, {
      credentials: { accessKeyId: cluster.credentials.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    expect(await errorOf(bad.send(new ListBucketsCommand({})))).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
    bad.destroy();
    const unknown = clusterClient(cluster, {
      credentials: { accessKeyId: 'PTUNKNOWNKEY0000000', secretAccessKey: 'whatever-secret' },
    });
    expect(await errorOf(unknown.send(new ListBucketsCommand({})))).toEqual({
      name: 'InvalidAccessKeyId',
      status: 403,
    });
    unknown.destroy();
  });
});

describe('multipart, copy and presigned URLs', () => {
  const MiB = 1024 * 1024;

  it('uploads in parts (lib-storage), completes atomically, and reads back byte-exact with an -N ETag', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'e2e-mp' }));
    const body = randomBytes(17 * MiB + 333);
    const upload = new Upload({
      client: s3,
      params: { Bucket: 'e2e-mp', Key: 'big/multi.bin', Body: body },
      partSize: 5 * MiB,
      queueSize: 2,
    });
    const done = await upload.done();
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-4"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'e2e-mp', Key: 'big/multi.bin' }));
    expect(md5(Buffer.from(await got.Body!.transformToByteArray()))).toBe(md5(body));
    // A range across the boundary of parts 1 and 2.
    const from = 5 * MiB - 10;
    const ranged = await s3.send(
      new GetObjectCommand({ Bucket: 'e2e-mp', Key: 'big/multi.bin', Range: `bytes=${from}-${from + 19}` }),
    );
    expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(body.subarray(from, from + 20))).toBe(true);
  }, 180_000);

  it('lists parts and uploads, and an aborted upload is gone', async () => {
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'e2e-mp', Key: 'aborted' }));
    const uploadId = created.UploadId!;
    await s3.send(
      new UploadPartCommand({
        Bucket: 'e2e-mp',
        Key: 'aborted',
        UploadId: uploadId,
        PartNumber: 1,
        Body: randomBytes(1000),
      }),
    );
    const parts = await s3.send(new ListPartsCommand({ Bucket: 'e2e-mp', Key: 'aborted', UploadId: uploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[1, 1000]]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'e2e-mp' }));
    expect(uploads.Uploads?.map((u) => u.UploadId)).toContain(uploadId);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'e2e-mp', Key: 'aborted', UploadId: uploadId }));
    expect(
      (await errorOf(s3.send(new ListPartsCommand({ Bucket: 'e2e-mp', Key: 'aborted', UploadId: uploadId })))).name,
    ).toBe('NoSuchUpload');
  });

  it('copies an object with its metadata, or replaces the metadata', async () => {
    const body = randomBytes(300_000);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'e2e-mp',
        Key: 'src',
        Body: body,
        ContentType: 'image/png',
        Metadata: { a: '1' },
      }),
    );
    const copied = await s3.send(new CopyObjectCommand({ Bucket: 'e2e-mp', Key: 'dst', CopySource: 'e2e-mp/src' }));
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5(body)}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'e2e-mp', Key: 'dst' }));
    expect(head.ContentType).toBe('image/png');
    expect(head.Metadata).toEqual({ a: '1' });
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'e2e-mp',
        Key: 'dst2',
        CopySource: 'e2e-mp/src',
        MetadataDirective: 'REPLACE',
        ContentType: 'text/plain',
      }),
    );
    const head2 = await s3.send(new HeadObjectCommand({ Bucket: 'e2e-mp', Key: 'dst2' }));
    expect(head2.ContentType).toBe('text/plain');
    expect(head2.Metadata).toEqual({});
    const got = await s3.send(new GetObjectCommand({ Bucket: 'e2e-mp', Key: 'dst2' }));
    expect(md5(Buffer.from(await got.Body!.transformToByteArray()))).toBe(md5(body));
  }, 60_000);

  it('serves presigned GET and PUT URLs, and refuses an expired one', async () => {
    const body = Buffer.from('presigned bytes');
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'e2e-mp', Key: 'presigned' }), {
      expiresIn: 60,
    });
    const put = await fetch(putUrl, { method: 'PUT', body });
    expect(put.status).toBe(200);
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'e2e-mp', Key: 'presigned' }), {
      expiresIn: 60,
    });
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(body)).toBe(true);
    const expiredUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'e2e-mp', Key: 'presigned' }), {
      expiresIn: 1,
      signingDate: new Date(Date.now() - 60_000),
    });
    const expired = await fetch(expiredUrl);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('<Code>AccessDenied</Code>');
  });
});

describe('accounts, checksums, races, sizes and long listings', () => {
  const execFileAsync = promisify(execFile);
  const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

  /** A client for a new account, made with `platter keys create` against the cluster's etcd. */
  async function otherAccount(): Promise<S3Client> {
    const env = fs.readFileSync(path.join(cluster.dataDir, 'cluster.env'), 'utf8');
    const etcd = /^ETCD_ENDPOINTS=(.+)$/m.exec(env)![1]!;
    const { stdout } = await execFileAsync(
      process.execPath,
      [path.join(ROOT, 'tools/cli/dist/main.js'), 'keys', 'create', '--account', 'e2e-other', '--json'],
      { env: { ...process.env, ETCD_ENDPOINTS: etcd } },
    );
    const key = JSON.parse(stdout) as { accessKeyId: string; secretAccessKey: string };
    return clusterClient(cluster, { credentials: key });
  }

  it("refuses another account's bucket with AccessDenied", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'e2e-private' }));
    await s3.send(new PutObjectCommand({ Bucket: 'e2e-private', Key: 'secret', Body: 'mine' }));
    const other = await otherAccount();
    const refusals = await Promise.all([
      errorOf(other.send(new GetObjectCommand({ Bucket: 'e2e-private', Key: 'secret' }))),
      errorOf(other.send(new PutObjectCommand({ Bucket: 'e2e-private', Key: 'x', Body: 'theirs' }))),
      errorOf(other.send(new ListObjectsV2Command({ Bucket: 'e2e-private' }))),
      errorOf(other.send(new DeleteBucketCommand({ Bucket: 'e2e-private' }))),
    ]);
    for (const r of refusals) expect(r).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await errorOf(other.send(new CreateBucketCommand({ Bucket: 'e2e-private' })))).toEqual({
      name: 'BucketAlreadyExists',
      status: 409,
    });
    const theirs = await other.send(new ListBucketsCommand({}));
    expect(theirs.Buckets ?? []).toEqual([]);
    other.destroy();
  });

  it("stores the SDK's default checksum and returns it when asked; refuses a wrong one", async () => {
    const body = randomBytes(2 * 1024 * 1024 + 5);
    await s3.send(new PutObjectCommand({ Bucket: 'e2e-list', Key: 'summed', Body: body, ChecksumAlgorithm: 'CRC32C' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'e2e-list', Key: 'summed', ChecksumMode: 'ENABLED' }));
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32c(body) >>> 0);
    expect(head.ChecksumCRC32C).toBe(crc.toString('base64'));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'e2e-list', Key: 'summed', ChecksumMode: 'ENABLED' }));
    expect(got.ChecksumCRC32C).toBe(crc.toString('base64'));
    expect(md5(Buffer.from(await got.Body!.transformToByteArray()))).toBe(md5(body));
    const wrong = Buffer.from([1, 2, 3, 4]).toString('base64');
    expect(
      (
        await errorOf(
          s3.send(new PutObjectCommand({ Bucket: 'e2e-list', Key: 'bad-sum', Body: 'x', ChecksumCRC32C: wrong })),
        )
      ).status,
    ).toBe(400);
    expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket: 'e2e-list', Key: 'bad-sum' })))).status).toBe(404);
  });

  it('lets exactly one of 20 racing If-None-Match: * writers win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        s3.send(new PutObjectCommand({ Bucket: 'e2e-list', Key: 'race', Body: `writer-${i}`, IfNoneMatch: '*' })),
      ),
    );
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected')
        expect([412, 409]).toContain((r.reason as S3ServiceException).$metadata.httpStatusCode);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'e2e-list', Key: 'race' }));
    expect(await got.Body!.transformToString()).toBe(`writer-${winners[0]}`);
  });

  it('round-trips 0 bytes, one byte, and sizes at block and stripe boundaries', async () => {
    const MiB = 1024 * 1024;
    for (const size of [0, 1, 4096, 4097, MiB - 1, MiB, 5 * MiB, 5 * MiB + 1, 10 * MiB - 1]) {
      const body = randomBytes(size);
      await s3.send(new PutObjectCommand({ Bucket: 'e2e-list', Key: `size-${size}`, Body: body }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'e2e-list', Key: `size-${size}` }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.length, `size ${size}`).toBe(size);
      expect(bytes.equals(body), `size ${size}`).toBe(true);
      if (size > 2) {
        // The last byte of each block and of the first stripe, and the first of the next.
        for (const at of [MiB - 1, MiB, 5 * MiB - 1, 5 * MiB].filter((x) => x < size - 1)) {
          const r = await s3.send(
            new GetObjectCommand({ Bucket: 'e2e-list', Key: `size-${size}`, Range: `bytes=${at}-${at + 1}` }),
          );
          expect(Buffer.from(await r.Body!.transformToByteArray()).equals(body.subarray(at, at + 2))).toBe(true);
        }
      }
    }
  }, 120_000);

  it('lists 2,000 keys with a delimiter across pages without a gap or a repeat', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'e2e-many' }));
    const keys = Array.from({ length: 2000 }, (_, i) => `d${i % 7}/k${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(
        keys.slice(i, i + 50).map((Key) => s3.send(new PutObjectCommand({ Bucket: 'e2e-many', Key, Body: '' }))),
      );
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: 'e2e-many', Prefix: 'd3/', MaxKeys: 97, ContinuationToken: token }),
      );
      seen.push(...(page.Contents ?? []).map((c) => c.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(seen).toEqual(keys.filter((k) => k.startsWith('d3/')).sort());
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'e2e-many', Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['d0/', 'd1/', 'd2/', 'd3/', 'd4/', 'd5/', 'd6/']);
  }, 180_000);
});

it('left no Node process warnings (listener leaks, unhandled rejections) in any service log', () => {
  expect(cluster.processWarnings()).toEqual([]);
});
