import { createCipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import { Agent } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type Part,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startLocalCluster, type LocalCluster } from '@platter/testkit';
import { clusterClient } from './s3-client.js';

// Issue acceptance at scale for the S3 frontend: a 1 GiB object in one PUT,
// a 100-part upload with paged ListParts, and 5,000
// keys listed with a delimiter across pages by v2 and v1. Object bytes come
// from a seeded AES-CTR keystream, so any byte range can be regenerated on
// demand and no test ever holds a whole object in memory.

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
// Generator and read-back chunk; also the unit the running hashes advance by.
const CHUNK_BYTES = MiB;
// An offset 3 × 20 MiB in: 20 MiB is a whole number of stripes (k × block)
// of the default cluster, so a range there crosses a stripe edge.
const STRIPE_ALIGNED_BYTES = 20 * MiB;
// S3's smallest non-final part, used for every part of the 100-part upload.
const MIN_PART_BYTES = 5 * MiB;
const PART_COUNT = 100;
// Parts per ListParts page: 100 = 14 × 7 + 2, so the last page is short.
const LIST_PARTS_PAGE = 7;
const KEY_COUNT = 5_000;
const LIST_PAGE_KEYS = 1_000;
// In-flight PUTs while loading the 5,000 keys (the namespace commits a few hundred a second).
const PUT_CONCURRENCY = 64;
// Per-test budget for the bulk steps: a quiet 2-core machine needs a few
// minutes for all of them; a loaded one (CI neighbours) several times that.
const BIG_TEST_TIMEOUT_MS = 15 * 60_000;

let cluster: LocalCluster;
let s3: S3Client;
let agent: Agent;
/** Erasure-coding geometry the launcher gave the cluster (its cluster.yaml). */
let geometry: { k: number; blockSizeBytes: number; stripeBytes: number };

beforeAll(async () => {
  cluster = await startLocalCluster();
  // startLocalCluster writes its topology beside the data dir.
  const topology = parse(fs.readFileSync(path.join(path.dirname(cluster.dataDir), 'cluster.yaml'), 'utf8')) as {
    cluster: { ec: { k: number }; blockSizeBytes: number };
  };
  const { k } = topology.cluster.ec;
  const { blockSizeBytes } = topology.cluster;
  geometry = { k, blockSizeBytes, stripeBytes: k * blockSizeBytes };
  agent = new Agent({ keepAlive: true, maxSockets: PUT_CONCURRENCY });
  s3 = clusterClient(cluster, {
    requestHandler: { httpAgent: agent, requestTimeout: 300_000 },
  });
}, 240_000);

afterAll(async () => {
  s3?.destroy();
  agent?.destroy();
  await cluster?.stop();
}, 120_000);

/** The AES-128-CTR keystream of `seed`, positioned at byte `offset`. */
function keystreamAt(seed: string, offset: number): { next(length: number): Buffer } {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / 16)), 8);
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  cipher.update(Buffer.alloc(offset % 16));
  return { next: (length) => cipher.update(Buffer.alloc(length)) };
}

/** Bytes [offset, offset + length) of the seeded object. */
function seededBytes(seed: string, offset: number, length: number): Buffer {
  return keystreamAt(seed, offset).next(length);
}

/** Bytes [offset, offset + length) of the seeded object, one chunk at a time. */
function* seededChunks(seed: string, offset: number, length: number): Generator<Buffer> {
  const stream = keystreamAt(seed, offset);
  for (let done = 0; done < length; done += CHUNK_BYTES) yield stream.next(Math.min(CHUNK_BYTES, length - done));
}

interface Digest {
  bytes: number;
  sha256: string;
}

/** Length and sha256 of a response body, read as it streams. */
async function digestBody(body: unknown): Promise<Digest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body as Readable) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function getRange(Bucket: string, Key: string, size: number, from: number, to: number): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket, Key, Range: `bytes=${from}-${to}` }));
  expect(got.ContentRange).toBe(`bytes ${from}-${to}/${size}`);
  return Buffer.from(await got.Body!.transformToByteArray());
}

