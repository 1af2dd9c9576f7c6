import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { namespaceV1 } from '@platter/proto';

/** The mutations a partition accepts from clients, with the contract's request and response types. */
export interface OpMap {
  createBucket: { request: namespaceV1.CreateBucketRequest; response: namespaceV1.CreateBucketResponse };
  deleteBucket: { request: namespaceV1.DeleteBucketRequest; response: namespaceV1.DeleteBucketResponse };
  setBucketVersioning: {
    request: namespaceV1.SetBucketVersioningRequest;
    response: namespaceV1.SetBucketVersioningResponse;
  };
  putObject: { request: namespaceV1.PutObjectRequest; response: namespaceV1.PutObjectResponse };
  deleteObject: { request: namespaceV1.DeleteObjectRequest; response: namespaceV1.DeleteObjectResponse };
  createMultipartUpload: {
    request: namespaceV1.CreateMultipartUploadRequest;
    response: namespaceV1.CreateMultipartUploadResponse;
  };
  registerPart: { request: namespaceV1.RegisterPartRequest; response: namespaceV1.RegisterPartResponse };
  completeMultipartUpload: {
    request: namespaceV1.CompleteMultipartUploadRequest;
    response: namespaceV1.CompleteMultipartUploadResponse;
  };
  abortMultipartUpload: {
    request: namespaceV1.AbortMultipartUploadRequest;
    response: namespaceV1.AbortMultipartUploadResponse;
  };
  updateShardLocation: {
    request: namespaceV1.UpdateShardLocationRequest;
    response: namespaceV1.UpdateShardLocationResponse;
  };
}

export type OpType = keyof OpMap;
export type OpRequest<T extends OpType> = OpMap[T]['request'];
export type OpResponse<T extends OpType> = OpMap[T]['response'];

/** One client mutation, tagged with its kind. */
export type NamespaceOp = { [T in OpType]: { type: T; request: OpRequest<T> } }[OpType];
export type OpOf<T extends OpType> = Extract<NamespaceOp, { type: T }>;

/**
 * Stored in each write_id record, so that a write_id reused for another kind
 * of mutation is refused rather than answered with the wrong response. Part
 * of the record format: never renumber.
 */
export const OP_CODES: Readonly<Record<OpType, number>> = {
  createBucket: 1,
  deleteBucket: 2,
  setBucketVersioning: 3,
  putObject: 4,
  deleteObject: 5,
  createMultipartUpload: 6,
  registerPart: 7,
  completeMultipartUpload: 8,
  abortMultipartUpload: 9,
  updateShardLocation: 10,
};

export const RESPONSE_SCHEMAS: { readonly [T in OpType]: GenMessage<OpResponse<T>> } = {
  createBucket: namespaceV1.CreateBucketResponseSchema,
  deleteBucket: namespaceV1.DeleteBucketResponseSchema,
  setBucketVersioning: namespaceV1.SetBucketVersioningResponseSchema,
  putObject: namespaceV1.PutObjectResponseSchema,
  deleteObject: namespaceV1.DeleteObjectResponseSchema,
  createMultipartUpload: namespaceV1.CreateMultipartUploadResponseSchema,
  registerPart: namespaceV1.RegisterPartResponseSchema,
  completeMultipartUpload: namespaceV1.CompleteMultipartUploadResponseSchema,
  abortMultipartUpload: namespaceV1.AbortMultipartUploadResponseSchema,
  updateShardLocation: namespaceV1.UpdateShardLocationResponseSchema,
};

/** Builds a tagged op (keeps call sites short and typed). */
export function op<T extends OpType>(type: T, request: OpRequest<T>): OpOf<T> {
  return { type, request } as OpOf<T>;
}
