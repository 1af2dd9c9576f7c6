import { createHash, randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { openCodec } from '@platter/erasure';
import { commonV1, namespaceV1, storageV1 } from '@platter/proto';
import { createRpcClient } from '@platter/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShardAllocator, StorageClient, StorageDirectory } from '../data/data-path-types.js';
import { LatencyTracker } from '../data/latency-tracker.js';
import { readPart } from '../data/part-reader.js';
import { writePart, type PartScheme } from '../data/part-writer.js';
import { DigestPool } from '../digest/digest-pool.js';
import { fakeCall } from '../testing/fake-call.js';
import { FakeStorageNode } from '../testing/fake-storage-node.js';
import type { NamespaceApi, NamespaceRequest } from './namespace-api.js';
import type { ObjectStoreDeps } from './object-store-deps.js';
import { uploadPartCopy } from './upload-part-copy.js';

// UploadPartCopy over the real data path (nine in-memory storage nodes over
// gRPC, the real codec) and a stand-in namespace holding one source object
// and one upload: the copied range is read stripe by stripe and re-encoded.

const K = 5;
const M = 4;
const BLOCK = 4096;
const CODEC = 'rs-cauchy-gf256';
const scheme: PartScheme = { k: K, m: M, blockSize: BLOCK, codecId: CODEC, writeQuorum: K + 2 };
const codec = openCodec(CODEC, K, M);

let nodes: FakeStorageNode[];
let digests: DigestPool;
const clients = new Map<string, StorageClient>();
const storage: StorageDirectory = {
  client(address) {
    let c = clients.get(address);
    if (!c)
      clients.set(address, (c = createRpcClient(storageV1.StorageService, address, { defaultTimeoutMs: 10_000 })));
    return c;
  },
  addressOf: (diskId) => nodes[Number(diskId.slice(1))]?.address,
};
let allocations = 0;
const allocator: ShardAllocator = {
  allocate: async () => ({
    allocationId: `a${++allocations}`,
    underSpread: false,
    targets: nodes.map((n, i) => ({
      shardIndex: i,
      diskId: `d${i}`,
      diskUuid: '',
      address: n.address,
      diskStateEpoch: 0n,
    })),
  }),
};

beforeAll(async () => {
  nodes = await Promise.all(Array.from({ length: K + M }, () => FakeStorageNode.start()));
  digests = new DigestPool(1);
});
afterAll(async () => {
  for (const c of clients.values()) c.close();
  await Promise.all(nodes.map((n) => n.stop()));
  await digests.close();
});

async function* chunks(bytes: Buffer, size = 10_000): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** One bucket with one source object, one upload; registered parts are kept. */
async function world(source: Buffer, uploadChecksum = commonV1.ChecksumAlgorithm.UNSPECIFIED) {
  const written = await writePart(
    { allocator, storage, codec },
    scheme,
    1,
    source.length,
    chunks(source),
    new AbortController().signal,
  );
  const version = create(namespaceV1.ObjectVersionSchema, {
    bucket: 'bkt',
    key: 'src',
    versionId: 'null',
    size: BigInt(source.length),
    etag: md5(source),
    createdAt: { seconds: 1_700_000_000n },
    layout: { data: { case: 'striped', value: { parts: [written.layout] } } },
  });
  const registered: NamespaceRequest<'registerPart'>[] = [];
  const ns: Partial<NamespaceApi> = {
    getBucket: async ({ name }) => {
      if (name !== 'bkt') throw new Error('unexpected bucket');
      return create(namespaceV1.GetBucketResponseSchema, { bucket: { name, ownerAccountId: 'acct' } });
    },
    getObject: async () => create(namespaceV1.GetObjectResponseSchema, { version }),
    listParts: async ({ uploadId }) =>
      create(namespaceV1.ListPartsResponseSchema, {
        upload: { bucket: 'bkt', key: 'dst', uploadId, checksumAlgorithm: uploadChecksum },
      }),
    registerPart: async (req) => {
      registered.push(req);
      return create(namespaceV1.RegisterPartResponseSchema, { registeredAt: { seconds: 1_700_000_100n } });
    },
  };
  const deps = {
    namespace: ns as NamespaceApi,
    allocator,
    storage,
    codecFor: () => codec,
    latency: new LatencyTracker(50, 5),
    digests,
    scheme,
    inlineThresholdBytes: 4096,
    repair: { missingShards: async () => undefined },
    region: 'us-east-1',
    locationConstraint: '',
    minPartSizeBytes: 5 * 1024 * 1024,
  } satisfies ObjectStoreDeps;
  return { deps, registered, sourceShardIds: written.layout.shards?.map((x) => x.shardId ?? '') ?? [] };
}

async function bytesOfPart(part: commonV1.PartLayout): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const c of readPart(
    { storage, codec: () => codec, latency: new LatencyTracker(50, 5) },
    part,
    0,
    Number(part.size),
    new AbortController().signal,
  ))
    out.push(c);
  return Buffer.concat(out);
}