/** Runs `task` over `items` with at most `limit` in flight; rejects on the first failure. */
async function forEachLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Runs `step` and logs its wall time: the CI budget of this file is watched per phase. */
async function timed<T>(label: string, step: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await step();
  console.log(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();
/** S3's multipart ETag: md5 of the parts' binary md5s, then -N. */
const multipartEtag = (partMd5s: Buffer[]): string =>
  `"${md5(Buffer.concat(partMd5s)).toString('hex')}-${partMd5s.length}"`;

describe('a 1 GiB object', () => {
  const SEED = 'platter-e2e-1gib';
  const SIZE = GiB;
  // One 1 GiB object: multipart is the next block's 100-part upload and
  // lib-storage's the s3-api spec's (both again here would double the
  // file's ten minutes of loaded-CI time for no new path).
  let expected: Digest & { md5: string };

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'scale-big' }));
    // One generator pass for every expectation: whole-object sha256 and md5.
    const sha = createHash('sha256');
    const whole = createHash('md5');
    for (const chunk of seededChunks(SEED, 0, SIZE)) {
      sha.update(chunk);
      whole.update(chunk);
    }
    expected = { bytes: SIZE, sha256: sha.digest('hex'), md5: whole.digest('hex') };
  }, 120_000);

  /** Ranges across block and stripe edges and the object's ends. */
  function boundaryRanges(): [number, number][] {
    const { stripeBytes, blockSizeBytes } = geometry;
    const ranges: [number, number][] = [
      [0, 0],
      [blockSizeBytes - 3, blockSizeBytes + 2],
      [stripeBytes - 1, stripeBytes],
      [7 * stripeBytes - 100, 7 * stripeBytes + 99],
      [STRIPE_ALIGNED_BYTES * 3 - 1, STRIPE_ALIGNED_BYTES * 3 + blockSizeBytes],
      [Math.floor(SIZE / stripeBytes) * stripeBytes - 5, Math.floor(SIZE / stripeBytes) * stripeBytes + 4],
      [SIZE - 10, SIZE - 1],
    ];
    return ranges.filter(([from, to]) => from >= 0 && to < SIZE && from <= to);
  }

  async function expectReadBack(Key: string, etag: string): Promise<void> {
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'scale-big', Key }));
    expect(head.ContentLength).toBe(SIZE);
    expect(head.ETag).toBe(etag);
    const digest = await timed(`GET ${Key}`, async () =>
      digestBody((await s3.send(new GetObjectCommand({ Bucket: 'scale-big', Key }))).Body),
    );
    expect(digest).toEqual({ bytes: SIZE, sha256: expected.sha256 });
    for (const [from, to] of boundaryRanges()) {
      const bytes = await getRange('scale-big', Key, SIZE, from, to);
      expect(bytes.equals(seededBytes(SEED, from, to - from + 1)), `${Key} bytes=${from}-${to}`).toBe(true);
    }
  }

  it(
    'accepts 1 GiB as one streamed PutObject and reads it back byte-exact, whole and at stripe edges',
    async () => {
      const put = await timed('PutObject single-1g', () =>
        s3.send(
          new PutObjectCommand({
            Bucket: 'scale-big',
            Key: 'single-1g',
            Body: Readable.from(seededChunks(SEED, 0, SIZE)),
            ContentLength: SIZE,
          }),
        ),
      );
      expect(put.ETag).toBe(`"${expected.md5}"`);
      await expectReadBack('single-1g', `"${expected.md5}"`);
    },
    BIG_TEST_TIMEOUT_MS,
  );
});

