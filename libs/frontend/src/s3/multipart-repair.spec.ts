import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { describe, expect, it } from 'vitest';
import { completeUploadCall } from '../testing/fake-call.js';
import type { NamespaceApi } from './namespace-api.js';
import { completeMultipartUpload } from './multipart.js';
import type { ObjectStoreDeps } from './object-store-deps.js';

// A completed upload whose parts reached only the write quorum: the shards
// they lack are named in the repair stream, read back from the committed
// layout (Complete answers the version without it).

function partLayout(partNumber: number, present: number[]): commonV1.PartLayout {
  return create(commonV1.PartLayoutSchema, {
    partNumber,
    scheme: { dataShards: 5, parityShards: 4, blockSize: 4096 },
    shards: present.map((shardIndex) => ({
      shardIndex,
      diskId: `d${shardIndex}`,
      shardId: `s${partNumber}-${shardIndex}`,
    })),
  });
}

function depsWith(layoutRead: () => Promise<namespaceV1.GetObjectResponse>) {
  const queued: unknown[] = [];
  const asked: string[] = [];
  const ns: Partial<NamespaceApi> = {
    getBucket: async ({ name }) =>
      create(namespaceV1.GetBucketResponseSchema, { bucket: { name: name!, ownerAccountId: 'acct' } }),
    completeMultipartUpload: async () =>
      create(namespaceV1.CompleteMultipartUploadResponseSchema, {
        version: { bucket: 'bkt', key: 'obj', versionId: 'v1', etag: 'x-2', partsCount: 2 },
      }),
    getObject: async ({ versionId }) => {
      asked.push(versionId!);
      return layoutRead();
    },
  };
  const deps = {
    namespace: ns as NamespaceApi,
    repair: { missingShards: async (task: unknown) => void queued.push(task) },
    minPartSizeBytes: 5 * 1024 * 1024,
  } as unknown as ObjectStoreDeps;
  return { deps, queued, asked };
}

const complete = (deps: ObjectStoreDeps) =>
  completeMultipartUpload(
    deps,
    completeUploadCall([
      [1, 'e1'],
      [2, 'e2'],
    ]),
  );

describe('completeMultipartUpload repair hints', () => {
  it('queues exactly the shards each part lacks, for the committed version', async () => {
    const { deps, queued, asked } = depsWith(async () =>
      create(namespaceV1.GetObjectResponseSchema, {
        version: {
          versionId: 'v1',
          layout: {
            data: {
              case: 'striped',
              value: { parts: [partLayout(1, [0, 1, 2, 3, 4, 5, 6, 7, 8]), partLayout(2, [0, 1, 2, 4, 5, 7, 8])] },
            },
          },
        },
      }),
    );
    expect((await complete(deps)).status).toBe(200);
    expect(asked).toEqual(['v1']);
    expect(queued).toEqual([{ bucket: 'bkt', key: 'obj', versionId: 'v1', partNumber: 2, shardIndexes: [3, 6] }]);
  });

  it('still answers 200 when the layout cannot be read back (the auditor finds the shards)', async () => {
    const { deps, queued } = depsWith(async () => {
      throw new Error('namespace unavailable');
    });
    expect((await complete(deps)).status).toBe(200);
    expect(queued).toEqual([]);
  });
});