const call = (headers: Record<string, string>) =>
  fakeCall({ method: 'PUT', bucket: 'bkt', key: 'dst', query: 'partNumber=3&uploadId=u1', headers });

describe('uploadPartCopy', () => {
  it('copies a byte range across stripes into a new part and answers CopyPartResult', async () => {
    const source = randomBytes(3 * K * BLOCK + 777);
    const { deps, registered, sourceShardIds } = await world(source);
    expect(sourceShardIds.length).toBe(K + M);
    const from = K * BLOCK - 100;
    const to = 2 * K * BLOCK + 50;
    const res = await uploadPartCopy(
      deps,
      call({ 'x-amz-copy-source': '/bkt/src', 'x-amz-copy-source-range': `bytes=${from}-${to}` }),
    );
    const wanted = source.subarray(from, to + 1);
    expect(res.status).toBe(200);
    expect(res.body).toContain(`<ETag>&quot;${md5(wanted)}&quot;</ETag>`);
    expect(res.body).toContain('<LastModified>2023-11-14T22:15:00.000Z</LastModified>');
    expect(registered).toHaveLength(1);
    const part = create(commonV1.PartLayoutSchema, registered[0]!.part);
    expect(part.partNumber).toBe(3);
    expect(part.etag).toBe(md5(wanted));
    expect((await bytesOfPart(part)).equals(wanted)).toBe(true);
    // A copy never shares shards with its source.
    const copied = new Set(part.shards.map((x) => x.shardId));
    expect(sourceShardIds.some((id) => copied.has(id))).toBe(false);
  });

  it("computes the upload's checksum for the copied bytes and names it in the result", async () => {
    const source = randomBytes(2 * K * BLOCK);
    const { deps, registered } = await world(source, commonV1.ChecksumAlgorithm.SHA256);
    const res = await uploadPartCopy(deps, call({ 'x-amz-copy-source': 'bkt/src' }));
    const sha = createHash('sha256').update(source).digest();
    expect(res.body).toContain(`<ChecksumSHA256>${sha.toString('base64')}</ChecksumSHA256>`);
    const part = create(commonV1.PartLayoutSchema, registered[0]!.part);
    expect(Buffer.from(part.checksums[0]!.value).equals(sha)).toBe(true);
  });

  it('refuses bad ranges and failed source conditions before storing anything', async () => {
    const source = randomBytes(K * BLOCK);
    const { deps, registered } = await world(source);
    await expect(
      uploadPartCopy(deps, call({ 'x-amz-copy-source': 'bkt/src', 'x-amz-copy-source-range': 'bytes=0-' })),
    ).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(
      uploadPartCopy(deps, call({ 'x-amz-copy-source': 'bkt/src', 'x-amz-copy-source-range': `bytes=0-${K * BLOCK}` })),
    ).rejects.toMatchObject({ code: 'InvalidRange' });
    await expect(
      uploadPartCopy(deps, call({ 'x-amz-copy-source': 'bkt/src', 'x-amz-copy-source-if-match': '"nope"' })),
    ).rejects.toMatchObject({ code: 'PreconditionFailed', status: 412 });
    await expect(
      uploadPartCopy(
        deps,
        call({ 'x-amz-copy-source': 'bkt/src', 'x-amz-copy-source-if-none-match': `"${md5(source)}"` }),
      ),
    ).rejects.toMatchObject({ code: 'PreconditionFailed', status: 412 });
    await expect(uploadPartCopy(deps, call({ 'x-amz-copy-source': 'bkt' }))).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    expect(registered).toHaveLength(0);
  });
});