describe('a 100-part upload', () => {
  const SEED = 'platter-e2e-100-parts';
  const LAST_PART_BYTES = 123_457;
  const partSize = (n: number): number => (n === PART_COUNT ? LAST_PART_BYTES : MIN_PART_BYTES);
  const partOffset = (n: number): number => (n - 1) * MIN_PART_BYTES;
  const SIZE = (PART_COUNT - 1) * MIN_PART_BYTES + LAST_PART_BYTES;

  it(
    'uploads 100 parts, pages ListParts by max-parts and part-number-marker, completes, reads back',
    async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'scale-parts' }));
      const Bucket = 'scale-parts';
      const Key = 'hundred';
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
      const partMd5s: Buffer[] = [];
      const numbers = Array.from({ length: PART_COUNT }, (_, i) => i + 1);
      // Out of order on purpose: the part number, not arrival, fixes the position.
      await timed('UploadPart x100', () =>
        forEachLimit([...numbers].reverse(), 4, async (PartNumber) => {
          const body = seededBytes(SEED, partOffset(PartNumber), partSize(PartNumber));
          partMd5s[PartNumber - 1] = md5(body);
          const res = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body }));
          expect(res.ETag).toBe(`"${md5(body).toString('hex')}"`);
        }),
      );

      const listed: Part[] = [];
      let marker: string | undefined;
      let pages = 0;
      for (;;) {
        pages++;
        expect(pages, 'ListParts pages').toBeLessThanOrEqual(PART_COUNT);
        const page = await s3.send(
          new ListPartsCommand({ Bucket, Key, UploadId, MaxParts: LIST_PARTS_PAGE, PartNumberMarker: marker }),
        );
        const parts = page.Parts ?? [];
        expect(parts.length).toBeLessThanOrEqual(LIST_PARTS_PAGE);
        if (marker !== undefined) expect(String(page.PartNumberMarker)).toBe(marker);
        listed.push(...parts);
        if (!page.IsTruncated) break;
        expect(parts).toHaveLength(LIST_PARTS_PAGE);
        expect(String(page.NextPartNumberMarker)).toBe(String(parts.at(-1)!.PartNumber));
        marker = String(page.NextPartNumberMarker);
      }
      expect(pages).toBe(Math.ceil(PART_COUNT / LIST_PARTS_PAGE));
      expect(listed.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual(
        numbers.map((n) => [n, partSize(n), `"${partMd5s[n - 1]!.toString('hex')}"`]),
      );

      const Parts: CompletedPart[] = listed.map((p) => ({ PartNumber: p.PartNumber, ETag: p.ETag }));
      const done = await s3.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }),
      );
      expect(done.ETag).toBe(multipartEtag(partMd5s));

      const sha = createHash('sha256');
      for (const chunk of seededChunks(SEED, 0, SIZE)) sha.update(chunk);
      const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
      expect(got.ContentLength).toBe(SIZE);
      expect(await digestBody(got.Body)).toEqual({ bytes: SIZE, sha256: sha.digest('hex') });
      // Across the edge of parts 50 and 51, and into the short last part.
      for (const [from, to] of [
        [partOffset(51) - 8, partOffset(51) + 7],
        [partOffset(PART_COUNT) - 1, SIZE - 1],
      ] as const) {
        expect((await getRange(Bucket, Key, SIZE, from, to)).equals(seededBytes(SEED, from, to - from + 1))).toBe(true);
      }
    },
    BIG_TEST_TIMEOUT_MS,
  );
});

