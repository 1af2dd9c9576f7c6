import { S3Error } from '@platter/s3';
import { createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets } from '../s3/buckets.js';
import { listObjects } from '../s3/list-objects.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from '../s3/multipart.js';
import {
  deleteBucketOwnershipControls,
  getBucketAcl,
  getBucketOwnershipControls,
  getObjectAcl,
  putBucketAcl,
  putBucketOwnershipControls,
  putObjectAcl,
} from '../s3/acl.js';
import { copyObject } from '../s3/copy-object.js';
import { getObjectAttributes } from '../s3/object-attributes.js';
import { uploadPartCopy } from '../s3/upload-part-copy.js';
import { deleteObjects } from '../s3/delete-objects.js';
import { getBucketVersioning, listObjectVersions, putBucketVersioning } from '../s3/versioning.js';
import { deleteObject, getObject, putObject } from '../s3/objects.js';
import type { ObjectStoreDeps } from '../s3/object-store-deps.js';
import type { S3Handler } from './s3-call.js';
import type { S3Address } from './s3-request.js';
import type { S3Route } from './s3-server.js';

// Which operation a request is: method, whether it names a bucket and a key,
// and its sub-resource query parameters. Sub-resources Platter does not
// implement answer NotImplemented rather than being mistaken for another call.
// ACLs exist only as `private` (s3/acl.ts); other grants answer NotImplemented.

const UNSUPPORTED_BUCKET_SUBRESOURCES = [
  'acl',
  'cors',
  'encryption',
  'lifecycle',
  'logging',
  'notification',
  'object-lock',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'tagging',
  'website',
  'accelerate',
  'analytics',
  'intelligent-tiering',
  'inventory',
  'metrics',
];
const UNSUPPORTED_OBJECT_SUBRESOURCES = [
  'acl',
  'tagging',
  'retention',
  'legal-hold',
  'torrent',
  'restore',
  'select',
  'attributes',
];

/** PUT with uploadId and x-amz-copy-source is UploadPartCopy. */
function putOrCopyPart(deps: ObjectStoreDeps, call: Parameters<S3Handler>[0]): ReturnType<S3Handler> {
  return call.req.headers['x-amz-copy-source'] !== undefined ? uploadPartCopy(deps, call) : uploadPart(deps, call);
}

/** PUT with x-amz-copy-source is CopyObject, whatever else it carries. */
function putOrCopyObject(deps: ObjectStoreDeps, call: Parameters<S3Handler>[0]): ReturnType<S3Handler> {
  return call.req.headers['x-amz-copy-source'] !== undefined ? copyObject(deps, call) : putObject(deps, call);
}

export function s3Routes(deps: ObjectStoreDeps): S3Route {
  const h =
    (fn: (d: ObjectStoreDeps, call: Parameters<S3Handler>[0]) => ReturnType<S3Handler>): S3Handler =>
    (call) =>
      fn(deps, call);
  const notImplemented =
    (what: string): S3Handler =>
    async () => {
      throw new S3Error('NotImplemented', `${what} is not implemented.`);
    };
  return (method: string, a: S3Address): S3Handler | undefined => {
    if (a.bucket === undefined) return method === 'GET' ? h(listBuckets) : undefined;
    if (a.key === undefined) {
      const sub = UNSUPPORTED_BUCKET_SUBRESOURCES.find((s) => a.query.has(s));
      if (a.query.has('location') && method === 'GET') return h(getBucketLocation);
      if (a.query.has('acl') && method === 'GET') return h(getBucketAcl);
      if (a.query.has('acl') && method === 'PUT') return h(putBucketAcl);
      if (a.query.has('uploads') && method === 'GET') return h(listMultipartUploads);
      if (a.query.has('delete') && method === 'POST') return h(deleteObjects);
      if (a.query.has('versions') && method === 'GET') return h(listObjectVersions);
      if (a.query.has('ownershipControls')) {
        if (method === 'GET') return h(getBucketOwnershipControls);
        if (method === 'PUT') return h(putBucketOwnershipControls);
        if (method === 'DELETE') return h(deleteBucketOwnershipControls);
        return undefined;
      }
      if (a.query.has('versioning')) {
        if (method === 'GET') return h(getBucketVersioning);
        if (method === 'PUT') return h(putBucketVersioning);
        return undefined;
      }
      if (sub !== undefined) return notImplemented(`The ${sub} sub-resource`);
      switch (method) {
        case 'PUT':
          return h(createBucket);
        case 'HEAD':
          return h(headBucket);
        case 'DELETE':
          return h(deleteBucket);
        case 'GET':
          return h(listObjects);
        default:
          return undefined;
      }
    }
    if (a.query.has('acl') && method === 'GET') return h(getObjectAcl);
    if (a.query.has('acl') && method === 'PUT') return h(putObjectAcl);
    if (a.query.has('attributes') && method === 'GET') return h(getObjectAttributes);
    const sub = UNSUPPORTED_OBJECT_SUBRESOURCES.find((s) => a.query.has(s));
    if (sub !== undefined) return notImplemented(`The ${sub} sub-resource`);
    if (a.query.has('uploads')) return method === 'POST' ? h(createMultipartUpload) : undefined;
    if (a.query.has('uploadId')) {
      switch (method) {
        case 'PUT':
          return h(putOrCopyPart);
        case 'POST':
          return h(completeMultipartUpload);
        case 'DELETE':
          return h(abortMultipartUpload);
        case 'GET':
          return h(listParts);
        default:
          return undefined;
      }
    }
    switch (method) {
      case 'PUT':
        return h(putOrCopyObject);
      case 'GET':
      case 'HEAD':
        return h(getObject);
      case 'DELETE':
        return h(deleteObject);
      default:
        return undefined;
    }
  };
}
