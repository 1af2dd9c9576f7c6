import { randomUUID } from 'node:crypto';
import { deleteResultXml, MAX_DELETE_XML_BYTES, S3Error, type DeleteErrorEntry, type DeletedEntry } from '@platter/s3';
import type { S3Call, S3Response } from '../http/s3-call.js';
import { readXmlBody } from '../http/xml-body.js';
import { parseXmlBody } from '../http/xml-parse-pool.js';
import { bucketOf } from './call-resource.js';
import { checkBucketAccess } from './bucket-access.js';
import { s3ErrorOfNamespace } from './namespace-errors.js';
import type { ObjectStoreDeps } from './object-store-deps.js';

// DeleteObjects: up to 1,000 keys in one request, each deleted on its own
// (S3 makes no promise of atomicity across keys), a few at a time; every
// key's outcome is reported, an error for one never fails the others.

/** Deletes in flight per request: enough to hide chain latency, few enough not to flood one partition. */
const PARALLEL_DELETES = 16;

export async function deleteObjects(deps: ObjectStoreDeps, call: S3Call): Promise<S3Response> {
  const bucket = bucketOf(call);
  await checkBucketAccess(deps, call, bucket);
  const body = await readXmlBody(call, MAX_DELETE_XML_BYTES);
  const request = await parseXmlBody(deps.xml, 'parseDeleteObjects', body);
  const deleted: DeletedEntry[] = [];
  const errors: DeleteErrorEntry[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_DELETES, request.objects.length) }, async () => {
      while (next < request.objects.length) {
        const o = request.objects[next++]!;
        try {
          const res = await deps.namespace.deleteObject(
            { writeId: randomUUID(), bucket, key: o.key, versionId: o.versionId ?? '' },
            { signal: call.signal },
          );
          deleted.push({
            key: o.key,
            ...(o.versionId ? { versionId: o.versionId } : {}),
            ...(res.deleteMarker ? { deleteMarker: true, deleteMarkerVersionId: res.versionId } : {}),
          });
        } catch (err) {
          const s3 = s3ErrorOfNamespace(err, { bucket, key: o.key });
          // Deleting what is not there succeeds in S3, also a version a concurrent request removed first.
          if (s3 instanceof S3Error && (s3.code === 'NoSuchKey' || s3.code === 'NoSuchVersion'))
            deleted.push({ key: o.key, ...(o.versionId ? { versionId: o.versionId } : {}) });
          else {
            const e = s3 instanceof S3Error ? s3 : new S3Error('InternalError');
            if (e.status >= 500) call.logger.warn({ err, key: o.key }, 'delete failed');
            errors.push({
              key: o.key,
              ...(o.versionId ? { versionId: o.versionId } : {}),
              code: e.code,
              message: e.message,
            });
          }
        }
      }
    }),
  );
  const order = new Map(request.objects.map((o, i) => [o.key, i]));
  const byRequestOrder = (a: { key: string }, b: { key: string }): number => order.get(a.key)! - order.get(b.key)!;
  return {
    status: 200,
    body: deleteResultXml({
      deleted: request.quiet ? [] : deleted.sort(byRequestOrder),
      errors: errors.sort(byRequestOrder),
    }),
  };
}