describe('5,000 keys listed with a delimiter across pages', () => {
  const Bucket = 'scale-keys';
  /** S3 orders keys by their UTF-8 bytes, which differs from JS (UTF-16) order for astral characters. */
  const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const pad = (i: number): string => String(i).padStart(5, '0');
  // Ten shapes, 500 keys each: flat names, nested and flat "directories", and
  // non-ASCII names whose UTF-8 order ('ü' < 'Ｆ' < '😀') is not their UTF-16
  // order ('😀' is a surrogate pair, below 'Ｆ').
  const SHAPES: ((i: number) => string)[] = [
    (i) => `file-${pad(i)}`,
    (i) => `file ${pad(i)}.txt`,
    (i) => `logs/day-${i % 7}/${pad(i)}`,
    (i) => `logs/${pad(i)}.log`,
    (i) => `photos/${pad(i)}.jpg`,
    (i) => `ünïcode/${pad(i)}`,
    (i) => `Ｆ/${pad(i)}`,
    (i) => `Ｆ-${pad(i)}`,
    (i) => `😀/${pad(i)}`,
    (i) => `😀-${pad(i)}`,
  ];
  const KEYS = Array.from({ length: KEY_COUNT }, (_, i) => SHAPES[i % SHAPES.length]!(i));
  // A zero-byte "directory marker" key rolls up into its own common prefix.
  KEYS[4] = 'photos/';
  const SORTED = [...KEYS].sort(byUtf8);

  type Entry = ['key' | 'prefix', string];
  /** What a delimiter listing of `prefix` must return, in order, with keys and common prefixes interleaved. */
  function model(prefix: string, delimiter: string | undefined): Entry[] {
    const out: Entry[] = [];
    for (const key of SORTED) {
      if (!key.startsWith(prefix)) continue;
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (cut < 0) out.push(['key', key]);
      else {
        const common = key.slice(0, cut + delimiter!.length);
        if (out.at(-1)?.[1] !== common) out.push(['prefix', common]);
      }
    }
    return out;
  }

  /** One page's keys and common prefixes merged into listing order; each must already be sorted. */
  function mergePage(keys: string[], prefixes: string[]): Entry[] {
    expect([...keys].sort(byUtf8)).toEqual(keys);
    expect([...prefixes].sort(byUtf8)).toEqual(prefixes);
    return [...keys.map((k): Entry => ['key', k]), ...prefixes.map((p): Entry => ['prefix', p])].sort((a, b) =>
      byUtf8(a[1], b[1]),
    );
  }

  async function listV2(prefix: string, delimiter: string | undefined): Promise<Entry[]> {
    const entries: Entry[] = [];
    let token: string | undefined;
    for (let page = 0; ; page++) {
      expect(page, 'v2 pages').toBeLessThan(KEY_COUNT);
      const res = await s3.send(
        new ListObjectsV2Command({
          Bucket,
          Prefix: prefix || undefined,
          Delimiter: delimiter,
          MaxKeys: LIST_PAGE_KEYS,
          ContinuationToken: token,
        }),
      );
      const keys = (res.Contents ?? []).map((c) => c.Key!);
      const prefixes = (res.CommonPrefixes ?? []).map((p) => p.Prefix!);
      expect(keys.length + prefixes.length).toBeLessThanOrEqual(LIST_PAGE_KEYS);
      expect(res.KeyCount).toBe(keys.length + prefixes.length);
      entries.push(...mergePage(keys, prefixes));
      if (!res.IsTruncated) return entries;
      expect(res.NextContinuationToken).toBeTruthy();
      token = res.NextContinuationToken;
    }
  }

  async function listV1(prefix: string, delimiter: string | undefined): Promise<Entry[]> {
    const entries: Entry[] = [];
    let marker: string | undefined;
    for (let page = 0; ; page++) {
      expect(page, 'v1 pages').toBeLessThan(KEY_COUNT);
      const res = await s3.send(
        new ListObjectsCommand({
          Bucket,
          Prefix: prefix || undefined,
          Delimiter: delimiter,
          MaxKeys: LIST_PAGE_KEYS,
          Marker: marker,
        }),
      );
      const keys = (res.Contents ?? []).map((c) => c.Key!);
      const prefixes = (res.CommonPrefixes ?? []).map((p) => p.Prefix!);
      expect(keys.length + prefixes.length).toBeLessThanOrEqual(LIST_PAGE_KEYS);
      const merged = mergePage(keys, prefixes);
      entries.push(...merged);
      if (!res.IsTruncated) return entries;
      // v1 names NextMarker only with a delimiter; without one the client resumes after its last key.
      if (delimiter) expect(res.NextMarker).toBe(merged.at(-1)![1]);
      marker = res.NextMarker ?? keys.at(-1)!;
    }
  }

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket }));
    await timed(`PUT ${KEY_COUNT} keys`, () =>
      forEachLimit(KEYS, PUT_CONCURRENCY, async (Key) => {
        // An explicit length: the SDK sends none for an empty body and warns about it.
        await s3.send(new PutObjectCommand({ Bucket, Key, Body: '', ContentLength: 0 }));
      }),
    );
  }, BIG_TEST_TIMEOUT_MS);

  it('lists every key once, in UTF-8 byte order, by v2 and v1 without a delimiter', async () => {
    const all = model('', undefined);
    expect(all).toHaveLength(KEY_COUNT);
    expect(await listV2('', undefined)).toEqual(all);
    expect(await listV1('', undefined)).toEqual(all);
  }, 120_000);

  it('rolls the top level up into common prefixes across 1,000-entry pages, by v2 and v1', async () => {
    const top = model('', '/');
    expect(top.filter(([t]) => t === 'prefix').map(([, p]) => p)).toEqual([
      'logs/',
      'photos/',
      'ünïcode/',
      'Ｆ/',
      '😀/',
    ]);
    expect(await listV2('', '/')).toEqual(top);
    expect(await listV1('', '/')).toEqual(top);
  }, 120_000);

  it('lists inside a prefix with nested common prefixes, by v2 and v1', async () => {
    const logs = model('logs/', '/');
    expect(logs.filter(([t]) => t === 'prefix')).toHaveLength(7);
    expect(await listV2('logs/', '/')).toEqual(logs);
    expect(await listV1('logs/', '/')).toEqual(logs);
    const emoji = model('😀', '/');
    expect(await listV2('😀', '/')).toEqual(emoji);
    expect(await listV1('😀', '/')).toEqual(emoji);
  }, 120_000);
});

it('left no Node process warnings (listener leaks, unhandled rejections) in any service log', () => {
  expect(cluster.processWarnings()).toEqual([]);
});
