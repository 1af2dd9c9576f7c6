import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { Code, rpcErrorWithDetail } from '@platter/rpc';
import { describe, expect, it } from 'vitest';
import { completeUploadCall } from '../testing/fake-call.js';
import type { NamespaceApi } from './namespace-api.js';
import { completeMultipartUpload } from './multipart.js';
import type { ObjectStoreDeps } from './object-store-deps.js';

// What CompleteMultipartUpload asks of the namespace: the frontend's minimum
// part size (S3's limit, enforced there atomically) and the parts as listed,
// a part listed twice in a row counting once, with its last ETag.

const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;

function world(answer: () => Promise<namespaceV1.CompleteMultipartUploadResponse>) {
  const sent: namespaceV1.CompleteMultipartUploadRequest[] = [];
  const ns: Partial<NamespaceApi> = {
    getBucket: async ({ name }) =>
      create(namespaceV1.GetBucketResponseSchema, { bucket: { name: name!, ownerAccountId: 'acct' } }),
    completeMultipartUpload: async (req) => {
      sent.push(create(namespaceV1.CompleteMultipartUploadRequestSchema, req));
      return answer();
    },
    // The committed layout, read back for repair hints: none missing here.
    getObject: async () => create(namespaceV1.GetObjectResponseSchema, {}),
  };
  const deps = {
    namespace: ns as NamespaceApi,
    repair: { missingShards: async () => undefined },
    minPartSizeBytes: MIN_PART_SIZE_BYTES,
  } as unknown as ObjectStoreDeps;
  return { deps, sent };
}

const complete = (deps: ObjectStoreDeps, parts: Array<[number, string]>) =>
  completeMultipartUpload(deps, completeUploadCall(parts));

const committed = async () =>
  create(namespaceV1.CompleteMultipartUploadResponseSchema, {
    version: { bucket: 'bkt', key: 'obj', versionId: 'null', etag: 'x-2', partsCount: 2 },
  });

describe('completeMultipartUpload request', () => {
  it("sends the frontend's minimum part size with the parts", async () => {
    const { deps, sent } = world(committed);
    expect(
      (
        await complete(deps, [
          [1, 'e1'],
          [2, 'e2'],
        ])
      ).status,
    ).toBe(200);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.minPartSizeBytes).toBe(BigInt(MIN_PART_SIZE_BYTES));
    expect(sent[0]?.parts.map((p) => [p.partNumber, p.etag])).toEqual([
      [1, 'e1'],
      [2, 'e2'],
    ]);
  });

  it("answers the namespace's ENTITY_TOO_SMALL as 400 EntityTooSmall", async () => {
    const { deps } = world(async () => {
      throw rpcErrorWithDetail(Code.FAILED_PRECONDITION, 'part too small', {
        reason: commonV1.ErrorReason.ENTITY_TOO_SMALL,
      });
    });
    await expect(
      complete(deps, [
        [1, 'e1'],
        [2, 'e2'],
      ]),
    ).rejects.toMatchObject({ code: 'EntityTooSmall', status: 400 });
  });

  it('keeps the last ETag of a part listed twice in a row (a re-sent part that finished last)', async () => {
    const { deps, sent } = world(committed);
    expect(
      (
        await complete(deps, [
          [1, 'first'],
          [1, 'second'],
          [2, 'e2'],
        ])
      ).status,
    ).toBe(200);
    expect(sent[0]?.parts.map((p) => [p.partNumber, p.etag])).toEqual([
      [1, 'second'],
      [2, 'e2'],
    ]);
  });
});
